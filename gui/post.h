// gui::post: the one way to cross from any thread into the GUI thread (STYLE §5). The closure is
// queued to `context`'s thread (always the GUI thread here); if `context` is deleted before the
// event loop reaches it, Qt drops the closure, so it never runs against a dead object.
// Thread-safety: callable from any thread; the closure runs on the GUI thread.
#pragma once

#include <QMetaObject>
#include <QObject>

#include <functional>
#include <utility>

#include "pipelines/studio.h"

namespace gui {

inline void post(QObject* context, std::function<void()> fn) {
    QMetaObject::invokeMethod(context, std::move(fn), Qt::QueuedConnection);
}

// The `post` function handed to pipelines::Studio: closures hop to `context`'s thread.
inline atelier::pipelines::PostFn makePostFn(QObject* context) {
    return [context](std::function<void()> fn) { post(context, std::move(fn)); };
}

}  // namespace gui
