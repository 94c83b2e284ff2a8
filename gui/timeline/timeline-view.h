// TimelineView: the painted track area of the Timeline workspace: a time ruler with the playhead,
// one lane per track (clips as boxes, subtitle items as text boxes), and the gestures: click the
// ruler to move the playhead, drag a clip to move it (to another lane of the same kind too), drag
// its edges to trim, drop gallery assets to add, Ctrl+wheel or +/- to zoom. Moves and trims snap
// to clip edges and the playhead. The view never edits the project: it emits the finished edit
// (before/after rows) and the workspace pushes the command.
// Thread-safety: GUI thread only.
#pragma once

#include <QHash>
#include <QStringList>
#include <QWidget>

#include <optional>

#include "projects/project.h"
#include "projects/timeline-store.h"

namespace gui {

inline constexpr const char* kAssetUuidsMime = "application/x-atelier-asset-uuids";  // uuids, one a line

struct TimelineAssetInfo {
    atelier::projects::AssetKind kind = atelier::projects::AssetKind::Invalid;
    QString name;
    qint64 durationMs = 0;  // 0 for images
};

class TimelineView : public QWidget {
    Q_OBJECT
public:
    explicit TimelineView(QWidget* parent = nullptr);

    void setDocument(const atelier::projects::TimelineDoc& doc, const QHash<QString, TimelineAssetInfo>& assets);
    const atelier::projects::TimelineDoc& document() const { return m_doc; }
    const atelier::projects::ClipRow* clip(const QString& uuid) const;

    double pixelsPerSecond() const { return m_pps; }
    void setPixelsPerSecond(double pps);
    void zoomIn() { setPixelsPerSecond(m_pps * 1.25); }
    void zoomOut() { setPixelsPerSecond(m_pps / 1.25); }

    qint64 playheadMs() const { return m_playheadMs; }
    void setPlayheadMs(qint64 ms);
    QString selectedClip() const { return m_selected; }
    void selectClip(const QString& uuid);

    // Geometry, for tests and drops: the lane rectangle of a track and the x of a time.
    QRect laneRect(int trackIndex) const;
    QRect clipRect(const QString& uuid) const;
    int xForMs(qint64 ms) const;
    qint64 msForX(int x) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

signals:
    void clipEdited(const atelier::projects::ClipRow& before, const atelier::projects::ClipRow& after, const QString& label);
    void assetsDropped(const QStringList& assetUuids, const QString& trackUuid, qint64 startMs);
    void playheadMoved(qint64 ms);
    void selectionChanged(const QString& clipUuid);
    void deleteRequested();
    void zoomChanged(double pixelsPerSecond);

protected:
    bool event(QEvent* e) override;
    void paintEvent(QPaintEvent* e) override;
    void mousePressEvent(QMouseEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void mouseReleaseEvent(QMouseEvent* e) override;
    void wheelEvent(QWheelEvent* e) override;
    void keyPressEvent(QKeyEvent* e) override;
    void dragEnterEvent(QDragEnterEvent* e) override;
    void dragMoveEvent(QDragMoveEvent* e) override;
    void dropEvent(QDropEvent* e) override;

private:
    enum class Drag { None, Playhead, Move, TrimLeft, TrimRight };
    int trackAt(int y) const;
    std::optional<qint64> sourceDuration(const atelier::projects::ClipRow& c) const;
    atelier::projects::TrackKind trackKind(const QString& trackUuid) const;
    atelier::projects::ClipRow draggedRow(const QPoint& pos) const;
    void paintClip(QPainter& p, const atelier::projects::ClipRow& c, const QRect& r, bool selected) const;

    atelier::projects::TimelineDoc m_doc;
    QHash<QString, TimelineAssetInfo> m_assets;
    double m_pps = 40.0;  // pixels per second
    qint64 m_playheadMs = 0;
    QString m_selected;
    Drag m_drag = Drag::None;
    QPoint m_pressPos;
    atelier::projects::ClipRow m_dragBefore;
    std::optional<atelier::projects::ClipRow> m_dragNow;  // the dragged clip as it would land
};

}  // namespace gui
