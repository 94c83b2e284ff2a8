// Offscreen tests of the Chat workspace, driven through its real widgets and shortcuts: send a
// message (Ctrl+Enter) to a tiny model, watch the answer stream, stop it (Esc), reopen the project
// and find the partial answer; Markdown with code blocks and their Copy buttons; the collapsed
// reasoning; regenerate, branch navigation and edit; presets and remembered settings; the
// provenance view; the shortcuts dialog. The model is the scripted toy (tests/pipelines/toy-lm.h)
// and, in its own test, the tiny random DeepSeek V4 checkpoint (ctest fixture v4_tiny).
// Screenshots: <build>/test-artifacts/chat-*.png.
#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QToolButton>

#include <gtest/gtest.h>

#include "gui-test-util.h"
#include "gui/chat/chat-list-panel.h"
#include "gui/jobs/job-list-model.h"
#include "gui/chat/chat-workspace.h"
#include "gui/chat/message-view.h"
#include "gui/chat/provenance-dialog.h"
#include "gui/chat/sampling-panel.h"
#include "gui/dialogs/info-dialogs.h"
#include "gui/main-window.h"
#include "gui/models/model-catalog.h"
#include "gui/session/project-session.h"
#include "tests/pipelines/test-util.h"
#include "tests/pipelines/toy-lm.h"

using guitest::waitFor;
using atelier::projects::MessageState;

namespace {

bool saveShot(QWidget* w, const QString& name) {
    QTest::qWait(60);
    const QPixmap shot = w->grab();
    const QString file = QDir(guitest::artifactDir()).filePath(name);
    return !shot.isNull() && shot.save(file) && !QImage(file).isNull();
}

const QString kCode = QStringLiteral("def greet(name):\n    return f\"Hello, {name}!\"");

std::string markdownAnswer(int sentences) {
    std::string s = "Here is a function:\n\n```python\n" + kCode.toStdString() + "\n```\n\nIt returns a **greeting**.";
    for (int i = 1; i <= sentences; ++i) s += " Sentence " + std::to_string(i) + " keeps streaming.";
    return s;
}

struct ChatWindow {
    QTemporaryDir dir;
    gui::MainWindow w;
    guitest::StubHooks* hooks = nullptr;
    atelier::test::ToyModel toy;

    explicit ChatWindow(atelier::test::ToyModel model = atelier::test::make_toy_model()) : toy(std::move(model)) {
        auto h = std::make_unique<guitest::StubHooks>();
        hooks = h.get();
        w.setDialogHooks(std::move(h));
        w.resize(1360, 860);
        w.show();
        EXPECT_TRUE(QTest::qWaitForWindowExposed(&w));
        w.activateWindow();
        // The preview dock shows nothing for chats: close it, as a user would, to give the chat room.
        if (auto* preview = w.findChild<QDockWidget*>(QStringLiteral("dockPreview"))) preview->close();
        w.modelCatalog()->cache()->insert(toy.loaded);
    }
    gui::ChatWorkspace* ws() { return w.chatWorkspace(); }

    // A project with one chat that uses the toy model (picked in the model picker).
    void openProjectWithChat(const QString& name = QStringLiteral("Chat Notes")) {
        ASSERT_TRUE(w.newProjectAt(dir.filePath(name)));
        w.showChat();
        QTest::mouseClick(ws()->chatList()->newButton(), Qt::LeftButton);
        ASSERT_FALSE(ws()->currentChat().isEmpty());
        pick(QString::fromLatin1(atelier::test::kToyModelKey));
    }
    void pick(const QString& key) {
        QComboBox* picker = ws()->modelPicker();
        const int i = picker->findData(key);
        ASSERT_GE(i, 0) << key.toStdString() << " is not in the model picker";
        picker->setCurrentIndex(i);
        emit picker->activated(i);  // what a click on the item does
    }
    void type(const QString& text) {
        ws()->composer()->setFocus();
        QTest::keyClicks(ws()->composer(), text);
    }
    gui::MessageWidget* lastAnswer() {
        const auto widgets = ws()->messageView()->messageWidgets();
        for (auto it = widgets.rbegin(); it != widgets.rend(); ++it)
            if ((*it)->info().role == u"assistant") return *it;
        return nullptr;
    }
    // Text the answer's widgets show (prose labels and code blocks).
    QString shownText(gui::MessageWidget* m) {
        QString out;
        for (QLabel* l : m->findChildren<QLabel*>())
            if (l->objectName() == u"messageText" || l->objectName() == u"codeText") out += l->text();
        return out;
    }
    bool answering() { return ws()->service() && ws()->service()->answering(ws()->currentChat().toStdString()); }
};

}  // namespace

TEST(GuiChat, SendStreamStopAndReopenFindsThePartialAnswer) {
    ChatWindow cw(atelier::test::make_toy_model([](const std::string&) { return markdownAnswer(200); }));
    cw.toy.lm->delay_ms_per_token = 12;
    cw.openProjectWithChat();
    EXPECT_EQ(cw.w.workspaces()->currentWidget(), cw.ws());
    cw.type(QStringLiteral("Write a greeting function"));
    EXPECT_TRUE(cw.ws()->actions().send->isEnabled());
    QTest::keyClick(cw.ws()->composer(), Qt::Key_Return, Qt::ControlModifier);  // Ctrl+Enter sends
    ASSERT_TRUE(waitFor([&] { return cw.answering(); })) << "Ctrl+Enter did not send";
    EXPECT_TRUE(cw.ws()->composer()->toPlainText().isEmpty());

    // It streams: the answer's widget grows while the job runs, code block included.
    ASSERT_TRUE(waitFor([&] { return cw.lastAnswer() && cw.lastAnswer()->codeCopyButtons().size() == 1; }));
    const int early = int(cw.lastAnswer()->info().content.size());
    ASSERT_TRUE(waitFor([&] { return cw.lastAnswer()->info().content.size() > early + 40; }));
    EXPECT_EQ(cw.lastAnswer()->info().state, MessageState::Streaming);
    EXPECT_TRUE(cw.lastAnswer()->stateLabel()->text().contains(QStringLiteral("Writing")));
    EXPECT_TRUE(cw.ws()->rateLabel()->text().contains(QStringLiteral("tok/s"))) << cw.ws()->rateLabel()->text().toStdString();
    EXPECT_TRUE(cw.ws()->stopButton()->isEnabled());
    EXPECT_FALSE(cw.ws()->sendButton()->isEnabled());
    ASSERT_TRUE(saveShot(&cw.w, QStringLiteral("chat-streaming.png")));

    // Esc stops it; the text so far stays.
    QTest::keyClick(cw.ws()->composer(), Qt::Key_Escape);
    ASSERT_TRUE(waitFor([&] { return !cw.answering() && cw.lastAnswer() && cw.lastAnswer()->info().state == MessageState::Stopped; }))
        << "Esc did not stop the answer";
    const QString partial = cw.lastAnswer()->info().content;
    EXPECT_GT(partial.size(), early);
    EXPECT_LT(partial.size(), qsizetype(markdownAnswer(200).size()));
    EXPECT_TRUE(QString::fromStdString(markdownAnswer(200)).startsWith(partial));
    EXPECT_EQ(cw.lastAnswer()->stateLabel()->text(), QStringLiteral("Stopped"));
    ASSERT_TRUE(saveShot(&cw.w, QStringLiteral("chat-stopped.png")));

    // Reopen: the chat and its partial answer come back from the project file.
    const QString path = cw.w.session()->path();
    const QString chat = cw.ws()->currentChat();
    cw.w.closeProject();
    EXPECT_TRUE(cw.ws()->messageView()->messageWidgets().isEmpty());
    EXPECT_EQ(atelier::test::sqlite_value(path.toStdString(), "SELECT state FROM messages WHERE role = 'assistant'"), "stopped");
    ASSERT_TRUE(cw.w.openProject(path));
    EXPECT_EQ(cw.ws()->currentChat(), chat);
    gui::MessageWidget* again = cw.lastAnswer();
    ASSERT_NE(again, nullptr);
    EXPECT_EQ(again->info().content, partial);
    EXPECT_EQ(again->info().state, MessageState::Stopped);
    EXPECT_TRUE(cw.shownText(again).contains(QStringLiteral("def greet(name):")));
    EXPECT_EQ(cw.ws()->chatList()->list()->currentItem()->text(), QStringLiteral("Write a greeting function"));
}

TEST(GuiChat, MarkdownCodeCopyReasoningRegenerateBranchesAndEdit) {
    int n = 0;
    ChatWindow cw(atelier::test::make_toy_model([&](const std::string& q) {
        const std::string k = std::to_string(++n);
        return "Answer " + k + " to *" + q + "*\n\n```cpp\nint x = " + k + ";\n```\n";
    }));
    cw.openProjectWithChat();
    QTest::mouseClick(cw.ws()->thinkingCheck(), Qt::LeftButton);
    ASSERT_TRUE(cw.ws()->thinkingCheck()->isChecked());
    cw.type(QStringLiteral("first question"));
    QTest::mouseClick(cw.ws()->sendButton(), Qt::LeftButton);
    ASSERT_TRUE(waitFor([&] { return cw.lastAnswer() && cw.lastAnswer()->info().state == MessageState::Done && cw.lastAnswer()->isVisible(); }));
    gui::MessageWidget* a = cw.lastAnswer();
    EXPECT_EQ(a->info().content, QStringLiteral("Answer 1 to *first question*\n\n```cpp\nint x = 1;\n```\n"));
    // Markdown: the emphasis is rendered (no asterisks shown), the code sits in its own block.
    ASSERT_FALSE(a->proseLabels().isEmpty());
    EXPECT_EQ(a->proseLabels().first()->textFormat(), Qt::MarkdownText);
    ASSERT_EQ(a->codeCopyButtons().size(), 1);
    QTest::mouseClick(a->codeCopyButtons().first(), Qt::LeftButton);
    EXPECT_EQ(QApplication::clipboard()->text(), QStringLiteral("int x = 1;"));
    QTest::mouseClick(a->copyButton(), Qt::LeftButton);
    EXPECT_EQ(QApplication::clipboard()->text(), a->info().content);
    // Thinking: reasoning shown collapsed, expandable.
    ASSERT_TRUE(a->reasoningToggle()->isVisible());
    EXPECT_FALSE(a->reasoningText()->isVisible());
    QTest::mouseClick(a->reasoningToggle(), Qt::LeftButton);
    EXPECT_TRUE(a->reasoningText()->isVisible());
    EXPECT_EQ(a->reasoningText()->text(), QStringLiteral("Let me think about it."));
    ASSERT_TRUE(saveShot(&cw.w, QStringLiteral("chat-markdown-thinking.png")));

    // Regenerate: a second answer beside the first, with ‹ 2/2 › to move between them.
    QTest::mouseClick(a->regenerateButton(), Qt::LeftButton);
    ASSERT_TRUE(waitFor([&] { return cw.lastAnswer() && cw.lastAnswer()->info().content.startsWith(QStringLiteral("Answer 2")) &&
                                     cw.lastAnswer()->info().state == MessageState::Done; }));
    EXPECT_EQ(cw.lastAnswer()->branchLabel()->text(), QStringLiteral("2/2"));
    QTest::mouseClick(cw.lastAnswer()->previousBranchButton(), Qt::LeftButton);
    EXPECT_TRUE(cw.lastAnswer()->info().content.startsWith(QStringLiteral("Answer 1")));
    EXPECT_EQ(cw.lastAnswer()->branchLabel()->text(), QStringLiteral("1/2"));

    // Edit the question: a new branch with its own answer; the old question is a sibling.
    gui::MessageWidget* q = cw.ws()->messageView()->messageWidgets().first();
    ASSERT_EQ(q->info().role, QStringLiteral("user"));
    QTest::mouseClick(q->editButton(), Qt::LeftButton);
    ASSERT_NE(q->editBox(), nullptr);
    q->editBox()->setPlainText(QStringLiteral("better question"));
    QTest::mouseClick(q->editSendButton(), Qt::LeftButton);
    ASSERT_TRUE(waitFor([&] { return cw.lastAnswer() && cw.lastAnswer()->info().content.startsWith(QStringLiteral("Answer 3 to *better")) &&
                                     cw.lastAnswer()->info().state == MessageState::Done; }));
    gui::MessageWidget* edited = cw.ws()->messageView()->messageWidgets().first();
    EXPECT_EQ(edited->info().content, QStringLiteral("better question"));
    EXPECT_EQ(edited->branchLabel()->text(), QStringLiteral("2/2"));
    QTest::mouseClick(edited->previousBranchButton(), Qt::LeftButton);
    EXPECT_EQ(cw.ws()->messageView()->messageWidgets().first()->info().content, QStringLiteral("first question"));
    ASSERT_TRUE(saveShot(&cw.w, QStringLiteral("chat-branches.png")));
}

TEST(GuiChat, PresetsAndSettingsAreSavedToTheChatAndRemembered) {
    ChatWindow cw;
    cw.openProjectWithChat();
    gui::SamplingPanel* panel = cw.ws()->samplingPanel();
    panel->applyPreset(QStringLiteral("precise"));
    EXPECT_EQ(panel->presetCombo()->currentData().toString(), QStringLiteral("precise"));
    EXPECT_DOUBLE_EQ(panel->temperatureSpin()->value(), 0.2);
    panel->seedSpin()->setValue(77);
    panel->systemPromptEdit()->setPlainText(QStringLiteral("Answer in French."));
    panel->temperatureSpin()->setValue(0.33);
    EXPECT_EQ(panel->presetCombo()->currentData().toString(), QStringLiteral("custom")) << "an edit leaves the preset";
    const std::string db = cw.w.session()->path().toStdString();
    const std::string where = " FROM chats WHERE uuid = '" + cw.ws()->currentChat().toStdString() + "'";
    EXPECT_EQ(atelier::test::sqlite_value(db, "SELECT json_extract(settings_json, '$.sampling.seed') || '|' || "
                                              "round(json_extract(settings_json, '$.sampling.temperature'), 2) || '|' || "
                                              "json_extract(settings_json, '$.model') || '|' || system_prompt" + where),
              "77|0.33|toy:scripted|Answer in French.");
    // A new window (a new run) starts new chats from the remembered values.
    gui::MainWindow second;
    gui::SamplingPanel* p2 = second.chatWorkspace()->samplingPanel();
    EXPECT_DOUBLE_EQ(p2->temperatureSpin()->value(), 0.33);
    EXPECT_EQ(p2->seedSpin()->value(), 77);
    EXPECT_EQ(p2->systemPrompt(), QStringLiteral("Answer in French."));
}

TEST(GuiChat, ProvenanceViewShowsModelHashSeedParametersAndTimings) {
    ChatWindow cw;
    cw.openProjectWithChat();
    cw.ws()->samplingPanel()->seedSpin()->setValue(4321);
    cw.type(QStringLiteral("hello"));
    ASSERT_TRUE(cw.ws()->send());
    ASSERT_TRUE(waitFor([&] { return cw.lastAnswer() && cw.lastAnswer()->info().state == MessageState::Done; }));
    ASSERT_TRUE(waitFor([&] { return cw.lastAnswer()->detailsButton()->isVisible(); }));
    EXPECT_EQ(cw.lastAnswer()->info().author, QStringLiteral("toy-scripted"));
    auto* dlg = cw.ws()->showProvenance(cw.lastAnswer()->uuid());
    ASSERT_NE(dlg, nullptr);
    EXPECT_EQ(dlg->modelLabel()->text(), QStringLiteral("toy-scripted"));
    EXPECT_EQ(dlg->hashLabel()->text(), QString::fromStdString(cw.toy.loaded->content_hash));
    EXPECT_EQ(dlg->seedLabel()->text(), QStringLiteral("4321"));
    EXPECT_TRUE(dlg->parametersText()->toPlainText().contains(QStringLiteral("\"temperature\"")));
    bool rate = false;
    for (int r = 0; r < dlg->timingsTable()->rowCount(); ++r)
        rate = rate || (dlg->timingsTable()->item(r, 0)->text() == u"decode_tokens_per_s" &&
                        dlg->timingsTable()->item(r, 1)->text().endsWith(QStringLiteral("tok/s")));
    EXPECT_TRUE(rate);
    ASSERT_TRUE(saveShot(dlg, QStringLiteral("chat-provenance.png")));
    dlg->close();
}

TEST(GuiChat, ShortcutsDialogListsTheChatActions) {
    ChatWindow cw;
    const auto& a = cw.ws()->actions();
    EXPECT_EQ(a.send->shortcuts().first(), QKeySequence(QStringLiteral("Ctrl+Return")));
    EXPECT_EQ(a.stop->shortcuts().first(), QKeySequence(Qt::Key_Escape));
    gui::ShortcutsDialog dlg(cw.w.actions().groups);
    auto* table = dlg.findChild<QTableWidget*>();
    ASSERT_NE(table, nullptr);
    QStringList rows;
    for (int r = 0; r < table->rowCount(); ++r) rows << table->item(r, 0)->text().trimmed();
    for (const char* name : {"Chat", "Send Message", "Stop Answer", "Regenerate Answer", "New Chat", "Model Manager", "Thinking Mode"})
        EXPECT_TRUE(rows.contains(QString::fromLatin1(name))) << name;
}

// The same flow on the tiny random DeepSeek V4 checkpoint made by tools/deepseek-v4/make-tiny-v4.py
// (ctest fixture v4_tiny writes it to <build>/tiny-v4): picked from the models folder, loaded as a
// job, streamed, stopped, found again after reopening. Its text is random tokens; what matters is
// that it streams and persists. EOS is ignored so the answer runs until it is stopped.
TEST(GuiChat, TinyDeepSeekV4StreamsStopsAndReopens) {
    const QString models = QStringLiteral(ATELIER_BINARY_DIR "/tiny-v4");
    ASSERT_TRUE(QFileInfo::exists(models + QStringLiteral("/tiny-v4.gguf")))
        << "run the v4.tiny_checkpoint ctest fixture first (ctest -R 'v4.tiny_checkpoint|GuiChat')";
    ChatWindow cw;
    gui::AppSettings s = cw.w.settings();
    s.modelsFolder = models;
    s.threads = 2;
    cw.w.applySettings(s);
    ASSERT_TRUE(waitFor([&] { return !cw.w.modelCatalog()->scanning() && !cw.w.modelCatalog()->entries().empty(); }));
    ASSERT_TRUE(cw.w.newProjectAt(cw.dir.filePath(QStringLiteral("V4 Chat"))));
    cw.w.showChat();
    cw.ws()->newChat();
    atelier::pipelines::ChatServiceOptions opts;
    opts.n_threads = 2;
    opts.ignore_eos = true;
    cw.ws()->service()->set_options(opts);
    const QString gguf = QString::fromStdString(atelier::pipelines::ModelCache::key_for((models + QStringLiteral("/tiny-v4.gguf")).toStdString()));
    cw.pick(gguf);  // starts a "model-load" job
    // Fixed sampling, so the random model's text is the same every run (settings remembered from
    // other tests must not matter): with EOS ignored, text after a sampled EOS would not be shown.
    cw.ws()->samplingPanel()->applyPreset(QStringLiteral("creative"));
    cw.ws()->samplingPanel()->systemPromptEdit()->clear();
    cw.ws()->thinkingCheck()->setChecked(false);  // the answer, not reasoning, is what streams here
    cw.ws()->samplingPanel()->seedSpin()->setValue(5);
    cw.ws()->samplingPanel()->maxTokensSpin()->setValue(3000);
    cw.type(QStringLiteral("Hello, V4!"));
    QTest::keyClick(cw.ws()->composer(), Qt::Key_Return, Qt::ControlModifier);
    ASSERT_TRUE(waitFor([&] { return cw.lastAnswer() && cw.lastAnswer()->info().content.size() > 20; }, 60000))
        << "no text streamed; errors: " << cw.hooks->errors.join(u'\n').toStdString();
    ASSERT_TRUE(cw.answering());
    ASSERT_TRUE(saveShot(&cw.w, QStringLiteral("chat-tiny-v4-streaming.png")));
    QTest::keyClick(cw.ws()->composer(), Qt::Key_Escape);
    ASSERT_TRUE(waitFor([&] { return !cw.answering() && cw.lastAnswer()->info().state == MessageState::Stopped; }));
    const QString partial = cw.lastAnswer()->info().content;
    EXPECT_FALSE(partial.isEmpty());
    const QString path = cw.w.session()->path();
    cw.w.closeProject();
    ASSERT_TRUE(cw.w.openProject(path));
    ASSERT_NE(cw.lastAnswer(), nullptr);
    EXPECT_EQ(cw.lastAnswer()->info().content, partial);
    EXPECT_EQ(cw.lastAnswer()->info().state, MessageState::Stopped);
    EXPECT_EQ(cw.lastAnswer()->info().author, QStringLiteral("tiny-v4.gguf"));
    EXPECT_EQ(atelier::test::sqlite_value(path.toStdString(), "SELECT json_extract(params_json, '$.architecture') FROM generations "
                                                              "WHERE kind = 'chat'"),
              "deepseek_v4");
    EXPECT_TRUE(cw.hooks->errors.isEmpty()) << cw.hooks->errors.join(u'\n').toStdString();
}
