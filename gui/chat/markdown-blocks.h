// Splits a chat message's Markdown into prose and fenced code blocks, so each code block can be
// shown in its own frame with a Copy button while the prose is rendered as Markdown (QLabel with
// Qt::MarkdownText, i.e. QTextDocument's CommonMark/GitHub support in Qt 6). An unclosed fence
// (an answer still streaming) runs to the end of the text.
// Thread-safety: pure functions.
#pragma once

#include <QList>
#include <QString>

namespace gui {

struct MarkdownBlock {
    bool code = false;
    QString language;  // the fence's info string ("python"); empty when none or prose
    QString text;      // prose: Markdown; code: the code itself, without the fences
    bool operator==(const MarkdownBlock& o) const { return code == o.code && language == o.language && text == o.text; }
};

// Blocks in order; empty prose between code blocks is dropped. Fences: ``` or ~~~ (3 or more),
// indented by at most 3 spaces, closed by the same character, at least as long.
QList<MarkdownBlock> splitMarkdown(const QString& markdown);

}  // namespace gui
