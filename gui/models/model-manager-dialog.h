// ModelManagerDialog (Chat ▸ Model Manager…, and the chat's model picker): the models folder as a
// table (name, architecture, parameters, size, type mix, jobs it serves, or the file's error),
// the selected model's memory plan at a chosen context, and import of a file or folder (copy, or
// link) with a progress bar and Cancel. "Use in Chat" hands the model to the Chat workspace.
// Opened non-modal; it never blocks on a scan or an import (they run in ModelCatalog's workers).
// Thread-safety: GUI thread only.
#pragma once

#include <QDialog>

#include <functional>

class QCheckBox;
class QHBoxLayout;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace gui {

class DialogHooks;
class ModelCatalog;

class ModelManagerDialog : public QDialog {
    Q_OBJECT
public:
    ModelManagerDialog(ModelCatalog* catalog, std::function<DialogHooks*()> hooks, QWidget* parent = nullptr);

    QTableWidget* table() const { return m_table; }
    QLabel* planLabel() const { return m_plan; }
    QSpinBox* contextSpin() const { return m_context; }
    QPushButton* importFileButton() const { return m_importFile; }
    QPushButton* importFolderButton() const { return m_importFolder; }
    QCheckBox* linkCheck() const { return m_link; }
    QProgressBar* importProgress() const { return m_progress; }
    QPushButton* cancelImportButton() const { return m_cancel; }
    QPushButton* useButton() const { return m_use; }
    QLabel* statusLabel() const { return m_status; }
    QString selectedPath() const;

signals:
    void modelChosen(const QString& path);  // "Use in Chat"

private:
    QHBoxLayout* buildImportRow();
    void connectSignals();
    void refresh();
    void showDetails();
    void startImport(bool folder);

    ModelCatalog* m_catalog;
    std::function<DialogHooks*()> m_hooks;
    QLabel* m_folder;
    QTableWidget* m_table;
    QLabel* m_details;
    QSpinBox* m_context;
    QLabel* m_plan;
    QPushButton* m_importFile;
    QPushButton* m_importFolder;
    QCheckBox* m_link;
    QProgressBar* m_progress;
    QPushButton* m_cancel;
    QPushButton* m_use;
    QLabel* m_status;
};

}  // namespace gui
