// ProjectSession implementation. Invariant: m_studio is non-null for the whole life of a
// session returned by create()/open(); it is destroyed first in ~ProjectSession, and closures it
// queued afterwards die with this QObject's posted events.
#include "gui/session/project-session.h"

#include <QFileInfo>

#include "gui/app/error-text.h"
#include "gui/post.h"

namespace gui {

using atelier::JobId;
using atelier::JobState;
namespace fs = std::filesystem;
namespace projects = atelier::projects;

static fs::path toPath(const QString& s) { return fs::path(s.toStdString()); }

JobUpdate jobUpdateFrom(const atelier::JobInfo& info) {
    JobUpdate u;
    u.id = info.id;
    u.uuid = QString::fromStdString(info.spec.uuid);
    u.kind = QString::fromStdString(info.spec.kind);
    u.title = QString::fromStdString(info.spec.title);
    u.state = info.state;
    u.fraction = info.progress.fraction;
    u.stage = QString::fromStdString(info.progress.stage);
    u.etaSeconds = info.progress.eta_s;
    if (info.state == JobState::Failed) u.error = userMessage(info.error);
    return u;
}

ProjectSession::ProjectSession(const QString& path) : m_path(path) {}

ProjectSession::~ProjectSession() {
    if (m_studio) {
        // Stop jobs before the Studio starts tearing itself down (each honours cancel within
        // 200 ms), so no worker reports into a half-destroyed Studio.
        m_studio->scheduler().cancel_all();
        m_studio->scheduler().wait_idle();
    }
    m_studio.reset();  // joins workers; whatever they posted is dropped with this object
}

atelier::Result<std::unique_ptr<ProjectSession>> ProjectSession::create(const QString& path) {
    std::unique_ptr<ProjectSession> s(new ProjectSession(path));
    const std::string name = QFileInfo(path).completeBaseName().toStdString();
    auto studio = atelier::pipelines::Studio::create(toPath(path), name, makePostFn(s.get()));
    if (!studio) return std::move(studio).error();
    s->m_studio = std::move(studio).value();
    s->connectStudio();
    return s;
}

atelier::Result<std::unique_ptr<ProjectSession>> ProjectSession::open(const QString& path) {
    std::unique_ptr<ProjectSession> s(new ProjectSession(path));
    auto studio = atelier::pipelines::Studio::open(toPath(path), makePostFn(s.get()));
    if (!studio) return std::move(studio).error();
    s->m_studio = std::move(studio).value();
    s->connectStudio();
    return s;
}

void ProjectSession::connectStudio() {
    atelier::pipelines::StudioEvents ev;
    ev.on_job_state = [this](const atelier::JobInfo& info) {
        if (m_recordings.count(info.id) && atelier::job_state_is_final(info.state)) finishRecording(info);
        emit jobChanged(jobUpdateFrom(info));
        emit historyChanged();  // a finished import has pushed a command
    };
    // Worker thread: copy what we need and hop to the GUI thread.
    ev.on_job_progress = [this](JobId id, const atelier::JobProgress& p) {
        const double fraction = p.fraction, eta = p.eta_s;
        const QString stage = QString::fromStdString(p.stage);
        post(this, [this, id, fraction, stage, eta] { emit jobProgress(id, fraction, stage, eta); });
    };
    ev.on_job_partial = [this](JobId id, const atelier::JobPartial& part) {  // worker thread
        const QString kind = QString::fromStdString(part.kind), payload = QString::fromStdString(part.payload);
        post(this, [this, id, kind, payload] { emit jobPartial(id, kind, payload); });
    };
    ev.on_assets_changed = [this] {
        emit assetsChanged();
        emit historyChanged();
    };
    ev.on_import_finished = [this](const atelier::JobInfo&, const atelier::pipelines::ImportReport& report) {
        ImportSummary s;
        s.added = static_cast<int>(report.added.size());
        s.duplicates = static_cast<int>(report.duplicates.size());
        for (const auto& f : report.failures)
            s.failures << QStringLiteral("%1: %2").arg(QString::fromStdString(f.path.filename().string()),
                                                     userMessage(f.error));
        emit importFinished(s);
        emit assetsChanged();
        emit historyChanged();
    };
    m_studio->set_events(std::move(ev));
}

atelier::JobId ProjectSession::startRecording(const atelier::pipelines::RecordOptions& options) {
    auto report = std::make_shared<atelier::pipelines::RecordReport>();
    const JobId id = atelier::pipelines::submit_record(*m_studio, options, report);
    if (id != 0) m_recordings[id] = std::move(report);
    return id;
}

void ProjectSession::finishRecording(const atelier::JobInfo& info) {
    auto it = m_recordings.find(info.id);
    const std::shared_ptr<atelier::pipelines::RecordReport> report = it->second;
    m_recordings.erase(it);
    QString error;
    if (info.state == JobState::Done && !report->asset_uuid.empty()) {
        atelier::Status s = atelier::pipelines::register_recording(*m_studio, *report);
        if (!s.ok()) error = userMessage(s.error());
        emit assetsChanged();
        emit historyChanged();
    } else {
        error = info.error.code != atelier::ErrorCode::Invalid ? userMessage(info.error) : tr("The recording did not finish.");
    }
    emit recordingFinished(info.id, QString::fromStdString(report->asset_uuid), report->duration_ms, error);
}

QString ProjectSession::displayName() const { return QFileInfo(m_path).completeBaseName(); }

std::vector<JobUpdate> ProjectSession::persistedJobs() {
    std::vector<JobUpdate> out;
    auto jobs = project().list_jobs();
    if (!jobs) return out;
    for (const auto& r : *jobs) {
        if (r.state != JobState::Interrupted) continue;
        JobUpdate u;
        u.id = m_studio->job_id_for_uuid(r.uuid);
        u.uuid = QString::fromStdString(r.uuid);
        u.kind = QString::fromStdString(r.kind);
        u.title = QString::fromStdString(r.title);
        u.state = r.state;
        u.fraction = r.progress;
        u.stage = QString::fromStdString(r.stage);
        out.push_back(std::move(u));
    }
    return out;
}

JobId ProjectSession::importFiles(const QStringList& paths) {
    std::vector<fs::path> inputs;
    inputs.reserve(static_cast<size_t>(paths.size()));
    for (const auto& p : paths) inputs.push_back(toPath(p));
    return m_studio->import_files(std::move(inputs));
}

JobId ProjectSession::submitSleep(int durationMs, const QString& title) {
    return m_studio->submit_sleep(durationMs, title.toStdString());
}

bool ProjectSession::cancelJob(JobId id) { return m_studio->cancel(id); }

atelier::Result<JobId> ProjectSession::rerunJob(const QString& uuid) {
    return m_studio->rerun_job(uuid.toStdString());
}

bool ProjectSession::canUndo() const { return m_studio->undo().can_undo(); }
bool ProjectSession::canRedo() const { return m_studio->undo().can_redo(); }
QString ProjectSession::undoText() const { return QString::fromStdString(m_studio->undo().undo_label()); }
QString ProjectSession::redoText() const { return QString::fromStdString(m_studio->undo().redo_label()); }

atelier::Status ProjectSession::undo() {
    auto st = m_studio->undo().undo();
    emit assetsChanged();
    emit historyChanged();
    return st;
}

atelier::Status ProjectSession::redo() {
    auto st = m_studio->undo().redo();
    emit assetsChanged();
    emit historyChanged();
    return st;
}

atelier::Status ProjectSession::pushCommand(std::unique_ptr<projects::Command> cmd) {
    auto st = m_studio->undo().push(std::move(cmd));
    emit assetsChanged();
    emit historyChanged();
    return st;
}

atelier::Status ProjectSession::removeAssets(const QStringList& uuids) {
    std::vector<std::string> ids;
    for (const auto& u : uuids) ids.push_back(u.toStdString());
    if (ids.empty()) return atelier::ok_status();
    return pushCommand(std::make_unique<projects::RemoveAssetsCommand>(std::move(ids)));
}

atelier::Status ProjectSession::renameAsset(const QString& uuid, const QString& name) {
    const QString trimmed = name.trimmed();
    if (trimmed.isEmpty()) return atelier::make_error(atelier::ErrorCode::InvalidArgument, "empty asset name",
                                                      "type a name with at least one character");
    return pushCommand(std::make_unique<projects::RenameAssetCommand>(uuid.toStdString(), trimmed.toStdString()));
}

}  // namespace gui
