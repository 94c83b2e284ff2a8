// App-wide look: Fusion style, a palette per theme and the matching stylesheet
// (":/themes/dark.qss" / ":/themes/light.qss"). Dark is the default. Widgets that paint with
// theme colours listen for QEvent::PaletteChange / ApplicationPaletteChange.
// Thread-safety: GUI thread only (QApplication must exist).
#pragma once

#include <QColor>
#include <QPalette>

#include "gui/app/settings.h"

namespace gui {

// Applies style, palette and stylesheet to the whole application.
void applyTheme(Theme theme);
// Theme actually in effect (System resolves to Dark or Light).
Theme currentTheme();
QPalette themePalette(Theme theme);  // Dark or Light (System: the platform's palette)

// Semantic colours for custom painting, from the current theme.
QColor accentColor();
QColor mutedTextColor();
QColor cardColor();
QColor stateColor(int jobState);  // atelier::JobState as int

}  // namespace gui
