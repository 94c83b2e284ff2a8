// ChatWorkspace implementation. Invariants: m_service exists exactly while a session is set;
// updates carry the session generation they were posted in and are dropped when it changed;
// m_loading is true while widgets are filled from the project (their signals must not save).
#include "gui/chat/chat-workspace.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
#include <QKeyEvent>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QToolButton>
#include <QVBoxLayout>

#include "gui/app/dialog-hooks.h"
#include "gui/app/error-text.h"
#include "gui/chat/chat-defaults.h"
#include "gui/chat/chat-list-panel.h"
#include "gui/chat/chat-messages.h"
#include "gui/chat/message-view.h"
#include "gui/chat/provenance-dialog.h"
#include "gui/chat/sampling-panel.h"
#include "gui/models/model-catalog.h"
#include "gui/models/model-manager-dialog.h"
#include "gui/post.h"
#include "gui/session/project-session.h"
#include "pipelines/chat-tree.h"

namespace gui {

namespace ap = atelier::pipelines;
namespace proj = atelier::projects;

namespace {

const QString kManageModels = QStringLiteral("__manage__");
const QString kNewChatTitle = QObject::tr("New chat");

QAction* makeAction(QWidget* owner, const QString& text, const QList<QKeySequence>& keys, const char* name) {
    auto* a = new QAction(text, owner);
    a->setObjectName(QString::fromLatin1(name));
    a->setShortcuts(keys);
    a->setShortcutContext(Qt::WindowShortcut);
    return a;
}

QString stageText(const ap::ChatUpdate& u) {
    const QString pct = u.stage_fraction >= 0 ? QStringLiteral(" %1%").arg(int(u.stage_fraction * 100)) : QString();
    if (u.stage == "queued") return QObject::tr("Waiting for a free worker…");
    if (u.stage == "load") return QObject::tr("Loading the model…%1").arg(pct);
    if (u.stage == "prefill") return QObject::tr("Reading the conversation…%1").arg(pct);
    if (u.stage == "decode" || u.final)
        return QObject::tr("%1 tok/s · %n token(s)", nullptr, int(u.decode_tokens)).arg(u.decode_tokens_per_s, 0, 'f', 1);
    return {};
}

}  // namespace

ChatWorkspace::ChatWorkspace(ModelCatalog* catalog, QWidget* parent) : QWidget(parent), m_catalog(catalog) {
    setObjectName(QStringLiteral("chatWorkspace"));
    buildActions();
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_splitter = new QSplitter(Qt::Horizontal, this);
    m_splitter->setObjectName(QStringLiteral("chatSplitter"));
    m_list = new ChatListPanel(m_splitter);
    m_splitter->addWidget(m_list);
    m_splitter->addWidget(buildCentre());
    auto* side = new QScrollArea(m_splitter);
    side->setWidgetResizable(true);
    side->setFrameShape(QFrame::NoFrame);
    m_sampling = new SamplingPanel(side);
    side->setWidget(m_sampling);
    // Explicit, modest minimums (they override the contents' hints in the splitter): the main
    // window must still fit small screens, restore small sizes and leave the docks their room.
    side->setMinimumWidth(160);
    m_list->setMinimumWidth(100);
    m_splitter->widget(1)->setMinimumWidth(300);
    m_splitter->addWidget(side);
    m_splitter->setStretchFactor(0, 0);
    m_splitter->setStretchFactor(1, 1);
    m_splitter->setStretchFactor(2, 0);
    m_splitter->setSizes({160, 600, 230});
    if (const QByteArray state = loadChatSplitterState(); !state.isEmpty()) m_splitter->restoreState(state);
    layout->addWidget(m_splitter);

    connect(m_list, &ChatListPanel::chatSelected, this, &ChatWorkspace::selectChat);
    connect(m_list, &ChatListPanel::newChatRequested, this, &ChatWorkspace::newChat);
    connect(m_list, &ChatListPanel::renameRequested, this, &ChatWorkspace::onRename);
    connect(m_list, &ChatListPanel::deleteRequested, this, &ChatWorkspace::onDelete);
    connect(m_view, &MessageView::editSubmitted, this, &ChatWorkspace::onEdit);
    connect(m_view, &MessageView::regenerateRequested, this, &ChatWorkspace::onRegenerate);
    connect(m_view, &MessageView::branchRequested, this, &ChatWorkspace::onBranch);
    connect(m_view, &MessageView::detailsRequested, this, &ChatWorkspace::showProvenance);
    connect(m_sampling, &SamplingPanel::changed, this, &ChatWorkspace::saveChatSettings);
    connect(m_thinking, &QCheckBox::toggled, this, &ChatWorkspace::saveChatSettings);
    connect(m_catalog, &ModelCatalog::modelsChanged, this, &ChatWorkspace::refreshPicker);
    connect(m_splitter, &QSplitter::splitterMoved, this, [this] { saveChatSplitterState(m_splitter->saveState()); });

    const ChatDefaults defaults = loadChatDefaults();
    m_loading = true;
    m_model = QString::fromStdString(defaults.settings.model);
    m_sampling->setValues(defaults.settings, defaults.systemPrompt);
    m_thinking->setChecked(defaults.settings.thinking);
    m_loading = false;
    refreshPicker();
    setSession(nullptr);
}

ChatWorkspace::~ChatWorkspace() { setSession(nullptr); }

void ChatWorkspace::buildActions() {
    m_actions.newChat = makeAction(this, tr("&New Chat"), {QKeySequence(QStringLiteral("Ctrl+Shift+N"))}, "actionNewChat");
    m_actions.send = makeAction(this, tr("&Send Message"),
                                {QKeySequence(QStringLiteral("Ctrl+Return")), QKeySequence(QStringLiteral("Ctrl+Enter"))}, "actionSend");
    m_actions.stop = makeAction(this, tr("S&top Answer"), {QKeySequence(Qt::Key_Escape)}, "actionStop");
    m_actions.regenerate = makeAction(this, tr("&Regenerate Answer"), {QKeySequence(QStringLiteral("Ctrl+Shift+R"))}, "actionRegenerate");
    m_actions.thinking = makeAction(this, tr("&Thinking Mode"), {QKeySequence(QStringLiteral("Ctrl+Shift+T"))}, "actionThinking");
    m_actions.thinking->setCheckable(true);
    m_actions.modelManager = makeAction(this, tr("&Model Manager…"), {QKeySequence(QStringLiteral("Ctrl+Shift+M"))}, "actionModelManager");
    connect(m_actions.newChat, &QAction::triggered, this, &ChatWorkspace::newChat);
    connect(m_actions.send, &QAction::triggered, this, &ChatWorkspace::send);
    connect(m_actions.stop, &QAction::triggered, this, &ChatWorkspace::stop);
    connect(m_actions.regenerate, &QAction::triggered, this, &ChatWorkspace::regenerateLast);
    connect(m_actions.modelManager, &QAction::triggered, this, &ChatWorkspace::showModelManager);
}

QWidget* ChatWorkspace::buildCentre() {
    auto* centre = new QWidget(this);
    auto* v = new QVBoxLayout(centre);
    v->setContentsMargins(6, 8, 6, 8);
    auto* top = new QHBoxLayout;
    m_picker = new QComboBox(centre);
    m_picker->setObjectName(QStringLiteral("modelPicker"));
    m_picker->setToolTip(tr("The model that answers in this chat"));
    m_picker->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_picker->setMinimumContentsLength(14);
    auto* manage = new QToolButton(centre);
    manage->setObjectName(QStringLiteral("manageModels"));
    manage->setText(tr("Models…"));
    manage->setToolTip(tr("Model Manager (Ctrl+Shift+M)"));
    manage->setAutoRaise(true);
    connect(manage, &QToolButton::clicked, m_actions.modelManager, &QAction::trigger);
    auto* panelToggle = new QToolButton(centre);
    panelToggle->setObjectName(QStringLiteral("samplingToggle"));
    panelToggle->setText(tr("Sampling"));
    panelToggle->setToolTip(tr("Show or hide the sampling panel"));
    panelToggle->setCheckable(true);
    panelToggle->setChecked(true);
    panelToggle->setAutoRaise(true);
    connect(panelToggle, &QToolButton::toggled, this, [this](bool on) { m_splitter->widget(2)->setVisible(on); });
    m_rate = new QLabel(centre);
    m_rate->setObjectName(QStringLiteral("rateLabel"));
    m_rate->setForegroundRole(QPalette::PlaceholderText);
    m_rate->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_rate->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    top->addWidget(m_picker, 1);
    top->addWidget(manage);
    top->addWidget(m_rate, 2);
    top->addWidget(panelToggle);
    v->addLayout(top);
    m_view = new MessageView(centre);
    v->addWidget(m_view, 1);
    m_composer = new QPlainTextEdit(centre);
    m_composer->setObjectName(QStringLiteral("composer"));
    m_composer->setPlaceholderText(tr("Ask anything — Ctrl+Enter sends, Esc stops the answer"));
    m_composer->setMaximumHeight(90);
    m_composer->installEventFilter(this);
    v->addWidget(m_composer);
    auto* row = new QHBoxLayout;
    m_thinking = new QCheckBox(tr("Thinking"), centre);
    m_thinking->setObjectName(QStringLiteral("thinkingToggle"));
    m_thinking->setToolTip(tr("Let the model reason before it answers; the reasoning is shown collapsed (Ctrl+Shift+T)"));
    m_stopButton = new QPushButton(tr("Stop"), centre);
    m_stopButton->setObjectName(QStringLiteral("stopButton"));
    m_stopButton->setToolTip(tr("Stop the answer; the text so far is kept (Esc)"));
    m_sendButton = new QPushButton(tr("Send"), centre);
    m_sendButton->setObjectName(QStringLiteral("primaryButton"));
    m_sendButton->setToolTip(tr("Send (Ctrl+Enter)"));
    row->addWidget(m_thinking);
    row->addStretch(1);
    row->addWidget(m_stopButton);
    row->addWidget(m_sendButton);
    v->addLayout(row);
    connect(m_sendButton, &QPushButton::clicked, this, &ChatWorkspace::send);
    connect(m_stopButton, &QPushButton::clicked, this, &ChatWorkspace::stop);
    connect(m_composer, &QPlainTextEdit::textChanged, this, &ChatWorkspace::updateActions);
    connect(m_actions.thinking, &QAction::toggled, m_thinking, &QCheckBox::setChecked);
    connect(m_thinking, &QCheckBox::toggled, m_actions.thinking, &QAction::setChecked);
    connect(m_picker, &QComboBox::activated, this, [this](int index) {
        const QString key = m_picker->itemData(index).toString();
        if (key == kManageModels) {
            refreshPicker();  // back to the chat's model
            showModelManager();
            return;
        }
        chooseModel(key);
    });
    return centre;
}

bool ChatWorkspace::eventFilter(QObject* watched, QEvent* event) {
    if (watched == m_composer && event->type() == QEvent::KeyPress) {
        auto* key = static_cast<QKeyEvent*>(event);
        if ((key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) && (key->modifiers() & Qt::ControlModifier)) {
            send();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

// ---- session --------------------------------------------------------------------------------

void ChatWorkspace::setSession(ProjectSession* session) {
    ++m_sessionGeneration;
    m_service.reset();  // before the session (and its Studio) can go
    m_session = session;
    m_chat.clear();
    m_errors.clear();
    if (m_session) {
        ap::ChatServiceOptions opts;
        opts.n_threads = m_threads;
        m_service = std::make_unique<ap::ChatService>(m_session->studio(), m_catalog->cache(), opts);
        const int generation = m_sessionGeneration;
        m_service->set_on_update([this, generation](const ap::ChatUpdate& u) {
            post(this, [this, generation, u] {
                if (generation == m_sessionGeneration) onUpdate(u);
            });
        });
    }
    m_rate->clear();
    reload();
}

void ChatWorkspace::reload() {
    reloadChats();
    if (m_session && m_chat.isEmpty()) {
        auto chats = m_session->project().list_chats();
        if (chats.ok() && !chats->empty()) selectChat(QString::fromStdString(chats->back().uuid));
    }
    reloadMessages();
    updateActions();
}

void ChatWorkspace::reloadChats() {
    QList<QPair<QString, QString>> items;
    if (m_session)
        if (auto chats = m_session->project().list_chats(); chats.ok())
            for (auto it = chats->rbegin(); it != chats->rend(); ++it)  // newest first
                items.append({QString::fromStdString(it->uuid), QString::fromStdString(it->title)});
    m_list->setChats(items, m_chat);
}

bool ChatWorkspace::selectChat(const QString& uuid) {
    if (!m_session) return false;
    if (auto chat = m_session->project().get_chat(uuid.toStdString()); !chat.ok()) return false;
    m_chat = uuid;
    reloadChats();
    loadChatSettings();
    reloadMessages();
    updateActions();
    return true;
}

QString ChatWorkspace::newChat() {
    if (!m_session) return {};
    auto chat = m_session->project().create_chat(kNewChatTitle.toStdString(), m_model.toStdString());
    if (!chat.ok()) {
        reportError(tr("Cannot start a chat"), chat.error());
        return {};
    }
    proj::Chat c = *chat;
    c.settings_json = currentSettings().to_json();
    c.system_prompt = m_sampling->systemPrompt().toStdString();
    if (auto st = m_session->project().update_chat(c); !st.ok()) reportError(tr("Cannot start a chat"), st.error());
    selectChat(QString::fromStdString(c.uuid));
    m_composer->setFocus();
    return m_chat;
}

// ---- settings -------------------------------------------------------------------------------

ap::ChatSettings ChatWorkspace::currentSettings() const {
    ap::ChatSettings s = m_sampling->values(ap::ChatSettings{});
    s.model = m_model.toStdString();
    s.thinking = m_thinking->isChecked();
    return s;
}

void ChatWorkspace::loadChatSettings() {
    if (!m_session || m_chat.isEmpty()) return;
    auto chat = m_session->project().get_chat(m_chat.toStdString());
    if (!chat.ok()) return;
    auto settings = ap::ChatSettings::from_json(chat->settings_json);
    if (!settings.ok()) settings = loadChatDefaults().settings;
    m_loading = true;
    m_model = QString::fromStdString(settings->model);
    m_sampling->setValues(*settings, QString::fromStdString(chat->system_prompt));
    m_thinking->setChecked(settings->thinking);
    m_loading = false;
    refreshPicker();
}

void ChatWorkspace::saveChatSettings() {
    if (m_loading) return;
    const ap::ChatSettings s = currentSettings();
    saveChatDefaults({s, m_sampling->systemPrompt()});
    updateActions();
    if (!m_session || m_chat.isEmpty()) return;
    auto chat = m_session->project().get_chat(m_chat.toStdString());
    if (!chat.ok()) return;
    chat->settings_json = s.to_json();
    chat->system_prompt = m_sampling->systemPrompt().toStdString();
    chat->model = s.model;
    if (auto st = m_session->project().update_chat(*chat); !st.ok()) reportError(tr("Cannot save the chat's settings"), st.error());
}

void ChatWorkspace::chooseModel(const QString& key) {
    m_model = key;
    refreshPicker();
    saveChatSettings();
    // Load it now, as a job with progress (answers that need it join this load).
    if (m_service && !key.isEmpty() && !m_catalog->cache()->find(key.toStdString())) m_service->preload(key.toStdString());
}

void ChatWorkspace::refreshPicker() {
    const QSignalBlocker block(m_picker);
    m_picker->clear();
    for (const auto& [key, label] : m_catalog->chatModels()) m_picker->addItem(label, key);
    if (!m_model.isEmpty() && m_picker->findData(m_model) < 0)
        m_picker->addItem(tr("%1 (not in the models folder)").arg(QFileInfo(m_model).fileName()), m_model);
    if (m_picker->count() == 0) m_picker->addItem(tr("No chat model — import one"), QString());
    m_picker->insertSeparator(m_picker->count());
    m_picker->addItem(tr("Manage models…"), kManageModels);
    m_picker->setCurrentIndex(qMax(0, m_picker->findData(m_model)));
}

// ---- conversation ---------------------------------------------------------------------------

void ChatWorkspace::reloadMessages() {
    if (!m_session || m_chat.isEmpty()) {
        m_view->setMessages({});
        m_view->setPlaceholder(m_session ? tr("Start a new chat, pick a model and ask anything.")
                                         : tr("Open or create a project to chat; conversations are kept in the project."));
        return;
    }
    auto branch = loadBranch(m_session->project(), m_chat);
    if (!branch.ok()) {
        reportError(tr("Cannot show the chat"), branch.error());
        return;
    }
    m_view->setMessages(messageInfos(m_session->project(), *branch, m_errors));
    m_view->setPlaceholder(tr("Ask anything. Answers stream in and are saved as they arrive."));
}

bool ChatWorkspace::send() {
    if (!m_session || !m_service) return false;
    const QString text = m_composer->toPlainText();
    if (text.trimmed().isEmpty()) return false;
    if (m_chat.isEmpty() && newChat().isEmpty()) return false;
    saveChatSettings();
    auto a = m_service->send(m_chat.toStdString(), text.toStdString());
    if (!a.ok()) {
        reportError(tr("Cannot send"), a.error());
        return false;
    }
    m_composer->clear();
    if (auto chat = m_session->project().get_chat(m_chat.toStdString()); chat.ok() && chat->title == kNewChatTitle.toStdString()) {
        chat->title = ap::title_from_text(text.toStdString());
        (void)m_session->project().update_chat(*chat);
        reloadChats();
    }
    reloadMessages();
    updateActions();
    return true;
}

bool ChatWorkspace::stop() { return m_service && !m_chat.isEmpty() && m_service->stop_chat(m_chat.toStdString()); }

bool ChatWorkspace::regenerateLast() {
    if (!m_service) return false;
    const auto widgets = m_view->messageWidgets();
    for (auto it = widgets.rbegin(); it != widgets.rend(); ++it)
        if ((*it)->info().role == u"assistant") {
            onRegenerate((*it)->uuid());
            return true;
        }
    return false;
}

void ChatWorkspace::onRegenerate(const QString& uuid) {
    if (!m_service) return;
    if (auto a = m_service->regenerate(uuid.toStdString()); !a.ok()) reportError(tr("Cannot regenerate"), a.error());
    reloadMessages();
    updateActions();
}

void ChatWorkspace::onEdit(const QString& uuid, const QString& text) {
    if (!m_service) return;
    saveChatSettings();
    if (auto a = m_service->edit(uuid.toStdString(), text.toStdString()); !a.ok()) reportError(tr("Cannot edit"), a.error());
    reloadMessages();
    updateActions();
}

void ChatWorkspace::onBranch(const QString& uuid, int delta) {
    if (!m_session) return;
    auto branch = loadBranch(m_session->project(), m_chat);
    if (!branch.ok()) return;
    const auto sibs = ap::siblings(branch->messages, uuid.toStdString());
    const size_t self = ap::find_message(branch->messages, uuid.toStdString());
    const auto at = std::find(sibs.begin(), sibs.end(), self);
    if (at == sibs.end()) return;
    const qsizetype pos = (at - sibs.begin()) + delta;
    if (pos < 0 || pos >= qsizetype(sibs.size())) return;
    const std::string leaf = ap::newest_leaf_under(branch->messages, branch->messages[sibs[size_t(pos)]].uuid);
    if (auto st = m_session->project().set_current_leaf(m_chat.toStdString(), leaf); !st.ok())
        reportError(tr("Cannot switch branch"), st.error());
    reloadMessages();
    updateActions();
}

void ChatWorkspace::onRename(const QString& uuid, const QString& title) {
    if (!m_session) return;
    auto chat = m_session->project().get_chat(uuid.toStdString());
    if (!chat.ok()) return;
    chat->title = title.toStdString();
    if (auto st = m_session->project().update_chat(*chat); !st.ok()) reportError(tr("Cannot rename the chat"), st.error());
}

void ChatWorkspace::onDelete(const QString& uuid) {
    DialogHooks* hooks = m_hooks ? m_hooks() : nullptr;
    if (!m_session || !hooks) return;
    if (!hooks->confirm(this, tr("Delete chat"), tr("Delete this conversation and every branch of it? This cannot be undone.")))
        return;
    if (m_service) m_service->stop_chat(uuid.toStdString());
    if (auto st = m_session->project().delete_chat(uuid.toStdString()); !st.ok()) reportError(tr("Cannot delete the chat"), st.error());
    if (uuid == m_chat) m_chat.clear();
    reload();
}

void ChatWorkspace::onUpdate(const ap::ChatUpdate& u) {
    if (u.final && u.state == proj::MessageState::Failed) m_errors.insert(QString::fromStdString(u.message_uuid), userMessage(u.error));
    if (QString::fromStdString(u.chat_uuid) != m_chat) return;
    m_rate->setText(stageText(u));
    if (u.final) {
        reloadMessages();  // authors, provenance and state from the project
        updateActions();
        if (u.state == proj::MessageState::Failed) emit statusMessage(tr("The answer failed: %1").arg(userMessage(u.error)), 8000);
        return;
    }
    MessageWidget* w = m_view->widgetFor(QString::fromStdString(u.message_uuid));
    if (!w) {
        reloadMessages();
        return;
    }
    MessageInfo info = w->info();
    info.content = QString::fromStdString(u.content);
    info.reasoning = QString::fromStdString(u.reasoning);
    info.state = u.state;
    m_view->updateMessage(info);
}

void ChatWorkspace::updateActions() {
    const bool open = m_session != nullptr;
    const bool answering = open && m_service && !m_chat.isEmpty() && m_service->answering(m_chat.toStdString());
    const bool canSend = open && !answering && !m_model.isEmpty() && !m_composer->toPlainText().trimmed().isEmpty();
    bool hasAnswer = false;
    for (MessageWidget* w : m_view->messageWidgets()) hasAnswer = hasAnswer || w->info().role == u"assistant";
    m_actions.newChat->setEnabled(open);
    m_actions.send->setEnabled(canSend);
    m_actions.stop->setEnabled(answering);
    m_actions.regenerate->setEnabled(open && !answering && hasAnswer);
    m_sendButton->setEnabled(canSend);
    m_stopButton->setEnabled(answering);
    m_composer->setEnabled(open);
    m_list->setEnabled(open);
}

// ---- dialogs --------------------------------------------------------------------------------

void ChatWorkspace::reportError(const QString& title, const atelier::Error& error) {
    if (atelier::is_cancelled(error)) return;
    if (DialogHooks* hooks = m_hooks ? m_hooks() : nullptr) hooks->showError(this, title, userMessage(error), detailText(error));
}

ModelManagerDialog* ChatWorkspace::showModelManager() {
    if (!m_manager) {
        m_manager = new ModelManagerDialog(m_catalog, m_hooks, window());
        m_manager->setAttribute(Qt::WA_DeleteOnClose);
        connect(m_manager, &ModelManagerDialog::modelChosen, this, &ChatWorkspace::chooseModel);
    }
    m_manager->show();
    m_manager->raise();
    return m_manager;
}

ProvenanceDialog* ChatWorkspace::showProvenance(const QString& messageUuid) {
    if (!m_session) return nullptr;
    auto m = m_session->project().get_message(messageUuid.toStdString());
    if (!m.ok() || m->generation_uuid.empty()) return nullptr;
    auto g = m_session->project().get_generation(m->generation_uuid);
    if (!g.ok()) {
        reportError(tr("Cannot show the answer's details"), g.error());
        return nullptr;
    }
    auto* dlg = new ProvenanceDialog(*g, window());
    dlg->setAttribute(Qt::WA_DeleteOnClose);
    dlg->show();
    return dlg;
}

}  // namespace gui
