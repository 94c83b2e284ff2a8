// Resource init and SVG icon tinting. Rendered icons are cached by (name, colour, side, dpr).
#include "gui/app/resources.h"

#include <QFile>
#include <QHash>
#include <QPainter>
#include <QSvgRenderer>

static void initAtelierResources() { Q_INIT_RESOURCE(atelier); }  // must live outside a namespace

namespace gui {

void ensureResources() {
    static const bool done = [] {
        initAtelierResources();
        return true;
    }();
    (void)done;
}

static QByteArray svgSource(const QString& name) {
    ensureResources();
    static QHash<QString, QByteArray> cache;
    auto it = cache.find(name);
    if (it != cache.end()) return *it;
    QFile f(QStringLiteral(":/icons/ui/%1.svg").arg(name));
    QByteArray data = f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    cache.insert(name, data);
    return data;
}

QPixmap themedPixmap(const QString& name, const QColor& color, int side, qreal dpr) {
    static QHash<QString, QPixmap> cache;
    const QString key = QStringLiteral("%1|%2|%3|%4").arg(name, color.name(QColor::HexArgb)).arg(side).arg(dpr);
    auto it = cache.find(key);
    if (it != cache.end()) return *it;
    QByteArray svg = svgSource(name);
    svg.replace("currentColor", color.name(QColor::HexRgb).toLatin1());
    const int px = qMax(1, qRound(side * dpr));
    QPixmap pm(px, px);
    pm.fill(Qt::transparent);
    QSvgRenderer renderer(svg);
    if (renderer.isValid()) {
        QPainter p(&pm);
        p.setRenderHint(QPainter::Antialiasing);
        p.setOpacity(color.alphaF());
        renderer.render(&p);
    }
    pm.setDevicePixelRatio(dpr);
    cache.insert(key, pm);
    return pm;
}

QIcon themedIcon(const QString& name, const QColor& color) {
    QIcon icon;
    QColor disabled = color;
    disabled.setAlphaF(0.35f);
    for (int side : {16, 20, 24, 32}) {
        for (qreal dpr : {1.0, 2.0}) {
            icon.addPixmap(themedPixmap(name, color, side, dpr), QIcon::Normal);
            icon.addPixmap(themedPixmap(name, disabled, side, dpr), QIcon::Disabled);
        }
    }
    return icon;
}

QIcon appIcon() {
    ensureResources();
    return QIcon(QStringLiteral(":/icons/atelier.svg"));
}

}  // namespace gui
