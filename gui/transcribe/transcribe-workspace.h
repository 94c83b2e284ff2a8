// TranscribeWorkspace: the Transcribe tab. Left: the source (files, or the microphone with its
// device), the model (the Whisper models of the models folder and the model cache are listed),
// language, task and word-timestamps choices (remembered in QSettings under "transcribe/"),
// Start/Stop, progress with the segments as they arrive, and the live captions of a microphone
// take. Right: the project's transcripts, the TranscriptEditor synced to playback
// (media::AudioPlayer on the transcript's source; a steady clock when no sound device opens),
// export buttons (SRT, WebVTT, TXT, JSON) and "To Timeline" (the timeline's subtitle items).
// Jobs are Studio jobs (pipelines/transcribe); their results are registered for undo when done.
// Thread-safety: GUI thread only. Recogniser callbacks arrive on job workers and hop here with
// gui::post (through the session, which outlives its jobs).
#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QPointer>
#include <QWidget>

#include <memory>

#include "core/job.h"
#include "pipelines/transcribe.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QRadioButton;
class QTimer;

namespace atelier::media {
class AudioPlayer;
}

namespace gui {

class DialogHooks;
class ProjectSession;
class TranscriptEditor;
struct JobUpdate;

class TranscribeWorkspace : public QWidget {
    Q_OBJECT
public:
    explicit TranscribeWorkspace(QWidget* parent = nullptr);
    ~TranscribeWorkspace() override;

    void setSession(ProjectSession* session);
    void setDialogHooks(std::function<DialogHooks*()> hooks) { m_hooks = std::move(hooks); }
    // The recogniser the jobs use (tests pass a stand-in); empty: Whisper.
    void setRecogniserLoader(atelier::pipelines::RecogniserLoader loader) { m_loader = std::move(loader); }

    // The back ends of the buttons (tests, drag and drop).
    void addFiles(const QStringList& paths);
    bool start();   // transcribe the listed files, or listen to the microphone
    void stop();    // cancel the file jobs; end the microphone take (it is kept)
    bool exportTranscript(const QString& path);  // format from the extension
    bool toTimeline();
    void play();
    void pause();
    void seek(qint64 ms);
    qint64 positionMs() const;
    bool isPlaying() const { return m_playing; }
    bool isRunning() const { return !m_jobs.isEmpty(); }

    TranscriptEditor* editor() const { return m_editor; }
    QComboBox* transcriptPicker() const { return m_picker; }
    QListWidget* fileList() const { return m_files; }
    QListWidget* segmentList() const { return m_segments; }
    QLabel* liveCaptions() const { return m_captions; }
    QLabel* statusLabel() const { return m_status; }
    QProgressBar* progressBar() const { return m_progress; }
    QComboBox* modelBox() const { return m_model; }
    QComboBox* languageBox() const { return m_language; }
    QComboBox* taskBox() const { return m_task; }
    QComboBox* deviceBox() const { return m_device; }
    QCheckBox* wordTimestampsBox() const { return m_words; }
    QRadioButton* microphoneButton() const { return m_micSource; }

signals:
    void statusMessage(const QString& text, int timeoutMs);
    void transcriptReady(const QString& uuid);

private:
    QWidget* buildSource();
    QWidget* buildResult();
    void populateModels();
    void loadSettings();
    void saveSettings() const;
    atelier::pipelines::TranscribeSettings currentSettings() const;
    atelier::pipelines::RecogniserLoader observedLoader();
    void refreshTranscripts(const QString& select = {});
    void onTranscriptPicked();
    void onJobChanged(const JobUpdate& u);
    void onProgress(atelier::JobId id, double fraction, const QString& stage, double eta);
    void onSegment(const QString& line);
    void onCaption(const QStringList& finals, const QString& partial);
    void onTick();
    void closePlayer();
    void updateButtons();
    std::filesystem::path sourceOf(const QString& transcriptUuid) const;

    QPointer<ProjectSession> m_session;
    std::function<DialogHooks*()> m_hooks;
    atelier::pipelines::RecogniserLoader m_loader;
    QHash<atelier::JobId, std::shared_ptr<atelier::pipelines::TranscribeReport>> m_jobs;
    QStringList m_captionLines;

    QRadioButton* m_fileSource = nullptr;
    QRadioButton* m_micSource = nullptr;
    QListWidget* m_files = nullptr;
    QComboBox* m_device = nullptr;
    QComboBox* m_model = nullptr;
    QComboBox* m_language = nullptr;
    QComboBox* m_task = nullptr;
    QCheckBox* m_words = nullptr;
    QPushButton* m_start = nullptr;
    QPushButton* m_stop = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    QListWidget* m_segments = nullptr;
    QLabel* m_captions = nullptr;
    QComboBox* m_picker = nullptr;
    TranscriptEditor* m_editor = nullptr;
    QPushButton* m_play = nullptr;
    QLabel* m_position = nullptr;
    QList<QPushButton*> m_resultButtons;

    std::unique_ptr<atelier::media::AudioPlayer> m_player;  // null: steady-clock playback
    QTimer* m_tick = nullptr;
    QElapsedTimer m_clock;
    qint64 m_clockBaseMs = 0;
    bool m_playing = false;
};

}  // namespace gui
