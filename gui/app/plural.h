// English plurals without a translation catalogue: Qt's "%n item(s)" form prints "(s)" until a
// .qm file is loaded, so user text picks the singular or plural sentence here.
// Thread-safety: pure; any thread.
#pragma once

#include <QCoreApplication>
#include <QString>

namespace gui {

// plural(3, "%1 asset", "%1 assets") -> "3 assets". Both forms are translatable ("Plural").
inline QString plural(qint64 n, const char* one, const char* many) {
    return QCoreApplication::translate("Plural", n == 1 ? one : many).arg(n);
}

}  // namespace gui
