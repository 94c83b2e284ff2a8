// TimelinePreview: the frame of the timeline at a time, rendered off the GUI thread through
// pipelines::TimelineRenderer (the path export uses) at a small size. Requests coalesce: while
// one render runs, only the newest request is kept and rendered next.
// Thread-safety: call on the GUI thread; the render runs on QThreadPool and the result comes
// back through gui::post (dropped if this object is gone).
#pragma once

#include <QImage>
#include <QObject>

#include <optional>

#include "pipelines/timeline.h"

namespace gui {

class TimelinePreview : public QObject {
    Q_OBJECT
public:
    explicit TimelinePreview(QObject* parent = nullptr);
    ~TimelinePreview() override;

    // Renders `tl` at `ms` at most maxWidth pixels wide (the timeline's aspect).
    void request(atelier::pipelines::RenderTimeline tl, qint64 ms, int maxWidth = 480);
    bool busy() const { return m_busy; }
    int rendered() const { return m_rendered; }  // frames delivered so far

signals:
    void frameReady(const QImage& frame, qint64 ms);
    void renderFailed(const QString& message);

private:
    struct Request {
        atelier::pipelines::RenderTimeline tl;
        qint64 ms = 0;
        int maxWidth = 480;
    };
    void start(Request r);

    bool m_busy = false;
    int m_rendered = 0;
    std::optional<Request> m_next;
};

}  // namespace gui
