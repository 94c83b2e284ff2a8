// Theme palettes and semantic colours. The stylesheets use the same hex values; keep them in
// step when changing one (resources/themes/*.qss).
#include "gui/app/theme.h"

#include <QApplication>
#include <QFile>
#include <QStyle>
#include <QStyleFactory>

#include "core/job.h"
#include "gui/app/resources.h"

namespace gui {

namespace {

Theme g_effective = Theme::Dark;
bool g_haveSystemPalette = false;
QPalette g_systemPalette;

void setColors(QPalette& p, QColor window, QColor base, QColor alt, QColor text, QColor muted, QColor button,
               QColor highlight, QColor highlightText) {
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, alt);
    p.setColor(QPalette::ToolTipBase, base);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, muted);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, button);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, Qt::white);
    p.setColor(QPalette::Highlight, highlight);
    p.setColor(QPalette::HighlightedText, highlightText);
    p.setColor(QPalette::Link, highlight);
    p.setColor(QPalette::Mid, alt.darker(115));
    p.setColor(QPalette::Dark, window.darker(130));
    p.setColor(QPalette::Light, button.lighter(130));
    for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText}) p.setColor(QPalette::Disabled, role, muted);
    p.setColor(QPalette::Disabled, QPalette::Highlight, alt);
}

}  // namespace

QPalette themePalette(Theme theme) {
    QPalette p;
    if (theme == Theme::System) return g_haveSystemPalette ? g_systemPalette : QApplication::style()->standardPalette();
    if (theme == Theme::Light)
        setColors(p, QColor(0xf3f4f7), QColor(0xffffff), QColor(0xe9ebf0), QColor(0x1d2129), QColor(0x6b7280),
                  QColor(0xffffff), QColor(0x4f5bd5), QColor(0xffffff));
    else
        setColors(p, QColor(0x1b1d22), QColor(0x22252b), QColor(0x2a2e36), QColor(0xe4e6eb), QColor(0x8b919c),
                  QColor(0x2c3038), QColor(0x7c86ff), QColor(0xffffff));
    return p;
}

void applyTheme(Theme theme) {
    ensureResources();
    if (!g_haveSystemPalette) {
        g_systemPalette = QApplication::palette();
        g_haveSystemPalette = true;
    }
    // Once per process: replacing the style under a live style sheet re-polishes every widget.
    static const bool styled = [] {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        return true;
    }();
    (void)styled;
    Theme effective = theme;
    if (theme == Theme::System || theme == Theme::Invalid) {
        const QPalette sys = themePalette(Theme::System);
        effective = sys.color(QPalette::Window).lightness() < 128 ? Theme::Dark : Theme::Light;
    }
    g_effective = effective;
    QApplication::setPalette(theme == Theme::System ? themePalette(Theme::System) : themePalette(effective));
    QString sheet;
    for (const QString& name : {QStringLiteral(":/themes/base.qss"),
                                effective == Theme::Light ? QStringLiteral(":/themes/light.qss") : QStringLiteral(":/themes/dark.qss")}) {
        QFile f(name);
        if (f.open(QIODevice::ReadOnly)) sheet += QString::fromUtf8(f.readAll()) + u'\n';
    }
    qApp->setStyleSheet(sheet);
}

Theme currentTheme() { return g_effective; }

QColor accentColor() { return g_effective == Theme::Light ? QColor(0x4f5bd5) : QColor(0x7c86ff); }
QColor mutedTextColor() { return g_effective == Theme::Light ? QColor(0x6b7280) : QColor(0x8b919c); }
QColor cardColor() { return g_effective == Theme::Light ? QColor(0xffffff) : QColor(0x262a31); }

QColor stateColor(int jobState) {
    const bool light = g_effective == Theme::Light;
    switch (static_cast<atelier::JobState>(jobState)) {
        case atelier::JobState::Running: return accentColor();
        case atelier::JobState::Done: return light ? QColor(0x1f9d55) : QColor(0x4cc38a);
        case atelier::JobState::Failed: return light ? QColor(0xd6453d) : QColor(0xf2706a);
        case atelier::JobState::Interrupted: return light ? QColor(0xc27c0e) : QColor(0xf0b34a);
        case atelier::JobState::Cancelling:
        case atelier::JobState::Cancelled:
        case atelier::JobState::Queued:
        default: return mutedTextColor();
    }
}

}  // namespace gui
