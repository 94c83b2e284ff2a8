// ThumbnailLoader implementation. The cache holds about 96 MB of decoded pixmaps (roughly 900
// gallery cells at 160 px); evicted entries are simply decoded again when scrolled back into view.
#include "gui/models/thumbnail-loader.h"

#include <QPainter>
#include <QTimer>

#include <algorithm>

#include "gui/post.h"

namespace gui {

using atelier::projects::AssetKind;

ThumbnailLoader::ThumbnailLoader(QObject* parent) : QObject(parent) {
    m_pool.setMaxThreadCount(qBound(1, QThread::idealThreadCount() - 1, 4));
    m_cache.setMaxCost(96 * 1024 * 1024);
}

ThumbnailLoader::~ThumbnailLoader() {
    m_pool.clear();
    m_pool.waitForDone();
}

void ThumbnailLoader::setSource(atelier::projects::Project* project) {
    m_pool.clear();
    m_pool.waitForDone();  // tasks only decode bytes: bounded to a few ms
    m_project = project;
    m_none.clear();
    dropDecoded();
}

void ThumbnailLoader::dropDecoded() {
    ++m_generation;  // results still in flight are ignored when they arrive
    m_cache.clear();
    m_inFlight.clear();
    m_queue.clear();
}

void ThumbnailLoader::setSide(int px) {
    if (px == m_side || px <= 0) return;
    m_side = px;
    dropDecoded();
}

void ThumbnailLoader::setWaveColor(const QColor& color) {
    if (color == m_waveColor) return;
    m_waveColor = color;  // waveforms are drawn in this colour: redraw them in the new theme
    dropDecoded();
}

void ThumbnailLoader::invalidate(const QString& uuid) {
    m_cache.remove(uuid);
    m_none.remove(uuid);
}

QPixmap ThumbnailLoader::get(const QString& uuid, AssetKind kind) {
    if (QPixmap* pm = m_cache.object(uuid)) return *pm;
    if (!m_project || m_none.contains(uuid) || m_inFlight.contains(uuid)) return {};
    m_inFlight.insert(uuid);
    m_queue.append({uuid, kind});
    scheduleFlush();
    return {};
}

void ThumbnailLoader::scheduleFlush() {
    if (m_flushScheduled) return;
    m_flushScheduled = true;
    QTimer::singleShot(0, this, [this] { flush(); });
}

void ThumbnailLoader::flush() {
    m_flushScheduled = false;
    if (!m_project) return;
    const auto queue = std::exchange(m_queue, {});
    const quint64 gen = m_generation;
    const int side = m_side;
    const QColor wave = m_waveColor;
    for (const auto& [uuid, kind] : queue) {
        const std::string id = uuid.toStdString();
        if (kind == AssetKind::Audio) {
            auto derived = m_project->get_derived(id);
            if (!derived || derived->waveform.empty()) {
                m_inFlight.remove(uuid);
                m_none.insert(uuid);
                continue;
            }
            m_pool.start([this, gen, uuid, side, wave, minMax = std::move(derived->waveform)] {
                QImage img = renderWaveform(minMax, QSize(side, side / 2), wave);
                post(this, [this, gen, uuid, img] { finish(gen, uuid, img); });
            });
            continue;
        }
        auto bytes = m_project->get_thumbnail(id);
        if (!bytes || bytes->empty()) {
            m_inFlight.remove(uuid);
            m_none.insert(uuid);
            continue;
        }
        QByteArray png(reinterpret_cast<const char*>(bytes->data()), qsizetype(bytes->size()));
        m_pool.start([this, gen, uuid, side, png = std::move(png)] {
            QImage img = decodeThumbnail(png, side);
            post(this, [this, gen, uuid, img] { finish(gen, uuid, img); });
        });
    }
}

void ThumbnailLoader::finish(quint64 generation, const QString& uuid, const QImage& image) {
    if (generation != m_generation) return;
    m_inFlight.remove(uuid);
    if (image.isNull()) {
        m_none.insert(uuid);
        emit ready(uuid);
        return;
    }
    auto* pm = new QPixmap(QPixmap::fromImage(image));
    m_cache.insert(uuid, pm, std::max<qsizetype>(1, qsizetype(pm->width()) * pm->height() * 4));
    emit ready(uuid);
}

QImage ThumbnailLoader::decodeThumbnail(const QByteArray& png, int side) {
    QImage img = QImage::fromData(png);
    if (img.isNull()) return {};
    if (img.width() > side || img.height() > side)
        img = img.scaled(side, side, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    return img.convertToFormat(QImage::Format_ARGB32_Premultiplied);
}

QImage ThumbnailLoader::renderWaveform(const std::vector<float>& minMax, QSize size, const QColor& color) {
    const size_t n_buckets = minMax.size() / 2;
    if (n_buckets == 0 || size.isEmpty()) return {};
    QImage img(size, QImage::Format_ARGB32_Premultiplied);
    img.fill(Qt::transparent);
    QPainter p(&img);
    const int w = size.width(), h = size.height();
    const float mid = h / 2.0f;
    p.setPen(Qt::NoPen);
    p.setBrush(color);
    // One column per pixel: the min/max over the buckets that fall into it.
    for (int x = 0; x < w; ++x) {
        const size_t b0 = n_buckets * size_t(x) / size_t(w);
        const size_t b1 = std::max(b0 + 1, n_buckets * size_t(x + 1) / size_t(w));
        float lo = 0.f, hi = 0.f;
        for (size_t b = b0; b < b1 && b < n_buckets; ++b) {
            lo = std::min(lo, minMax[2 * b]);
            hi = std::max(hi, minMax[2 * b + 1]);
        }
        lo = std::clamp(lo, -1.f, 1.f);
        hi = std::clamp(hi, -1.f, 1.f);
        const float top = mid - hi * mid * 0.95f, bottom = mid - lo * mid * 0.95f;
        p.drawRect(QRectF(x, top, 1.0, std::max(1.0f, bottom - top)));
    }
    return img;
}

}  // namespace gui
