// ImageView implementation. Scroll bar values are in scaled-image pixels; when the scaled image is
// smaller than the viewport it is centred and the bars are hidden.
#include "gui/preview/image-view.h"

#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace gui {

namespace {
constexpr double kMinZoom = 0.02, kMaxZoom = 32.0, kStep = 1.25;
}

ImageView::ImageView(QWidget* parent) : QAbstractScrollArea(parent) {
    setObjectName(QStringLiteral("imageView"));
    setFrameShape(QFrame::NoFrame);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    setVerticalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    viewport()->setCursor(Qt::OpenHandCursor);
    setFocusPolicy(Qt::StrongFocus);
}

void ImageView::setImage(const QImage& image, bool keepView) {
    const QSize oldSize = m_pixmap.size();
    m_pixmap = QPixmap::fromImage(image);
    if (keepView && !m_fit && !oldSize.isEmpty() && !m_pixmap.isNull()) {
        // The full-resolution image replaces a thumbnail: keep the same apparent size.
        m_zoom = std::clamp(m_zoom * double(oldSize.width()) / m_pixmap.width(), kMinZoom, kMaxZoom);
    } else if (!keepView) {
        m_fit = true;
    }
    if (m_fit) m_zoom = fitZoom();
    updateScrollBars();
    viewport()->update();
    emit zoomChanged(m_zoom, m_fit);
}

void ImageView::clear() {
    m_pixmap = QPixmap();
    m_fit = true;
    m_zoom = 1.0;
    updateScrollBars();
    viewport()->update();
    emit zoomChanged(m_zoom, m_fit);
}

double ImageView::fitZoom() const {
    if (m_pixmap.isNull()) return 1.0;
    const QSize vp = viewport()->size() - QSize(16, 16);
    const double z = std::min(double(std::max(1, vp.width())) / m_pixmap.width(),
                              double(std::max(1, vp.height())) / m_pixmap.height());
    return std::clamp(std::min(z, 1.0), kMinZoom, kMaxZoom);  // fit never enlarges
}

void ImageView::setZoom(double zoom) {
    zoomAround(zoom, QPointF(viewport()->width() / 2.0, viewport()->height() / 2.0));
}

void ImageView::zoomIn() { setZoom(m_zoom * kStep); }
void ImageView::zoomOut() { setZoom(m_zoom / kStep); }
void ImageView::actualSize() { setZoom(1.0); }

void ImageView::fitToWindow() {
    m_fit = true;
    m_zoom = fitZoom();
    updateScrollBars();
    viewport()->update();
    emit zoomChanged(m_zoom, m_fit);
}

void ImageView::zoomAround(double zoom, QPointF vpPos) {
    if (m_pixmap.isNull()) return;
    zoom = std::clamp(zoom, kMinZoom, kMaxZoom);
    const QRectF before = targetRect();
    const QPointF imagePos = (vpPos - before.topLeft()) / m_zoom;  // image pixel under the anchor
    m_zoom = zoom;
    m_fit = false;
    updateScrollBars();
    // Put the same image pixel back under the anchor.
    const QPointF scaled = imagePos * m_zoom;
    horizontalScrollBar()->setValue(int(std::lround(scaled.x() - vpPos.x())));
    verticalScrollBar()->setValue(int(std::lround(scaled.y() - vpPos.y())));
    viewport()->update();
    emit zoomChanged(m_zoom, m_fit);
}

void ImageView::updateScrollBars() {
    const QSize scaled = m_pixmap.isNull() ? QSize() : (QSizeF(m_pixmap.size()) * m_zoom).toSize();
    const QSize vp = viewport()->size();
    horizontalScrollBar()->setRange(0, std::max(0, scaled.width() - vp.width()));
    verticalScrollBar()->setRange(0, std::max(0, scaled.height() - vp.height()));
    horizontalScrollBar()->setPageStep(vp.width());
    verticalScrollBar()->setPageStep(vp.height());
    horizontalScrollBar()->setSingleStep(24);
    verticalScrollBar()->setSingleStep(24);
}

QRectF ImageView::targetRect() const {
    const QSizeF scaled = QSizeF(m_pixmap.size()) * m_zoom;
    const QSize vp = viewport()->size();
    const double x = scaled.width() < vp.width() ? (vp.width() - scaled.width()) / 2 : -horizontalScrollBar()->value();
    const double y = scaled.height() < vp.height() ? (vp.height() - scaled.height()) / 2 : -verticalScrollBar()->value();
    return {x, y, scaled.width(), scaled.height()};
}

void ImageView::paintEvent(QPaintEvent*) {
    QPainter p(viewport());
    if (m_pixmap.isNull()) return;
    const QRectF target = targetRect();
    if (m_pixmap.hasAlphaChannel()) {  // checkerboard behind transparency
        const int cell = 8;
        const QColor a = palette().color(QPalette::Base), b = a.lighter(115);
        p.save();
        p.setClipRect(target);
        const QRect t = target.toAlignedRect();
        for (int y = t.top(); y < t.bottom(); y += cell)
            for (int x = t.left(); x < t.right(); x += cell)
                p.fillRect(x, y, cell, cell, (((x - t.left()) / cell + (y - t.top()) / cell) % 2) ? a : b);
        p.restore();
    }
    // Smooth when shrinking; nearest pixels when enlarged, so pixels can be inspected.
    p.setRenderHint(QPainter::SmoothPixmapTransform, m_zoom < 2.0);
    p.drawPixmap(target, m_pixmap, QRectF(m_pixmap.rect()));
}

void ImageView::resizeEvent(QResizeEvent* event) {
    QAbstractScrollArea::resizeEvent(event);
    if (m_fit) {
        const double z = fitZoom();
        if (z != m_zoom) {
            m_zoom = z;
            emit zoomChanged(m_zoom, m_fit);
        }
    }
    updateScrollBars();
}

void ImageView::wheelEvent(QWheelEvent* event) {
    if (event->modifiers() & Qt::ControlModifier) {
        const double steps = event->angleDelta().y() / 120.0;
        if (steps != 0) zoomAround(m_zoom * std::pow(kStep, steps), event->position());
        event->accept();
        return;
    }
    QAbstractScrollArea::wheelEvent(event);
}

void ImageView::mousePressEvent(QMouseEvent* event) {
    if (event->button() == Qt::LeftButton) {
        m_dragging = true;
        m_dragStart = event->position().toPoint();
        m_dragScroll = {horizontalScrollBar()->value(), verticalScrollBar()->value()};
        viewport()->setCursor(Qt::ClosedHandCursor);
    }
    QAbstractScrollArea::mousePressEvent(event);
}

void ImageView::mouseMoveEvent(QMouseEvent* event) {
    if (m_dragging) {
        const QPoint d = event->position().toPoint() - m_dragStart;
        horizontalScrollBar()->setValue(m_dragScroll.x() - d.x());
        verticalScrollBar()->setValue(m_dragScroll.y() - d.y());
    }
    QAbstractScrollArea::mouseMoveEvent(event);
}

void ImageView::mouseReleaseEvent(QMouseEvent* event) {
    m_dragging = false;
    viewport()->setCursor(Qt::OpenHandCursor);
    QAbstractScrollArea::mouseReleaseEvent(event);
}

void ImageView::scrollContentsBy(int, int) { viewport()->update(); }

}  // namespace gui
