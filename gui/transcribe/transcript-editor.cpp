// TranscriptEditor implementation. Invariant: m_units matches the text view's characters as of
// the last rebuild(); edits go to the UndoStack first and the view follows via historyChanged.
// Thread-safety: GUI thread only.
#include "gui/transcribe/transcript-editor.h"

#include <QEvent>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMouseEvent>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextEdit>
#include <QVBoxLayout>

#include "gui/app/error-text.h"
#include "gui/session/project-session.h"
#include "pipelines/transcribe-edit.h"

namespace gui {

namespace pl = atelier::pipelines;

namespace {

QString clock(qint64 ms) {
    return QStringLiteral("%1:%2.%3")
        .arg(ms / 60000)
        .arg(ms / 1000 % 60, 2, 10, QLatin1Char('0'))
        .arg(ms / 100 % 10);
}

}  // namespace

TranscriptEditor::TranscriptEditor(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("transcriptEditor"));
    m_text = new QTextEdit;
    m_text->setObjectName(QStringLiteral("transcriptText"));
    m_text->setReadOnly(true);
    m_text->viewport()->installEventFilter(this);
    m_text->viewport()->setCursor(Qt::PointingHandCursor);
    m_word = new QLineEdit;
    m_word->setObjectName(QStringLiteral("wordEdit"));
    m_word->setPlaceholderText(tr("Click a word to edit it"));
    m_segment = new QLineEdit;
    m_segment->setObjectName(QStringLiteral("segmentEdit"));
    m_info = new QLabel;
    m_info->setObjectName(QStringLiteral("transcriptInfo"));
    auto* form = new QFormLayout;
    form->addRow(tr("Word"), m_word);
    form->addRow(tr("Segment"), m_segment);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_text, 1);
    layout->addWidget(m_info);
    layout->addLayout(form);
    connect(m_word, &QLineEdit::editingFinished, this, &TranscriptEditor::onWordEdited);
    connect(m_segment, &QLineEdit::editingFinished, this, &TranscriptEditor::onSegmentEdited);
    rebuild();
}

void TranscriptEditor::setSession(ProjectSession* session) {
    if (m_session) disconnect(m_session, nullptr, this, nullptr);
    m_session = session;
    if (session) connect(session, &ProjectSession::historyChanged, this, &TranscriptEditor::reload);
    m_uuid.clear();
    reload();
}

void TranscriptEditor::showTranscript(const QString& uuid) {
    m_uuid = uuid;
    m_selected = -1;
    reload();
}

void TranscriptEditor::reload() {
    m_doc = {};
    if (m_session && !m_uuid.isEmpty()) {
        auto doc = atelier::projects::load_transcript(m_session->project(), m_uuid.toStdString());
        if (doc) m_doc = std::move(*doc);
        else m_uuid.clear();  // removed (undo of the transcription)
    }
    rebuild();
}

// Lays the transcript out as paragraphs (one per segment) of units, marking low confidence.
void TranscriptEditor::rebuild() {
    m_filling = true;
    m_units.clear();
    m_text->clear();
    QTextCursor c(m_text->document());
    QTextCharFormat plain, low, time;
    low.setUnderlineStyle(QTextCharFormat::WaveUnderline);
    low.setUnderlineColor(QColor(0xe0, 0x8a, 0x1e));
    low.setForeground(QColor(0xe0, 0x8a, 0x1e));
    time.setForeground(palette().color(QPalette::PlaceholderText));
    for (int s = 0; s < int(m_doc.segments.size()); ++s) {
        const auto& seg = m_doc.segments[size_t(s)];
        if (s > 0) c.insertBlock();
        c.insertText(QStringLiteral("[%1] ").arg(clock(seg.start_ms)), time);
        auto add = [&](int word, const std::string& text, qint64 a, qint64 b, double p) {
            Unit u{s, word, a, b, p, c.position(), 0};
            QTextCharFormat f = p < kLowConfidence ? low : plain;
            if (p < kLowConfidence) f.setToolTip(tr("Low confidence: %1%").arg(qRound(p * 100)));
            c.insertText(QString::fromStdString(text), f);
            u.to = c.position();
            m_units.push_back(u);
        };
        if (seg.words.empty()) add(-1, seg.text, seg.start_ms, seg.end_ms, 1.0);
        for (int w = 0; w < int(seg.words.size()); ++w) {
            const auto& word = seg.words[size_t(w)];
            add(w, word.text, word.start_ms, word.end_ms, word.probability);
        }
    }
    if (m_selected >= int(m_units.size())) m_selected = -1;
    m_current = -1;
    const bool have = !m_units.empty();
    m_info->setText(have ? tr("%1 segments · %2 low-confidence words marked · %3")
                               .arg(m_doc.segments.size())
                               .arg(lowConfidenceCount())
                               .arg(m_doc.transcript.language.empty() ? tr("language unknown")
                                                                      : QString::fromStdString(m_doc.transcript.language))
                         : tr("No transcript. Transcribe a file or the microphone."));
    m_filling = false;
    selectUnit(m_selected);
    paintHighlights();
}

int TranscriptEditor::lowConfidenceCount() const {
    int n = 0;
    for (const auto& u : m_units) n += u.word >= 0 && u.probability < kLowConfidence;
    return n;
}

int TranscriptEditor::unitAt(qint64 ms) const {
    for (int i = 0; i < int(m_units.size()); ++i)
        if (ms >= m_units[size_t(i)].startMs && ms < m_units[size_t(i)].endMs) return i;
    return -1;
}

QRect TranscriptEditor::unitRect(int unit) const {
    if (unit < 0 || unit >= int(m_units.size())) return {};
    QTextCursor c(m_text->document());
    c.setPosition(m_units[size_t(unit)].from);
    const QRect a = m_text->cursorRect(c);
    c.setPosition(m_units[size_t(unit)].to);
    const QRect b = m_text->cursorRect(c);
    return QRect(a.topLeft(), QPoint(std::max(b.left(), a.left() + 2), a.bottom()));
}

void TranscriptEditor::setPlayheadMs(qint64 ms) {
    const int u = unitAt(ms);
    if (u == m_current) return;
    m_current = u;
    paintHighlights();
    if (u >= 0) {
        QTextCursor c(m_text->document());
        c.setPosition(m_units[size_t(u)].from);
        m_text->setTextCursor(c);
        m_text->ensureCursorVisible();
    }
}

void TranscriptEditor::paintHighlights() {
    QList<QTextEdit::ExtraSelection> sel;
    auto mark = [&](int unit, const QColor& bg) {
        if (unit < 0 || unit >= int(m_units.size())) return;
        QTextEdit::ExtraSelection s;
        s.cursor = QTextCursor(m_text->document());
        s.cursor.setPosition(m_units[size_t(unit)].from);
        s.cursor.setPosition(m_units[size_t(unit)].to, QTextCursor::KeepAnchor);
        s.format.setBackground(bg);
        sel << s;
    };
    mark(m_selected, palette().color(QPalette::Highlight).lighter(160));
    mark(m_current, palette().color(QPalette::Highlight));
    m_text->setExtraSelections(sel);
}

void TranscriptEditor::selectUnit(int unit) {
    m_selected = unit;
    m_filling = true;
    const Unit* u = unit >= 0 && unit < int(m_units.size()) ? &m_units[size_t(unit)] : nullptr;
    const auto* seg = u ? &m_doc.segments[size_t(u->segment)] : nullptr;
    m_word->setEnabled(u && u->word >= 0);
    m_word->setText(u && u->word >= 0 ? QString::fromStdString(seg->words[size_t(u->word)].text).trimmed() : QString());
    m_segment->setEnabled(seg != nullptr);
    m_segment->setText(seg ? QString::fromStdString(seg->text).trimmed() : QString());
    m_filling = false;
    paintHighlights();
}

bool TranscriptEditor::eventFilter(QObject* watched, QEvent* event) {
    if (watched == m_text->viewport() && event->type() == QEvent::MouseButtonRelease) {
        const auto* me = static_cast<QMouseEvent*>(event);
        const int pos = m_text->cursorForPosition(me->position().toPoint()).position();
        for (int i = 0; i < int(m_units.size()); ++i) {
            const Unit& u = m_units[size_t(i)];
            if (pos >= u.from && pos <= u.to && u.to > u.from) {
                selectUnit(i);
                emit seekRequested(u.startMs);
                return false;
            }
        }
    }
    return QWidget::eventFilter(watched, event);
}

void TranscriptEditor::onWordEdited() {
    if (m_filling || !m_session || m_selected < 0) return;
    const Unit u = m_units[size_t(m_selected)];
    if (u.word < 0) return;
    const auto& seg = m_doc.segments[size_t(u.segment)];
    const std::string before = seg.words[size_t(u.word)].text;
    QString text = m_word->text().trimmed();
    if (text.isEmpty() || text == QString::fromStdString(before).trimmed()) return;
    // Keep the word's leading space, as the recogniser wrote it.
    const std::string after = (before.rfind(' ', 0) == 0 ? " " : "") + text.toStdString();
    auto cmd = std::make_unique<pl::EditWordTextCommand>(seg.uuid, u.word, before, after, seg.text);
    const auto st = m_session->studio().undo().push(std::move(cmd));
    if (!st) emit statusMessage(userMessage(st.error()), 8000);
    emit m_session->historyChanged();
}

void TranscriptEditor::onSegmentEdited() {
    if (m_filling || !m_session || m_selected < 0) return;
    const auto& seg = m_doc.segments[size_t(m_units[size_t(m_selected)].segment)];
    const QString text = m_segment->text().trimmed();
    if (text.isEmpty() || text == QString::fromStdString(seg.text).trimmed()) return;
    auto cmd = std::make_unique<pl::EditSegmentTextCommand>(seg.uuid, seg.text, text.toStdString());
    const auto st = m_session->studio().undo().push(std::move(cmd));
    if (!st) emit statusMessage(userMessage(st.error()), 8000);
    emit m_session->historyChanged();
}

}  // namespace gui
