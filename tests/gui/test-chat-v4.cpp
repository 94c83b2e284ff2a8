// The Chat workspace on the tiny random DeepSeek V4 checkpoint (ctest fixture v4_tiny): pick it
// from the models folder, watch an answer stream, stop it, reopen and find the partial answer.
// Its own executable, so only this test needs the checkpoint fixture.
#include <QCheckBox>
#include <QFileInfo>
#include <QSpinBox>

#include <gtest/gtest.h>

#include "chat-test-util.h"
#include "gui/chat/sampling-panel.h"
#include "gui/session/project-session.h"
#include "tests/pipelines/test-util.h"

using atelier::projects::MessageState;
using chattest::ChatWindow;
using chattest::saveShot;
using guitest::waitFor;

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
