// Offscreen tests of the Chat workspace, driven through its real widgets and shortcuts: send a
// message (Ctrl+Enter) to a tiny model, watch the answer stream, stop it (Esc), reopen the project
// and find the partial answer; Markdown with code blocks and their Copy buttons; the collapsed
// reasoning; regenerate, branch navigation and edit; presets and remembered settings; the
// provenance view; the shortcuts dialog. The model is the scripted toy (tests/pipelines/toy-lm.h)
// (the tiny random DeepSeek V4 checkpoint runs the same flow in test-chat-v4.cpp).
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

#include "chat-test-util.h"
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

using chattest::ChatWindow;
using chattest::markdownAnswer;
using chattest::saveShot;

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
    panel->presencePenaltySpin()->setValue(0.5);
    EXPECT_EQ(panel->presetCombo()->currentData().toString(), QStringLiteral("custom")) << "an edit leaves the preset";
    const std::string db = cw.w.session()->path().toStdString();
    const std::string where = " FROM chats WHERE uuid = '" + cw.ws()->currentChat().toStdString() + "'";
    EXPECT_EQ(atelier::test::sqlite_value(db, "SELECT json_extract(settings_json, '$.sampling.seed') || '|' || "
                                              "round(json_extract(settings_json, '$.sampling.temperature'), 2) || '|' || "
                                              "round(json_extract(settings_json, '$.sampling.presence_penalty'), 2) || '|' || "
                                              "json_extract(settings_json, '$.model') || '|' || system_prompt" + where),
              "77|0.33|0.5|toy:scripted|Answer in French.");
    // A new window (a new run) starts new chats from the remembered values.
    gui::MainWindow second;
    gui::SamplingPanel* p2 = second.chatWorkspace()->samplingPanel();
    EXPECT_DOUBLE_EQ(p2->temperatureSpin()->value(), 0.33);
    EXPECT_DOUBLE_EQ(p2->presencePenaltySpin()->value(), 0.5);
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
