// SpeakWorkspace: the Speak tab. Left: the text editor, the voice picker (voices under
// pipelines::voice_roots()) with a one-click preview, speed and sentence-pause controls
// (remembered in QSettings under "speak/"), Speak/Play (Ctrl+Return) and Stop (Esc), progress,
// "Save as Asset" and "Add to Timeline" (at the timeline's playhead or at its end). Right: the
// take's sentences with their times; one can be regenerated (new noise seed, the current speed)
// and is spliced into the take without touching the others (pipelines/narration).
// Playback streams through pipelines::NarrationPlayer (PortAudio): the first sentence plays while
// the rest is synthesised. Every synthesis, save and regenerate is a Studio job (kind "speak") on a
// worker; results come back through the session's job signals and sentences through gui::post.
// Thread-safety: GUI thread only.
#pragma once

#include <QPointer>
#include <QWidget>

#include <functional>
#include <memory>

#include "core/job.h"
#include "pipelines/narration.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QTimer;
class QTreeWidget;

namespace atelier::pipelines {
class NarrationPlayer;
}

namespace gui {

class ProjectSession;
struct JobUpdate;

class SpeakWorkspace : public QWidget {
    Q_OBJECT
public:
    explicit SpeakWorkspace(QWidget* parent = nullptr);
    ~SpeakWorkspace() override;

    void setSession(ProjectSession* session);
    // Where "Add to Timeline" puts the clip when placing at the playhead (the main window passes
    // the timeline view's playhead); unset: the end of the timeline.
    void setPlayheadProvider(std::function<qint64()> fn) { m_playhead = std::move(fn); }
    void setOutputDevice(const QString& device) { m_device = device; }  // empty: the default output
    void refreshVoices();

    // The back ends of the buttons (tests drive these like the buttons).
    bool speak();              // play the take; synthesise it first (streaming) when the text or settings changed
    bool preview();            // a short sample sentence with the chosen voice and speed
    void stop();               // cancel the running job and stop playback
    bool saveAsAsset();        // the take (synthesised first if needed) into the project
    bool addToTimeline();      // saved, then placed as a narration clip
    bool regenerate(int row);  // sentence `row` again with a new seed and the current speed

    bool isRunning() const { return m_job != 0; }
    bool isPlaying() const;
    qint64 playedMs() const;   // position of the current playback (0 when none)
    const atelier::pipelines::NarrationTake* take() const { return m_take.get(); }
    QString lastAssetUuid() const { return m_lastAsset; }
    QString lastClipUuid() const { return m_lastClip; }

    QPlainTextEdit* textEdit() const { return m_text; }
    QComboBox* voiceBox() const { return m_voice; }
    QComboBox* placementBox() const { return m_place; }
    QDoubleSpinBox* speedBox() const { return m_speed; }
    QDoubleSpinBox* pauseBox() const { return m_pause; }
    QTreeWidget* sentenceList() const { return m_sentences; }
    QLabel* statusLabel() const { return m_status; }
    QProgressBar* progressBar() const { return m_progress; }

signals:
    void statusMessage(const QString& text, int timeoutMs);
    void jobFinished(bool ok);  // after any job of this workspace turned final (tests wait on it)

private:
    enum class Task { Invalid = 0, Speak, Preview, Save, Timeline, Regenerate };
    struct JobResult;  // what a job hands back (speak-workspace.cpp)

    QWidget* buildEditor();
    QWidget* buildSentences();
    void loadSettings();
    void saveSettings() const;
    atelier::pipelines::SpeakSettings currentSettings() const;
    QString takeKey() const;  // text + voice + speed + pause: the take is current when it matches
    bool takeIsCurrent() const { return m_take && m_takeKey == takeKey(); }
    bool canStart();
    bool store(Task task);
    bool submit(Task task, const QString& title, std::function<atelier::Status(atelier::JobContext&, JobResult&)> body);
    std::function<atelier::Status(atelier::JobContext&, JobResult&)> narrateBody(const QString& text, bool stream, bool list);
    bool startPlayer();        // a fresh player; false (with a message) when no output opens
    void playTake();
    void onJobChanged(const JobUpdate& u);
    void onProgress(atelier::JobId id, double fraction, const QString& stage, double eta);
    void onSentence(int index, const QString& text, qint64 startMs, qint64 durationMs);
    void finishStore(const JobResult& r, bool place);
    void showTake();
    void onTick();
    void updateButtons();

    QPointer<ProjectSession> m_session;
    std::function<qint64()> m_playhead;
    QString m_device;
    std::shared_ptr<const atelier::pipelines::NarrationVoice> m_voiceCache;  // last loaded voice
    std::shared_ptr<atelier::pipelines::NarrationTake> m_take;              // the finished take
    QString m_takeKey;
    QString m_jobKey;  // takeKey() when the running job started
    std::shared_ptr<atelier::pipelines::NarrationPlayer> m_player;  // shared with the streaming job
    atelier::JobId m_job = 0;
    Task m_task = Task::Invalid;
    std::shared_ptr<JobResult> m_result;
    QString m_lastAsset, m_lastClip;

    QPlainTextEdit* m_text = nullptr;
    QComboBox* m_voice = nullptr;
    QPushButton* m_preview = nullptr;
    QDoubleSpinBox* m_speed = nullptr;
    QDoubleSpinBox* m_pause = nullptr;
    QPushButton* m_speak = nullptr;
    QPushButton* m_stop = nullptr;
    QPushButton* m_save = nullptr;
    QPushButton* m_toTimeline = nullptr;
    QComboBox* m_place = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    QTreeWidget* m_sentences = nullptr;
    QPushButton* m_regenerate = nullptr;
    QLabel* m_position = nullptr;
    QTimer* m_tick = nullptr;
};

}  // namespace gui
