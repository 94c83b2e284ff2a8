// ImageView: a zoomable, pannable image canvas. Fit mode (the default) scales the image down to
// the viewport and follows resizes; any explicit zoom leaves fit mode. Ctrl+wheel zooms around
// the cursor; dragging pans. Thread-safety: GUI thread only.
#pragma once

#include <QAbstractScrollArea>
#include <QPixmap>

namespace gui {

class ImageView : public QAbstractScrollArea {
    Q_OBJECT
public:
    explicit ImageView(QWidget* parent = nullptr);

    // keepView: keep the current zoom/fit (used when the full image replaces its thumbnail).
    void setImage(const QImage& image, bool keepView = false);
    void clear();
    bool hasImage() const { return !m_pixmap.isNull(); }
    QSize imageSize() const { return m_pixmap.size(); }

    double zoom() const { return m_zoom; }
    bool isFit() const { return m_fit; }
    void setZoom(double zoom);  // 1.0 = 100%; clamped to [0.02, 32]
    void zoomIn();
    void zoomOut();
    void fitToWindow();
    void actualSize();

signals:
    void zoomChanged(double zoom, bool fit);

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void scrollContentsBy(int dx, int dy) override;

private:
    void zoomAround(double zoom, QPointF viewportPos);
    double fitZoom() const;
    void updateScrollBars();
    QRectF targetRect() const;

    QPixmap m_pixmap;
    double m_zoom = 1.0;
    bool m_fit = true;
    QPoint m_dragStart;
    QPoint m_dragScroll;
    bool m_dragging = false;
};

}  // namespace gui
