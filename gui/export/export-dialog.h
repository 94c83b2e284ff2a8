// ExportDialog: exports the timeline (or one asset) with a preset from pipelines/export: source,
// preset, output path (DialogHooks::exportPath for Browse), an estimate of the file size from the
// preset's nominal bit rates and the duration, then a progress bar with ETA and a Cancel that
// cancels the job. The export is an ordinary Studio job, so the Jobs dock shows it too; the
// dialog is not modal and never waits on the job (its state arrives through ProjectSession).
// Thread-safety: GUI thread only.
#pragma once

#include <QDialog>
#include <QPointer>

#include "core/job.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;

namespace gui {

class DialogHooks;
class ProjectSession;
struct JobUpdate;

class ExportDialog : public QDialog {
    Q_OBJECT
public:
    ExportDialog(ProjectSession* session, DialogHooks* hooks, const QString& timelineUuid, QWidget* parent = nullptr);

    QComboBox* sourceCombo() const { return m_source; }  // item data: "" = timeline, else an asset uuid
    QComboBox* presetCombo() const { return m_preset; }
    QLineEdit* pathEdit() const { return m_path; }
    QLabel* estimateLabel() const { return m_estimate; }
    QProgressBar* progressBar() const { return m_progress; }
    QLabel* etaLabel() const { return m_eta; }
    QPushButton* browseButton() const { return m_browse; }
    QPushButton* exportButton() const { return m_export; }
    QPushButton* cancelButton() const { return m_cancel; }

    atelier::JobId jobId() const { return m_job; }
    atelier::JobState jobState() const { return m_state; }  // Invalid until an export starts
    qint64 estimatedBytes() const { return m_estimatedBytes; }
    qint64 durationMs() const { return m_durationMs; }

    bool startExport();  // what the Export button does; false (with the reason shown) if it could not start

signals:
    void exportFinished(atelier::JobState state, const QString& path);

private:
    void updateEstimate();
    void updateSuffix();
    void onBrowse();
    void onCancel();
    void onJobChanged(const JobUpdate& u);
    void onProgress(atelier::JobId id, double fraction, const QString& stage, double etaSeconds);
    void setRunning(bool running);

    QPointer<ProjectSession> m_session;
    DialogHooks* m_hooks = nullptr;
    QString m_timelineUuid;
    QComboBox* m_source = nullptr;
    QComboBox* m_preset = nullptr;
    QLineEdit* m_path = nullptr;
    QPushButton* m_browse = nullptr;
    QLabel* m_estimate = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_eta = nullptr;
    QLabel* m_status = nullptr;
    QPushButton* m_export = nullptr;
    QPushButton* m_cancel = nullptr;
    atelier::JobId m_job = 0;
    atelier::JobState m_state = atelier::JobState::Invalid;
    qint64 m_estimatedBytes = 0;
    qint64 m_durationMs = 0;
};

}  // namespace gui
