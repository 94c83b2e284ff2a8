// DialogHooks: every native/modal dialog the main window needs (file choosers, error boxes), behind
// one small interface so tests inject paths and capture errors instead of opening a window.
// An empty string / list means the user cancelled.
// Thread-safety: GUI thread only.
#pragma once

#include <QString>
#include <QStringList>

class QWidget;

namespace gui {

class DialogHooks {
public:
    virtual ~DialogHooks() = default;
    virtual QString newProjectPath(QWidget* parent);
    virtual QString openProjectPath(QWidget* parent);
    virtual QString saveAsPath(QWidget* parent, const QString& current);
    virtual QStringList importPaths(QWidget* parent);
    virtual QString folderPath(QWidget* parent, const QString& title, const QString& start);
    // A model to import: a .gguf / .safetensors file, or (folder) a safetensors folder.
    virtual QString modelPath(QWidget* parent, bool folder);
    // Where to write an export; `suggested` is the proposed file (its extension sets the filter).
    virtual QString exportPath(QWidget* parent, const QString& suggested);
    virtual void showError(QWidget* parent, const QString& title, const QString& text, const QString& detail);
    // Yes/No question; returns true for Yes.
    virtual bool confirm(QWidget* parent, const QString& title, const QString& text);
};

// Appends ".atelier" unless the path already ends with it.
QString withProjectExtension(const QString& path);

}  // namespace gui
