// JobListModel implementation. Newest jobs are appended at the bottom (queue order).
#include "gui/jobs/job-list-model.h"

#include <cmath>

#include "gui/app/error-text.h"

namespace gui {

using atelier::JobId;
using atelier::JobState;

QString jobStateText(JobState s) {
    switch (s) {
        case JobState::Queued: return JobListModel::tr("Queued");
        case JobState::Running: return JobListModel::tr("Running");
        case JobState::Cancelling: return JobListModel::tr("Cancelling…");
        case JobState::Done: return JobListModel::tr("Done");
        case JobState::Failed: return JobListModel::tr("Failed");
        case JobState::Cancelled: return JobListModel::tr("Cancelled");
        case JobState::Interrupted: return JobListModel::tr("Interrupted");
        case JobState::Invalid: break;
    }
    return {};
}

QString jobStageText(const QString& key) {
    static const QHash<QString, const char*> names{
        {QStringLiteral("scan"), QT_TRANSLATE_NOOP("JobListModel", "Finding files")},
        {QStringLiteral("probe"), QT_TRANSLATE_NOOP("JobListModel", "Reading media")},
        {QStringLiteral("hash"), QT_TRANSLATE_NOOP("JobListModel", "Checking for duplicates")},
        {QStringLiteral("copy"), QT_TRANSLATE_NOOP("JobListModel", "Copying into project")},
        {QStringLiteral("thumbnail"), QT_TRANSLATE_NOOP("JobListModel", "Making thumbnails")},
        {QStringLiteral("waveform"), QT_TRANSLATE_NOOP("JobListModel", "Drawing waveforms")},
        {QStringLiteral("apply"), QT_TRANSLATE_NOOP("JobListModel", "Adding to project")},
        {QStringLiteral("sleep"), QT_TRANSLATE_NOOP("JobListModel", "Waiting")},
    };
    auto it = names.find(key);
    if (it != names.end()) return JobListModel::tr(*it);
    if (key.isEmpty()) return {};
    QString s = key;
    s.replace(u'_', u' ');
    s[0] = s[0].toUpper();
    return s;
}

QString formatEta(double seconds) {
    if (!(seconds >= 0) || std::isinf(seconds)) return {};
    const long s = std::lround(seconds);
    if (s < 60) return JobListModel::tr("~%1 s left").arg(std::max(1L, s));
    if (s < 3600) return JobListModel::tr("~%1 min left").arg(std::lround(seconds / 60.0));
    return JobListModel::tr("~%1 h %2 min left").arg(s / 3600).arg((s % 3600) / 60);
}

JobListModel::JobListModel(QObject* parent) : QAbstractListModel(parent) {}

void JobListModel::setSession(ProjectSession* session) {
    if (m_session) disconnect(m_session, nullptr, this, nullptr);
    m_session = session;
    beginResetModel();
    m_rows.clear();
    if (session) m_rows = session->persistedJobs();
    endResetModel();
    if (session) {
        connect(session, &ProjectSession::jobChanged, this, &JobListModel::applyUpdate);
        connect(session, &ProjectSession::jobProgress, this, &JobListModel::applyProgress);
    }
    emit countsChanged();
}

int JobListModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(m_rows.size()); }

const JobUpdate* JobListModel::jobAt(int row) const {
    return row >= 0 && size_t(row) < m_rows.size() ? &m_rows[size_t(row)] : nullptr;
}

int JobListModel::rowOfUuid(const QString& uuid) const {
    for (size_t i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].uuid == uuid) return int(i);
    return -1;
}

int JobListModel::rowOfId(JobId id) const {
    if (id == 0) return -1;
    for (size_t i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].id == id) return int(i);
    return -1;
}

int JobListModel::activeCount() const {
    int n = 0;
    for (const auto& r : m_rows) n += !atelier::job_state_is_final(r.state);
    return n;
}

int JobListModel::finishedCount() const { return int(m_rows.size()) - activeCount(); }

void JobListModel::emitRow(int row) { emit dataChanged(index(row), index(row)); }

void JobListModel::applyUpdate(const JobUpdate& u) {
    int row = rowOfUuid(u.uuid);
    if (row < 0) {
        beginInsertRows({}, int(m_rows.size()), int(m_rows.size()));
        m_rows.push_back(u);
        endInsertRows();
        emit countsChanged();
        return;
    }
    JobUpdate& r = m_rows[size_t(row)];
    const bool keepCancelling = r.state == JobState::Cancelling && !atelier::job_state_is_final(u.state);
    const JobState state = keepCancelling ? JobState::Cancelling : u.state;
    const double fraction = u.fraction >= 0 || u.state == JobState::Queued ? u.fraction : r.fraction;
    r = u;
    r.state = state;
    r.fraction = fraction;
    if (u.state == JobState::Done) r.fraction = 1.0;
    emitRow(row);
    emit countsChanged();
}

void JobListModel::applyProgress(JobId id, double fraction, const QString& stage, double etaSeconds) {
    const int row = rowOfId(id);
    if (row < 0) return;
    JobUpdate& r = m_rows[size_t(row)];
    if (atelier::job_state_is_final(r.state)) return;
    r.fraction = fraction;
    r.stage = stage;
    r.etaSeconds = etaSeconds;
    if (r.state == JobState::Queued) r.state = JobState::Running;
    emitRow(row);
}

bool JobListModel::cancelRow(int row) {
    const JobUpdate* j = jobAt(row);
    if (!j || !m_session || j->id == 0) return false;
    if (j->state != JobState::Queued && j->state != JobState::Running) return false;
    if (!m_session->cancelJob(j->id)) return false;
    // cancelJob may already have delivered the final state (a queued job is dropped at once).
    JobUpdate& r = m_rows[size_t(row)];
    if (!atelier::job_state_is_final(r.state)) r.state = JobState::Cancelling;
    emitRow(row);
    emit countsChanged();
    return true;
}

bool JobListModel::rerunRow(int row) {
    const JobUpdate* j = jobAt(row);
    if (!j || !m_session) return false;
    const QString uuid = j->uuid;
    auto id = m_session->rerunJob(uuid);
    if (!id) {
        emit rerunFailed(userMessage(id.error()));
        return false;
    }
    const int old = rowOfUuid(uuid);  // the new job's row may have been added meanwhile
    if (old >= 0) {
        beginRemoveRows({}, old, old);
        m_rows.erase(m_rows.begin() + old);
        endRemoveRows();
    }
    emit countsChanged();
    return true;
}

void JobListModel::clearFinished() {
    for (int i = int(m_rows.size()) - 1; i >= 0; --i) {
        const JobState s = m_rows[size_t(i)].state;
        if (s != JobState::Done && s != JobState::Cancelled) continue;
        beginRemoveRows({}, i, i);
        m_rows.erase(m_rows.begin() + i);
        endRemoveRows();
    }
    emit countsChanged();
}

QVariant JobListModel::data(const QModelIndex& index, int role) const {
    const JobUpdate* j = jobAt(index.row());
    if (!j) return {};
    switch (role) {
        case Qt::DisplayRole: return j->title.isEmpty() ? j->kind : j->title;
        case Qt::ToolTipRole: return j->error.isEmpty() ? QVariant(j->title) : QVariant(j->error);
        case IdRole: return quint64(j->id);
        case UuidRole: return j->uuid;
        case KindRole: return j->kind;
        case StateRole: return int(j->state);
        case StateTextRole: return jobStateText(j->state);
        case FractionRole: return j->fraction;
        case StageTextRole: return jobStageText(j->stage);
        case EtaTextRole: return j->state == JobState::Running ? formatEta(j->etaSeconds) : QString();
        case ErrorRole: return j->error;
        case CanCancelRole: return j->id != 0 && (j->state == JobState::Queued || j->state == JobState::Running);
        case CanRerunRole:
            return j->state == JobState::Interrupted || j->state == JobState::Failed || j->state == JobState::Cancelled;
        default: return {};
    }
}

}  // namespace gui
