// JobListModel: the job queue as a list (STYLE §6): one row per job with state (Queued, Running,
// Cancelling, Done, Failed, Cancelled, Interrupted), progress, stage and ETA. Rows are keyed by
// job UUID (persisted jobs from an earlier session have no scheduler id). Fed by ProjectSession
// signals; progress for unknown or final jobs is ignored, and a row the user asked to cancel
// stays Cancelling until its final state arrives.
// Thread-safety: GUI thread only.
#pragma once

#include <QAbstractListModel>
#include <QHash>

#include <vector>

#include "gui/session/project-session.h"

namespace gui {

class JobListModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        IdRole = Qt::UserRole + 1,  // quint64 scheduler id (0 if none)
        UuidRole,
        KindRole,
        StateRole,       // int(atelier::JobState)
        StateTextRole,   // "Running", "Interrupted"...
        FractionRole,    // double; negative while indeterminate
        StageTextRole,   // "Making thumbnails"
        EtaTextRole,     // "~12 s left"; empty when unknown
        ErrorRole,
        CanCancelRole,
        CanRerunRole,
    };

    explicit JobListModel(QObject* parent = nullptr);

    void setSession(ProjectSession* session);  // clears, then loads persisted (interrupted) jobs

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;

    const JobUpdate* jobAt(int row) const;
    int rowOfUuid(const QString& uuid) const;
    int rowOfId(atelier::JobId id) const;
    int activeCount() const;  // queued + running + cancelling
    int finishedCount() const;

    void applyUpdate(const JobUpdate& update);
    void applyProgress(atelier::JobId id, double fraction, const QString& stage, double etaSeconds);

    bool cancelRow(int row);  // asks the Studio; the row shows Cancelling at once
    bool rerunRow(int row);   // Studio::rerun_job; the old row is replaced by the new job
    void clearFinished();

signals:
    void countsChanged();
    void rerunFailed(const QString& message);

private:
    void emitRow(int row);

    ProjectSession* m_session = nullptr;
    std::vector<JobUpdate> m_rows;
};

QString jobStateText(atelier::JobState state);
QString jobStageText(const QString& stageKey);  // "probe" -> "Probing"
QString formatEta(double seconds);              // "~12 s left", "~3 min left"; "" when < 0

}  // namespace gui
