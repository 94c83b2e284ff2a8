// Compiled-in resources (resources/atelier.qrc: themes, icons, presets). atelier_gui_lib is a
// static library, so the resource initialiser must be referenced explicitly: every reader of
// ":/..." calls ensureResources() first (cheap after the first call).
// Thread-safety: GUI thread (first call); later calls from any thread are no-ops.
#pragma once

#include <QColor>
#include <QIcon>
#include <QPixmap>
#include <QString>

namespace gui {

void ensureResources();

// A UI icon from ":/icons/ui/<name>.svg", its strokes drawn in `color` ("currentColor" in the
// SVG is replaced). Disabled mode uses the same colour at 35% opacity.
QIcon themedIcon(const QString& name, const QColor& color);
// The same icon rendered once at `side` logical pixels.
QPixmap themedPixmap(const QString& name, const QColor& color, int side, qreal dpr = 1.0);
// The application icon (":/icons/atelier.svg").
QIcon appIcon();

}  // namespace gui
