// TimelinePreview implementation: one render at a time on the global QThreadPool; each opens a
// TimelineRenderer on its own snapshot (a renderer belongs to one thread) and returns a QImage.
// Thread-safety: see the header.
#include "gui/timeline/timeline-preview.h"

#include <QPointer>
#include <QThreadPool>

#include <algorithm>
#include <cstring>

#include "gui/post.h"
#include "pipelines/timeline-render.h"

namespace gui {

namespace {

atelier::Result<QImage> renderFrame(atelier::pipelines::RenderTimeline tl, qint64 ms, int maxWidth) {
    atelier::pipelines::RenderOptions opts;
    opts.width = std::min(maxWidth, tl.width) & ~1;
    opts.height = std::max(2, int(double(tl.height) * opts.width / std::max(1, tl.width))) & ~1;
    opts.burn_subtitles = true;
    ATELIER_TRY_ASSIGN(auto renderer, atelier::pipelines::TimelineRenderer::open(std::move(tl), opts));
    const int64_t frames = renderer->frame_count();
    if (frames <= 0) {
        QImage black(opts.width, opts.height, QImage::Format_RGB32);
        black.fill(Qt::black);
        return black;
    }
    const int64_t index = std::clamp<int64_t>(ms * renderer->fps_num() / (1000LL * renderer->fps_den()), 0, frames - 1);
    ATELIER_TRY_ASSIGN(const atelier::media::Image* img, renderer->frame(index));
    QImage out(img->width, img->height, QImage::Format_RGBA8888);
    for (int y = 0; y < img->height; ++y)
        std::memcpy(out.scanLine(y), img->rgba.data() + size_t(y) * size_t(img->width) * 4, size_t(img->width) * 4);
    return out;
}

}  // namespace

TimelinePreview::TimelinePreview(QObject* parent) : QObject(parent) {}
TimelinePreview::~TimelinePreview() = default;

void TimelinePreview::request(atelier::pipelines::RenderTimeline tl, qint64 ms, int maxWidth) {
    Request r{std::move(tl), ms, maxWidth};
    if (m_busy) {
        m_next = std::move(r);
        return;
    }
    start(std::move(r));
}

void TimelinePreview::start(Request r) {
    m_busy = true;
    QPointer<TimelinePreview> self(this);
    QThreadPool::globalInstance()->start([self, r = std::move(r)]() mutable {
        auto img = renderFrame(std::move(r.tl), r.ms, r.maxWidth);
        if (!self) return;
        const qint64 ms = r.ms;
        post(self.data(), [self, img = std::move(img), ms]() mutable {
            if (!self) return;
            self->m_busy = false;
            if (img) {
                ++self->m_rendered;
                emit self->frameReady(*img, ms);
            } else {
                emit self->renderFailed(QString::fromStdString(img.error().detail));
            }
            if (self->m_next) {
                Request next = std::move(*self->m_next);
                self->m_next.reset();
                self->start(std::move(next));
            }
        });
    });
}

}  // namespace gui
