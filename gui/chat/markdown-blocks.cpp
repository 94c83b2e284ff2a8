// splitMarkdown: a line scanner for CommonMark fenced code blocks (enough for chat answers; the
// prose between them is left to QTextDocument's Markdown reader).
#include "gui/chat/markdown-blocks.h"

#include <QStringList>

namespace gui {

namespace {

// A fence line: up to 3 spaces, then 3+ of ` or ~. Returns its length and character (0: none).
int fenceLength(const QString& line, QChar* fenceChar, QString* info) {
    int i = 0;
    while (i < line.size() && i < 3 && line[i] == u' ') ++i;
    if (i >= line.size() || (line[i] != u'`' && line[i] != u'~')) return 0;
    const QChar c = line[i];
    int n = 0;
    while (i + n < line.size() && line[i + n] == c) ++n;
    if (n < 3) return 0;
    const QString rest = line.mid(i + n).trimmed();
    if (c == u'`' && rest.contains(u'`')) return 0;  // not a fence: inline code
    if (fenceChar) *fenceChar = c;
    if (info) *info = rest.section(u' ', 0, 0);
    return n;
}

}  // namespace

QList<MarkdownBlock> splitMarkdown(const QString& markdown) {
    QList<MarkdownBlock> out;
    const QStringList lines = markdown.split(u'\n');
    QStringList prose, code;
    bool inCode = false;
    QChar fence;
    int fenceLen = 0;
    QString language;
    auto flushProse = [&] {
        const QString text = prose.join(u'\n');
        if (!text.trimmed().isEmpty()) out.append({false, QString(), text});
        prose.clear();
    };
    for (const QString& line : lines) {
        if (!inCode) {
            QChar c;
            QString info;
            const int n = fenceLength(line, &c, &info);
            if (n > 0) {
                flushProse();
                inCode = true;
                fence = c;
                fenceLen = n;
                language = info;
                code.clear();
            } else {
                prose << line;
            }
            continue;
        }
        QChar c;
        const int n = fenceLength(line, &c, nullptr);
        if (n >= fenceLen && c == fence && line.trimmed().size() == n) {
            out.append({true, language, code.join(u'\n')});
            inCode = false;
        } else {
            code << line;
        }
    }
    if (inCode) out.append({true, language, code.join(u'\n')});
    flushProse();
    return out;
}

}  // namespace gui
