// JobQueuePanel implementation.
#include "gui/jobs/job-queue-panel.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QListView>
#include <QPushButton>
#include <QStackedWidget>
#include <QVBoxLayout>

#include "gui/jobs/job-delegate.h"
#include "gui/jobs/job-list-model.h"

namespace gui {

JobQueuePanel::JobQueuePanel(JobListModel* model, QWidget* parent) : QWidget(parent), m_model(model) {
    setObjectName(QStringLiteral("jobQueuePanel"));
    setAttribute(Qt::WA_StyledBackground);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);

    auto* header = new QWidget(this);
    header->setObjectName(QStringLiteral("jobHeader"));
    auto* hl = new QHBoxLayout(header);
    hl->setContentsMargins(12, 4, 8, 4);
    m_summary = new QLabel(header);
    m_summary->setObjectName(QStringLiteral("jobSummary"));
    m_clear = new QPushButton(tr("Clear finished"), header);
    m_clear->setObjectName(QStringLiteral("flatButton"));
    m_clear->setCursor(Qt::PointingHandCursor);
    hl->addWidget(m_summary, 1);
    hl->addWidget(m_clear);
    layout->addWidget(header);

    m_view = new QListView(this);
    m_view->setObjectName(QStringLiteral("jobView"));
    m_delegate = new JobDelegate(m_view);
    m_view->setItemDelegate(m_delegate);
    m_view->setModel(model);
    m_view->setUniformItemSizes(true);
    m_view->setMouseTracking(true);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setFrameShape(QFrame::NoFrame);
    m_view->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);

    auto* empty = new QLabel(tr("No jobs running. Imports and other long tasks show their progress here."), this);
    empty->setObjectName(QStringLiteral("emptyText"));
    empty->setAlignment(Qt::AlignCenter);
    empty->setWordWrap(true);
    m_stack = new QStackedWidget(this);
    m_stack->addWidget(m_view);
    m_stack->addWidget(empty);
    layout->addWidget(m_stack, 1);

    connect(m_delegate, &JobDelegate::cancelClicked, this, [this](const QModelIndex& i) { m_model->cancelRow(i.row()); });
    connect(m_delegate, &JobDelegate::rerunClicked, this, [this](const QModelIndex& i) { m_model->rerunRow(i.row()); });
    connect(m_clear, &QPushButton::clicked, m_model, &JobListModel::clearFinished);
    connect(m_model, &JobListModel::countsChanged, this, &JobQueuePanel::updateHeader);
    connect(m_model, &QAbstractItemModel::modelReset, this, &JobQueuePanel::updateHeader);
    updateHeader();
}

void JobQueuePanel::updateHeader() {
    const int active = m_model->activeCount(), finished = m_model->finishedCount();
    if (active == 0 && finished == 0)
        m_summary->setText(tr("No jobs"));
    else if (active == 0)
        m_summary->setText(tr("%1 finished").arg(finished));
    else
        m_summary->setText(tr("%1 active").arg(active) + (finished ? tr(" · %1 finished").arg(finished) : QString()));
    m_clear->setVisible(finished > 0);
    m_stack->setCurrentIndex(m_model->rowCount() == 0 ? 1 : 0);
}

}  // namespace gui
