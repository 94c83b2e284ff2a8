// ThumbnailLoader: lazy, cached, asynchronous gallery thumbnails. get() answers from the cache or
// queues the asset; queued requests are flushed together on the next event-loop turn: the small
// stored PNG (or audio waveform summary) is read from the project on the GUI thread (one indexed
// lookup each), decoded and scaled on the loader's own pool, and handed back with gui::post.
// Invariants: results from an older source (setSource) are dropped by generation; the pool is
// drained before the source changes or the loader dies, so no task outlives the Project.
// Thread-safety: GUI thread only (decode tasks never touch this object except through post).
#pragma once

#include <QCache>
#include <QColor>
#include <QHash>
#include <QObject>
#include <QPixmap>
#include <QSet>
#include <QThreadPool>
#include <QVector>

#include <vector>

#include "projects/project.h"

namespace gui {

class ThumbnailLoader : public QObject {
    Q_OBJECT
public:
    explicit ThumbnailLoader(QObject* parent = nullptr);
    ~ThumbnailLoader() override;

    // nullptr detaches. Clears the cache and drops in-flight results.
    void setSource(atelier::projects::Project* project);
    // Largest side of produced pixmaps, in device pixels.
    void setSide(int px);
    void setWaveColor(const QColor& color);

    // Cached pixmap, or a null pixmap after queuing a request (unless the asset has none).
    QPixmap get(const QString& uuid, atelier::projects::AssetKind kind);
    bool isCached(const QString& uuid) const { return m_cache.contains(uuid); }
    bool hasNone(const QString& uuid) const { return m_none.contains(uuid); }
    int pendingCount() const { return int(m_inFlight.size()); }
    void invalidate(const QString& uuid);

    // Pure helpers (any thread): decode+scale a stored thumbnail; draw a min/max waveform.
    static QImage decodeThumbnail(const QByteArray& png, int side);
    static QImage renderWaveform(const std::vector<float>& minMax, QSize size, const QColor& color);

signals:
    void ready(const QString& uuid);

private:
    void dropDecoded();  // forget cached and in-flight results (not the "has none" set)
    void scheduleFlush();
    void flush();
    void finish(quint64 generation, const QString& uuid, const QImage& image);

    atelier::projects::Project* m_project = nullptr;
    QThreadPool m_pool;
    QCache<QString, QPixmap> m_cache;  // cost: bytes
    QSet<QString> m_none;              // assets without a thumbnail: not asked again
    QSet<QString> m_inFlight;
    QVector<QPair<QString, atelier::projects::AssetKind>> m_queue;
    quint64 m_generation = 1;
    int m_side = 160;
    QColor m_waveColor{0x7c86ff};
    bool m_flushScheduled = false;
};

}  // namespace gui
