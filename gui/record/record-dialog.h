// RecordDialog (File > Record Audio…, Ctrl+R): records from a microphone into the open project.
// Pick the input (the default, or one PortAudio lists; remembered), optionally a name, then
// Record; a level meter and the elapsed time follow the take; Stop ends it and keeps what was
// recorded (the record job's cancel). The take is written into the project as it goes, so a crash
// loses at most one buffer; when it ends it is imported as an audio asset (undoable) and shown.
// Thread-safety: GUI thread only; job events arrive through ProjectSession's signals.
#pragma once

#include <QDialog>

#include "core/job.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;

namespace gui {

class ProjectSession;

class RecordDialog : public QDialog {
    Q_OBJECT
public:
    RecordDialog(ProjectSession* session, QWidget* parent = nullptr);

    bool start();  // false (with the reason in the status line) when a take could not start
    void stop();   // ends the take and keeps it
    bool isRecording() const { return m_job != 0; }

    QComboBox* deviceBox() const { return m_device; }
    QLineEdit* nameEdit() const { return m_name; }
    QLabel* statusLabel() const { return m_status; }
    QProgressBar* levelMeter() const { return m_level; }
    QPushButton* recordButton() const { return m_record; }
    QString lastAssetUuid() const { return m_lastAsset; }
    qint64 elapsedMs() const { return m_elapsedMs; }

signals:
    void recorded(const QString& assetUuid);

protected:
    void reject() override;  // closing while recording stops (and keeps) the take first

private:
    void fillDevices();
    void onPartial(atelier::JobId id, const QString& kind, const QString& payload);
    void onFinished(atelier::JobId id, const QString& assetUuid, qint64 durationMs, const QString& error);
    void setRecordingUi(bool recording);

    ProjectSession* m_session;
    atelier::JobId m_job = 0;
    qint64 m_elapsedMs = 0;
    QString m_lastAsset;
    QComboBox* m_device;
    QLineEdit* m_name;
    QProgressBar* m_level;
    QLabel* m_time;
    QLabel* m_status;
    QPushButton* m_record;
    QPushButton* m_stop;
};

}  // namespace gui
