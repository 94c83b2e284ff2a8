// Help dialogs: Keyboard Shortcuts (built from the window's actions, so it can never list a
// shortcut that does not exist) and About (version, Qt, CPU features). Both are modeless.
// Thread-safety: GUI thread only.
#pragma once

#include <QDialog>
#include <QList>

class QAction;
class QTableWidget;

namespace gui {

class ShortcutsDialog : public QDialog {
    Q_OBJECT
public:
    // groups: (menu title, its actions); actions without shortcuts are skipped.
    ShortcutsDialog(const QList<QPair<QString, QList<QAction*>>>& groups, QWidget* parent = nullptr);
    QTableWidget* table() const { return m_table; }

private:
    QTableWidget* m_table;
};

class AboutDialog : public QDialog {
    Q_OBJECT
public:
    explicit AboutDialog(QWidget* parent = nullptr);
};

}  // namespace gui
