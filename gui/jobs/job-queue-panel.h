// JobQueuePanel (bottom dock): a header with counts and "Clear finished", and the job list
// (JobListModel + JobDelegate) whose row buttons cancel or rerun jobs. Shows an empty state when
// there are no jobs. Thread-safety: GUI thread only.
#pragma once

#include <QWidget>

class QLabel;
class QListView;
class QPushButton;
class QStackedWidget;

namespace gui {

class JobListModel;
class JobDelegate;

class JobQueuePanel : public QWidget {
    Q_OBJECT
public:
    explicit JobQueuePanel(JobListModel* model, QWidget* parent = nullptr);
    QListView* view() const { return m_view; }
    JobDelegate* delegate() const { return m_delegate; }

private:
    void updateHeader();

    JobListModel* m_model;
    JobDelegate* m_delegate;
    QListView* m_view;
    QStackedWidget* m_stack;
    QLabel* m_summary;
    QPushButton* m_clear;
};

}  // namespace gui
