// Shared by the Chat workspace GUI tests: a studio window with stub dialogs and the toy model in
// its model cache, helpers to open a project with a chat, pick a model, type, find the last
// answer, and save screenshots into <build>/test-artifacts.
// Thread-safety: GUI thread (the test's main thread).
#pragma once

#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include "gui-test-util.h"
#include "gui/chat/chat-list-panel.h"
#include "gui/chat/chat-workspace.h"
#include "gui/chat/message-view.h"
#include "gui/main-window.h"
#include "gui/models/model-catalog.h"
#include "tests/pipelines/toy-lm.h"

namespace chattest {

inline bool saveShot(QWidget* w, const QString& name) {
    QTest::qWait(60);
    const QPixmap shot = w->grab();
    const QString file = QDir(guitest::artifactDir()).filePath(name);
    return !shot.isNull() && shot.save(file) && !QImage(file).isNull();
}

inline const QString kCode = QStringLiteral("def greet(name):\n    return f\"Hello, {name}!\"");

inline std::string markdownAnswer(int sentences) {
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


}  // namespace chattest
