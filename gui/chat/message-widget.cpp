// MessageWidget implementation. Invariant: m_blockWidgets, m_blockLabels and m_blocks are
// parallel; a streaming update that keeps the block shape only changes label texts.
#include "gui/chat/message-widget.h"

#include <QClipboard>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace gui {

using atelier::projects::MessageState;

namespace {

QToolButton* headerButton(const QString& text, const char* name, const QString& tip, QWidget* parent) {
    auto* b = new QToolButton(parent);
    b->setText(text);
    b->setObjectName(QString::fromLatin1(name));
    b->setToolTip(tip);
    b->setAutoRaise(true);
    b->setCursor(Qt::PointingHandCursor);
    return b;
}

QLabel* proseLabel(QWidget* parent) {
    auto* l = new QLabel(parent);
    l->setObjectName(QStringLiteral("messageText"));
    l->setTextFormat(Qt::MarkdownText);
    l->setWordWrap(true);
    l->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::LinksAccessibleByMouse);
    l->setOpenExternalLinks(true);
    l->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Minimum);
    return l;
}

bool sameShape(const QList<MarkdownBlock>& a, const QList<MarkdownBlock>& b) {
    if (a.size() != b.size()) return false;
    for (qsizetype i = 0; i < a.size(); ++i)
        if (a[i].code != b[i].code || a[i].language != b[i].language) return false;
    return true;
}

QString stateText(const MessageInfo& m) {
    switch (m.state) {
        case MessageState::Streaming: return m.content.isEmpty() && m.reasoning.isEmpty() ? QObject::tr("Waiting…") : QObject::tr("Writing…");
        case MessageState::Stopped: return QObject::tr("Stopped");
        case MessageState::Failed: return QObject::tr("Failed");
        case MessageState::Interrupted: return QObject::tr("Interrupted");
        case MessageState::Done:
        case MessageState::Invalid: break;
    }
    return {};
}

}  // namespace

QString reasoningSummary(const QString& reasoning, bool streaming) {
    const qsizetype words = reasoning.split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts).size();
    if (streaming) return QObject::tr("Thinking… · %n word(s)", nullptr, int(words));
    return QObject::tr("Thought · %n word(s)", nullptr, int(words));
}

MessageWidget::MessageWidget(const MessageInfo& info, QWidget* parent) : QFrame(parent), m_info(info) {
    const bool user = info.role == u"user";
    setObjectName(user ? QStringLiteral("messageUser") : QStringLiteral("messageAssistant"));
    setStyleSheet(user ? QStringLiteral("QFrame#messageUser { background: palette(alternate-base); border-radius: 10px; }")
                       : QStringLiteral("QFrame#messageAssistant { background: palette(base); border-radius: 10px; }"
                                        "QFrame#codeBlock { background: palette(window); border-radius: 6px; }"));
    setMinimumWidth(220);  // explicit: a narrow window squeezes the header instead of clipping the text
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(14, 8, 14, 10);
    layout->setSpacing(6);
    buildHeader(layout);

    m_reasoningToggle = new QToolButton(this);
    m_reasoningToggle->setObjectName(QStringLiteral("reasoningToggle"));
    m_reasoningToggle->setCheckable(true);
    m_reasoningToggle->setChecked(false);  // collapsed: the answer comes first
    m_reasoningToggle->setAutoRaise(true);
    m_reasoningToggle->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_reasoningToggle->setArrowType(Qt::RightArrow);
    m_reasoningText = new QLabel(this);
    m_reasoningText->setObjectName(QStringLiteral("reasoningText"));
    m_reasoningText->setTextFormat(Qt::PlainText);
    m_reasoningText->setWordWrap(true);
    m_reasoningText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_reasoningText->setForegroundRole(QPalette::PlaceholderText);
    m_reasoningText->setVisible(false);
    layout->addWidget(m_reasoningToggle, 0, Qt::AlignLeft);
    layout->addWidget(m_reasoningText);
    connect(m_reasoningToggle, &QToolButton::toggled, this, [this](bool open) {
        m_reasoningToggle->setArrowType(open ? Qt::DownArrow : Qt::RightArrow);
        m_reasoningText->setVisible(open);
    });

    m_body = new QWidget(this);
    m_bodyLayout = new QVBoxLayout(m_body);
    m_bodyLayout->setContentsMargins(0, 0, 0, 0);
    m_bodyLayout->setSpacing(6);
    layout->addWidget(m_body);
    updateHeader();
    updateBody();
}

void MessageWidget::buildHeader(QVBoxLayout* layout) {
    auto* row = new QHBoxLayout;
    row->setSpacing(4);
    m_author = new QLabel(this);
    m_author->setObjectName(QStringLiteral("sectionTitle"));
    row->addWidget(m_author);
    m_prev = headerButton(QStringLiteral("‹"), "previousBranch", tr("Previous version"), this);
    m_branch = new QLabel(this);
    m_branch->setObjectName(QStringLiteral("branchLabel"));
    m_next = headerButton(QStringLiteral("›"), "nextBranch", tr("Next version"), this);
    row->addWidget(m_prev);
    row->addWidget(m_branch);
    row->addWidget(m_next);
    m_state = new QLabel(this);
    m_state->setObjectName(QStringLiteral("messageState"));
    m_state->setForegroundRole(QPalette::PlaceholderText);
    row->addSpacing(8);
    row->addWidget(m_state);
    row->addStretch(1);
    m_copy = headerButton(tr("Copy"), "copyMessage", tr("Copy the whole message as Markdown"), this);
    m_edit = headerButton(tr("Edit"), "editMessage", tr("Edit this question and ask again on a new branch"), this);
    m_regenerate = headerButton(tr("Retry"), "regenerateMessage", tr("Regenerate: write another answer (Ctrl+Shift+R)"), this);
    m_details = headerButton(tr("Info"), "provenanceButton", tr("Details: model, hash, parameters, seed and timings"), this);
    for (QToolButton* b : {m_copy, m_edit, m_regenerate, m_details}) row->addWidget(b);
    layout->addLayout(row);
    connect(m_prev, &QToolButton::clicked, this, [this] { emit branchRequested(m_info.uuid, -1); });
    connect(m_next, &QToolButton::clicked, this, [this] { emit branchRequested(m_info.uuid, +1); });
    connect(m_copy, &QToolButton::clicked, this, [this] {
        QGuiApplication::clipboard()->setText(m_info.content);
        m_copy->setText(tr("Copied"));
        QTimer::singleShot(1500, m_copy, [b = m_copy] { b->setText(tr("Copy")); });
    });
    connect(m_edit, &QToolButton::clicked, this, &MessageWidget::beginEdit);
    connect(m_regenerate, &QToolButton::clicked, this, [this] { emit regenerateRequested(m_info.uuid); });
    connect(m_details, &QToolButton::clicked, this, [this] { emit detailsRequested(m_info.uuid); });
}

void MessageWidget::setInfo(const MessageInfo& info) {
    const bool contentChanged = info.content != m_info.content || info.state != m_info.state || info.error != m_info.error;
    const bool reasoningChanged = info.reasoning != m_info.reasoning || info.state != m_info.state;
    m_info = info;
    updateHeader();
    if (contentChanged || reasoningChanged) updateBody();
}

void MessageWidget::updateHeader() {
    const bool user = m_info.role == u"user";
    const bool streaming = m_info.state == MessageState::Streaming;
    m_author->setText(m_info.author);
    const bool branches = m_info.siblings > 1;
    m_prev->setVisible(branches);
    m_next->setVisible(branches);
    m_branch->setVisible(branches);
    m_branch->setText(QStringLiteral("%1/%2").arg(m_info.sibling + 1).arg(m_info.siblings));
    m_prev->setEnabled(m_info.sibling > 0);
    m_next->setEnabled(m_info.sibling + 1 < m_info.siblings);
    m_state->setText(stateText(m_info));
    m_edit->setVisible(user && m_editor == nullptr);
    m_regenerate->setVisible(m_info.role == u"assistant");
    m_regenerate->setEnabled(!streaming);
    m_details->setVisible(m_info.role == u"assistant" && m_info.hasProvenance);
    m_copy->setEnabled(!m_info.content.isEmpty());
}

void MessageWidget::updateBody() {
    const bool streaming = m_info.state == MessageState::Streaming;
    m_reasoningToggle->setVisible(!m_info.reasoning.isEmpty());
    m_reasoningToggle->setText(reasoningSummary(m_info.reasoning, streaming && m_info.content.isEmpty()));
    m_reasoningText->setText(m_info.reasoning);
    QList<MarkdownBlock> blocks;
    if (m_info.role == u"user") blocks.append({false, QString(), m_info.content});
    else blocks = splitMarkdown(m_info.content);
    if (m_info.state == MessageState::Failed && !m_info.error.isEmpty())
        blocks.append({false, QStringLiteral("error"), QStringLiteral("**%1** %2").arg(tr("Could not answer:"), m_info.error)});
    if (!sameShape(blocks, m_blocks)) {
        rebuildBlocks(blocks);
    } else {
        for (qsizetype i = 0; i < blocks.size(); ++i)
            if (!(blocks[i] == m_blocks[i])) {
                auto* label = m_blockWidgets[i]->findChild<QLabel*>(QStringLiteral("codeText"));
                if (!blocks[i].code) label = qobject_cast<QLabel*>(m_blockWidgets[i]);
                if (label) label->setText(blocks[i].text);
            }
        m_blocks = blocks;
    }
}

void MessageWidget::rebuildBlocks(const QList<MarkdownBlock>& blocks) {
    for (QWidget* w : m_blockWidgets) w->deleteLater();
    m_blockWidgets.clear();
    m_prose.clear();
    m_code.clear();
    m_codeCopy.clear();
    int codeIndex = 0;
    for (const MarkdownBlock& b : blocks) {
        QWidget* w = nullptr;
        if (b.code) {
            w = makeCodeBlock(b, codeIndex++);
        } else {
            QLabel* l = proseLabel(m_body);
            const bool plain = m_info.role == u"user";
            l->setTextFormat(plain ? Qt::PlainText : Qt::MarkdownText);
            l->setText(b.text);
            m_prose.append(l);
            w = l;
        }
        m_bodyLayout->addWidget(w);
        m_blockWidgets.append(w);
    }
    m_blocks = blocks;
}

QWidget* MessageWidget::makeCodeBlock(const MarkdownBlock& block, int index) {
    auto* frame = new QFrame(m_body);
    frame->setObjectName(QStringLiteral("codeBlock"));
    auto* v = new QVBoxLayout(frame);
    v->setContentsMargins(10, 4, 6, 8);
    v->setSpacing(2);
    auto* head = new QHBoxLayout;
    auto* lang = new QLabel(block.language.isEmpty() ? tr("code") : block.language, frame);
    lang->setForegroundRole(QPalette::PlaceholderText);
    auto* copy = new QPushButton(tr("Copy"), frame);
    copy->setObjectName(QStringLiteral("flatButton"));
    copy->setProperty("codeIndex", index);
    copy->setCursor(Qt::PointingHandCursor);
    copy->setToolTip(tr("Copy this code block"));
    head->addWidget(lang);
    head->addStretch(1);
    head->addWidget(copy);
    v->addLayout(head);
    auto* code = new QLabel(frame);
    code->setObjectName(QStringLiteral("codeText"));
    code->setTextFormat(Qt::PlainText);
    code->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    code->setTextInteractionFlags(Qt::TextSelectableByMouse);
    code->setWordWrap(true);
    code->setText(block.text);
    v->addWidget(code);
    connect(copy, &QPushButton::clicked, this, [this, copy, code] {
        QGuiApplication::clipboard()->setText(code->text());
        copy->setText(tr("Copied"));
        QTimer::singleShot(1500, copy, [copy] { copy->setText(tr("Copy")); });
    });
    m_code.append(code);
    m_codeCopy.append(copy);
    return frame;
}

void MessageWidget::beginEdit() {
    if (m_editor != nullptr || m_info.role != u"user") return;
    m_editor = new QWidget(this);
    auto* v = new QVBoxLayout(m_editor);
    v->setContentsMargins(0, 0, 0, 0);
    m_editBox = new QPlainTextEdit(m_info.content, m_editor);
    m_editBox->setObjectName(QStringLiteral("editBox"));
    m_editBox->setMaximumHeight(140);
    auto* row = new QHBoxLayout;
    row->addStretch(1);
    auto* cancel = new QPushButton(tr("Cancel"), m_editor);
    m_editSend = new QPushButton(tr("Save && Send"), m_editor);
    m_editSend->setObjectName(QStringLiteral("primaryButton"));
    row->addWidget(cancel);
    row->addWidget(m_editSend);
    v->addWidget(m_editBox);
    v->addLayout(row);
    m_body->setVisible(false);
    static_cast<QVBoxLayout*>(layout())->addWidget(m_editor);
    connect(cancel, &QPushButton::clicked, this, &MessageWidget::endEdit);
    connect(m_editSend, &QPushButton::clicked, this, [this] {
        const QString text = m_editBox->toPlainText();
        endEdit();
        if (!text.trimmed().isEmpty()) emit editSubmitted(m_info.uuid, text);
    });
    updateHeader();
    m_editBox->setFocus();
}

void MessageWidget::endEdit() {
    if (m_editor == nullptr) return;
    m_editor->deleteLater();
    m_editor = nullptr;
    m_editBox = nullptr;
    m_editSend = nullptr;
    m_body->setVisible(true);
    updateHeader();
}

}  // namespace gui
