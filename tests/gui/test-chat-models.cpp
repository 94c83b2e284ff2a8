// Offscreen test of the Model Manager: opened from the Chat menu, it lists the models folder (the
// loader fixtures made by gguf-py and safetensors, plus broken files that each show their own
// error), shows the memory plan at a chosen context, imports a model with progress, links one,
// and hands a chat model to the Chat workspace's picker. Screenshot: test-artifacts/model-manager.png.
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include "gui-test-util.h"
#include "gui/chat/chat-workspace.h"
#include "gui/main-window.h"
#include "gui/models/model-catalog.h"
#include "gui/models/model-manager-dialog.h"

using guitest::waitFor;

namespace {

class ModelHooks : public guitest::StubHooks {
public:
    QString model;
    QString modelPath(QWidget*, bool) override { return model; }
};

QString fixture(const QString& name) { return QStringLiteral(ATELIER_TEST_DATA_DIR "/inference/loaders/fixtures/") + name; }

bool copyTree(const QString& from, const QString& to) {
    QDir().mkpath(to);
    for (const QFileInfo& f : QDir(from).entryInfoList(QDir::Files)) 
        if (!QFile::copy(f.filePath(), to + u'/' + f.fileName())) return false;
    return true;
}

int rowOf(QTableWidget* t, const QString& name) {
    for (int r = 0; r < t->rowCount(); ++r)
        if (t->item(r, 0)->text() == name) return r;
    return -1;
}

}  // namespace

TEST(GuiModelManager, ListsPlansImportsAndHandsAModelToTheChat) {
    QTemporaryDir dir;
    const QString models = dir.filePath(QStringLiteral("models"));
    QDir().mkpath(models);
    ASSERT_TRUE(QFile::copy(fixture(QStringLiteral("tiny.gguf")), models + QStringLiteral("/tiny.gguf")));
    ASSERT_TRUE(copyTree(fixture(QStringLiteral("st-sharded")), models + QStringLiteral("/v4-sharded")));
    QFile bad(models + QStringLiteral("/broken.gguf"));
    ASSERT_TRUE(bad.open(QIODevice::WriteOnly));
    bad.write("GGUF\x03\x00\x00\x00 truncated");
    bad.close();

    gui::MainWindow w;
    auto h = std::make_unique<ModelHooks>();
    ModelHooks* hooks = h.get();
    w.setDialogHooks(std::move(h));
    w.resize(1360, 860);
    w.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&w));
    gui::AppSettings s = w.settings();
    s.modelsFolder = models;
    w.applySettings(s);
    ASSERT_TRUE(waitFor([&] { return !w.modelCatalog()->scanning() && w.modelCatalog()->entries().size() == 3; }));

    w.chatWorkspace()->actions().modelManager->trigger();
    auto* dlg = w.findChild<gui::ModelManagerDialog*>();
    ASSERT_NE(dlg, nullptr);
    ASSERT_TRUE(QTest::qWaitForWindowExposed(dlg));
    QTableWidget* t = dlg->table();
    ASSERT_EQ(t->rowCount(), 3);
    const int gguf = rowOf(t, QStringLiteral("tiny.gguf")), sharded = rowOf(t, QStringLiteral("v4-sharded")),
              broken = rowOf(t, QStringLiteral("broken.gguf"));
    ASSERT_GE(gguf, 0);
    ASSERT_GE(sharded, 0);
    ASSERT_GE(broken, 0);
    EXPECT_EQ(t->item(gguf, 1)->text(), QStringLiteral("testarch"));
    EXPECT_EQ(t->item(gguf, 5)->text(), QStringLiteral("not supported yet (testarch)"));
    EXPECT_EQ(t->item(sharded, 5)->text(), QStringLiteral("chat"));
    EXPECT_TRUE(t->item(broken, 5)->text().contains(QStringLiteral("broken.gguf"))) << t->item(broken, 5)->text().toStdString();

    // The memory plan follows the chosen context.
    t->selectRow(sharded);
    dlg->contextSpin()->setValue(4096);
    EXPECT_TRUE(dlg->planLabel()->text().contains(QStringLiteral("4096 tokens"))) << dlg->planLabel()->text().toStdString();
    dlg->contextSpin()->setValue(65536);
    EXPECT_TRUE(dlg->planLabel()->text().contains(QStringLiteral("65536 tokens")));
    EXPECT_TRUE(dlg->useButton()->isEnabled());
    t->selectRow(gguf);
    EXPECT_FALSE(dlg->useButton()->isEnabled()) << "testarch serves no job";
    ASSERT_TRUE(QDir(guitest::artifactDir()).exists());
    QTest::qWait(60);
    EXPECT_TRUE(dlg->grab().save(QDir(guitest::artifactDir()).filePath(QStringLiteral("model-manager.png"))));

    // Import a copy (progress, then a rescan lists it) and a link.
    hooks->model = fixture(QStringLiteral("st-single"));
    QTest::mouseClick(dlg->importFolderButton(), Qt::LeftButton);
    ASSERT_TRUE(waitFor([&] { return !w.modelCatalog()->importing() && rowOf(t, QStringLiteral("st-single")) >= 0; }));
    EXPECT_TRUE(QFileInfo(models + QStringLiteral("/st-single/model.safetensors")).isFile());
    EXPECT_FALSE(QFileInfo(models + QStringLiteral("/st-single")).isSymLink());
    hooks->model = fixture(QStringLiteral("st-special"));
    dlg->linkCheck()->setChecked(true);
    QTest::mouseClick(dlg->importFolderButton(), Qt::LeftButton);
    ASSERT_TRUE(waitFor([&] { return !w.modelCatalog()->importing() && rowOf(t, QStringLiteral("st-special")) >= 0; }));
    EXPECT_TRUE(QFileInfo(models + QStringLiteral("/st-special")).isSymLink());
    hooks->model = dir.filePath(QStringLiteral("nope.gguf"));
    QTest::mouseClick(dlg->importFileButton(), Qt::LeftButton);
    ASSERT_TRUE(waitFor([&] { return !w.modelCatalog()->importing(); }));
    EXPECT_TRUE(dlg->statusLabel()->text().contains(QStringLiteral("nope.gguf")) || !dlg->statusLabel()->text().isEmpty());

    // "Use in Chat" puts the model into the picker of the Chat workspace.
    t->selectRow(rowOf(t, QStringLiteral("v4-sharded")));
    QTest::mouseClick(dlg->useButton(), Qt::LeftButton);
    QComboBox* picker = w.chatWorkspace()->modelPicker();
    EXPECT_TRUE(picker->currentText().startsWith(QStringLiteral("v4-sharded"))) << picker->currentText().toStdString();
    dlg->close();
}
