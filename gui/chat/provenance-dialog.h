// ProvenanceDialog: where an answer came from: the model file and its content hash, every
// parameter, the seed, the timings (load, prefill and decode with tokens per second), the app
// version and the job. Read from the project's generations row; opened non-modal.
// Thread-safety: GUI thread only.
#pragma once

#include <QDialog>

#include "projects/project.h"

class QLabel;
class QPlainTextEdit;
class QTableWidget;

namespace gui {

class ProvenanceDialog : public QDialog {
    Q_OBJECT
public:
    explicit ProvenanceDialog(const atelier::projects::Generation& generation, QWidget* parent = nullptr);
    QLabel* modelLabel() const { return m_model; }
    QLabel* hashLabel() const { return m_hash; }
    QLabel* seedLabel() const { return m_seed; }
    QTableWidget* timingsTable() const { return m_timings; }
    QPlainTextEdit* parametersText() const { return m_params; }

private:
    QLabel* m_model;
    QLabel* m_hash;
    QLabel* m_seed;
    QTableWidget* m_timings;
    QPlainTextEdit* m_params;
};

}  // namespace gui
