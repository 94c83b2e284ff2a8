// TimelineWorkspace: the Timeline tab: a toolbar (add subtitle, delete, zoom, export), the track
// view (gui/timeline/timeline-view), the frame at the playhead (TimelinePreview, rendered off the
// GUI thread) and an inspector for the selected clip (times, video in point, audio gain/fades,
// subtitle text). Every edit is one command on the project's UndoStack (pipelines/timeline-edit);
// the view reloads from the project after each change of history, so undo/redo show at once.
// Thread-safety: GUI thread only.
#pragma once

#include <QHash>
#include <QPointer>
#include <QWidget>

#include <memory>

#include "gui/timeline/timeline-view.h"

class QAction;
class QDoubleSpinBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QScrollArea;

namespace atelier::projects {
class Command;
}

namespace gui {

class ProjectSession;
class TimelinePreview;

class TimelineWorkspace : public QWidget {
    Q_OBJECT
public:
    struct Actions {
        QAction* addSubtitle = nullptr;
        QAction* deleteClip = nullptr;
        QAction* zoomIn = nullptr;
        QAction* zoomOut = nullptr;
        QAction* exportTimeline = nullptr;  // the workspace emits exportRequested
    };

    explicit TimelineWorkspace(QWidget* parent = nullptr);
    ~TimelineWorkspace() override;

    void setSession(ProjectSession* session);  // nullptr: empty
    void reload();                             // from the project (after undo/redo, imports)

    const Actions& actions() const { return m_actions; }
    TimelineView* view() const { return m_view; }
    TimelinePreview* previewRenderer() const { return m_preview; }
    QLabel* previewLabel() const { return m_previewLabel; }
    QString timelineUuid() const;

    // Inspector fields (tests drive them like a user: set a value, then editingFinished).
    QLineEdit* subtitleTextEdit() const { return m_text; }
    QDoubleSpinBox* startEdit() const { return m_start; }
    QDoubleSpinBox* durationEdit() const { return m_duration; }
    QDoubleSpinBox* gainEdit() const { return m_gain; }

    // Adds assets at startMs on trackUuid (empty: the first track of the asset's kind), one after
    // another, as one undo step. Returns false (with a status message) if nothing was added.
    bool addAssets(const QStringList& assetUuids, const QString& trackUuid, qint64 startMs);
    bool addSubtitle(qint64 startMs, qint64 durationMs, const QString& text);

signals:
    void exportRequested();
    void statusMessage(const QString& text, int timeoutMs);

private:
    void buildActions();
    QWidget* buildInspector();
    bool push(std::unique_ptr<atelier::projects::Command> cmd);
    void onClipEdited(const atelier::projects::ClipRow& before, const atelier::projects::ClipRow& after, const QString& label);
    void onDelete();
    void onInspectorEdited();
    void showSelection();
    void requestPreview();
    QString trackFor(atelier::projects::AssetKind kind, const QString& dropped) const;

    QPointer<ProjectSession> m_session;
    Actions m_actions;
    TimelineView* m_view = nullptr;
    QScrollArea* m_scroll = nullptr;
    TimelinePreview* m_preview = nullptr;
    QLabel* m_previewLabel = nullptr;
    QLabel* m_timeLabel = nullptr;
    QGroupBox* m_inspector = nullptr;
    QDoubleSpinBox* m_start = nullptr;
    QDoubleSpinBox* m_duration = nullptr;
    QDoubleSpinBox* m_in = nullptr;
    QDoubleSpinBox* m_gain = nullptr;
    QDoubleSpinBox* m_fadeIn = nullptr;
    QDoubleSpinBox* m_fadeOut = nullptr;
    QLineEdit* m_text = nullptr;
    bool m_filling = false;  // inspector being filled from the model: no edits
};

}  // namespace gui
