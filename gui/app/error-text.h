// Maps atelier::Error codes to the sentences a user reads (STYLE §4: the core never writes user
// prose; gui/ does). Each message says what happened and what to do; the Error's own hint is
// appended when it adds something, and its technical detail goes to detailText().
// Thread-safety: pure functions; callable from any thread.
#pragma once

#include <QString>

#include "core/result.h"

namespace gui {

// One or two sentences: what happened + what to do.
QString userMessage(const atelier::Error& error);
// Title for a dialog about a project that could not be opened/created.
QString projectErrorTitle(const atelier::Error& error);
// Technical detail for "Show Details" ("detail (code name)").
QString detailText(const atelier::Error& error);

}  // namespace gui
