// Default DialogHooks: QFileDialog / QMessageBox. File dialogs remember their last folder.
#include "gui/app/dialog-hooks.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QSettings>
#include <QStandardPaths>

namespace gui {

namespace {

const char* kProjectFilter = QT_TRANSLATE_NOOP("DialogHooks", "Atelier projects (*.atelier)");

QString lastDir() {
    QSettings q(QSettings::UserScope, QStringLiteral("Atelier"), QStringLiteral("Atelier"));
    const QString d = q.value(QStringLiteral("dialogs/lastDir")).toString();
    if (!d.isEmpty() && QFileInfo(d).isDir()) return d;
    return QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
}

void rememberDir(const QString& path) {
    if (path.isEmpty()) return;
    QSettings q(QSettings::UserScope, QStringLiteral("Atelier"), QStringLiteral("Atelier"));
    const QFileInfo fi(path);
    q.setValue(QStringLiteral("dialogs/lastDir"), fi.isDir() ? fi.absoluteFilePath() : fi.absolutePath());
}

QString tr(const char* s) { return QCoreApplication::translate("DialogHooks", s); }

}  // namespace

QString withProjectExtension(const QString& path) {
    if (path.isEmpty() || path.endsWith(QStringLiteral(".atelier"), Qt::CaseInsensitive)) return path;
    return path + QStringLiteral(".atelier");
}

QString DialogHooks::newProjectPath(QWidget* parent) {
    const QString p = QFileDialog::getSaveFileName(parent, tr("New Project"),
                                                   QDir(lastDir()).filePath(tr("Untitled.atelier")), tr(kProjectFilter));
    rememberDir(p);
    return withProjectExtension(p);
}

QString DialogHooks::openProjectPath(QWidget* parent) {
    const QString p = QFileDialog::getOpenFileName(parent, tr("Open Project"), lastDir(), tr(kProjectFilter));
    rememberDir(p);
    return p;
}

QString DialogHooks::saveAsPath(QWidget* parent, const QString& current) {
    const QFileInfo fi(current);
    const QString suggestion = fi.absoluteDir().filePath(fi.completeBaseName() + tr(" copy.atelier"));
    const QString p = QFileDialog::getSaveFileName(parent, tr("Save Project As"), suggestion, tr(kProjectFilter));
    rememberDir(p);
    return withProjectExtension(p);
}

QStringList DialogHooks::importPaths(QWidget* parent) {
    const QString filter = tr("Media (*.png *.jpg *.jpeg *.webp *.bmp *.gif *.tif *.tiff *.avif "
                              "*.wav *.flac *.mp3 *.ogg *.opus *.m4a *.aac "
                              "*.mp4 *.mov *.mkv *.webm *.avi);;All files (*)");
    const QStringList files = QFileDialog::getOpenFileNames(parent, tr("Import Files"), lastDir(), filter);
    if (!files.isEmpty()) rememberDir(files.first());
    return files;
}

QString DialogHooks::folderPath(QWidget* parent, const QString& title, const QString& start) {
    return QFileDialog::getExistingDirectory(parent, title, start.isEmpty() ? lastDir() : start);
}

QString DialogHooks::modelPath(QWidget* parent, bool folder) {
    if (folder) return QFileDialog::getExistingDirectory(parent, QObject::tr("Import Model Folder"), lastDir());
    return QFileDialog::getOpenFileName(parent, QObject::tr("Import Model"), lastDir(),
                                        QObject::tr("Models (*.gguf *.safetensors);;All files (*)"));
}

QString DialogHooks::exportPath(QWidget* parent, const QString& suggested) {
    return QFileDialog::getSaveFileName(parent, QObject::tr("Export To"), suggested);
}

void DialogHooks::showError(QWidget* parent, const QString& title, const QString& text, const QString& detail) {
    QMessageBox box(QMessageBox::Warning, title, text, QMessageBox::Ok, parent);
    if (!detail.isEmpty()) box.setDetailedText(detail);
    box.exec();
}

bool DialogHooks::confirm(QWidget* parent, const QString& title, const QString& text) {
    return QMessageBox::question(parent, title, text, QMessageBox::Yes | QMessageBox::No, QMessageBox::No) ==
           QMessageBox::Yes;
}

}  // namespace gui
