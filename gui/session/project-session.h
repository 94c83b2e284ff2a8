// ProjectSession: the GUI's handle on one open project. Owns the pipelines::Studio, hands it
// gui::post (closures queue to this object, so they are dropped if the session dies first) and
// re-emits Studio observers as Qt signals on the GUI thread. All document edits from the GUI go
// through here as undoable commands.
// Thread-safety: GUI thread only. Worker-thread progress is hopped here with gui::post.
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>

#include <map>
#include <memory>
#include <vector>

#include "core/job.h"
#include "core/result.h"
#include "pipelines/record.h"
#include "pipelines/studio.h"

namespace gui {

// One job's state as the GUI shows it (copied out of atelier::JobInfo / JobRecord).
struct JobUpdate {
    atelier::JobId id = 0;  // 0 for jobs persisted by an earlier session
    QString uuid;
    QString kind;
    QString title;
    atelier::JobState state = atelier::JobState::Invalid;
    double fraction = 0.0;  // negative: indeterminate
    QString stage;
    double etaSeconds = -1.0;
    QString error;  // user-facing text when Failed
};

struct ImportSummary {
    int added = 0;
    int duplicates = 0;
    QStringList failures;  // "name: reason"
};

class ProjectSession : public QObject {
    Q_OBJECT
public:
    // Both return an Error (never throw) when the file cannot be created or opened.
    static atelier::Result<std::unique_ptr<ProjectSession>> create(const QString& path);
    static atelier::Result<std::unique_ptr<ProjectSession>> open(const QString& path);
    ~ProjectSession() override;  // cancels running jobs (bounded by their cancel latency)

    atelier::pipelines::Studio& studio() { return *m_studio; }
    atelier::projects::Project& project() { return m_studio->project(); }
    QString path() const { return m_path; }
    QString displayName() const;

    // Jobs persisted by an earlier session that are not final-and-forgettable (interrupted).
    std::vector<JobUpdate> persistedJobs();

    atelier::JobId importFiles(const QStringList& paths);
    atelier::JobId submitSleep(int durationMs, const QString& title);
    // Starts a microphone take (pipelines::submit_record). Cancelling the job stops the take and
    // keeps it; when the job is done the asset is registered for undo and recordingFinished fires.
    atelier::JobId startRecording(const atelier::pipelines::RecordOptions& options);
    bool cancelJob(atelier::JobId id);
    atelier::Result<atelier::JobId> rerunJob(const QString& uuid);

    bool canUndo() const;
    bool canRedo() const;
    QString undoText() const;  // "Import 3 files"; empty if nothing
    QString redoText() const;
    atelier::Status undo();
    atelier::Status redo();
    atelier::Status removeAssets(const QStringList& uuids);
    atelier::Status renameAsset(const QString& uuid, const QString& name);

signals:
    void assetsChanged();
    void historyChanged();
    void jobChanged(const gui::JobUpdate& update);
    void jobProgress(atelier::JobId id, double fraction, const QString& stage, double etaSeconds);
    void importFinished(const gui::ImportSummary& summary);
    // A job's partial result (kind and payload as the job defines them), on the GUI thread.
    void jobPartial(atelier::JobId id, const QString& kind, const QString& payload);
    // A take ended: the new asset (empty when it failed) and its length; error text when it failed.
    void recordingFinished(atelier::JobId id, const QString& assetUuid, qint64 durationMs, const QString& error);

private:
    explicit ProjectSession(const QString& path);
    void connectStudio();
    atelier::Status pushCommand(std::unique_ptr<atelier::projects::Command> cmd);

    void finishRecording(const atelier::JobInfo& info);

    QString m_path;
    std::unique_ptr<atelier::pipelines::Studio> m_studio;
    std::map<atelier::JobId, std::shared_ptr<atelier::pipelines::RecordReport>> m_recordings;
};

JobUpdate jobUpdateFrom(const atelier::JobInfo& info);

}  // namespace gui
