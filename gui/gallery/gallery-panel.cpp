// GalleryPanel implementation. The view uses uniform item sizes and batched layout so that a
// 10,000-asset project lays out without asking the model for per-item sizes.
#include "gui/gallery/gallery-panel.h"

#include <QAction>
#include <QAbstractButton>
#include <QButtonGroup>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QStackedWidget>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include "gui/app/resources.h"
#include "gui/app/theme.h"
#include "gui/gallery/asset-delegate.h"
#include "gui/models/asset-list-model.h"
#include "gui/widgets/empty-state.h"

namespace gui {

using atelier::projects::AssetKind;

GalleryPanel::GalleryPanel(AssetListModel* model, QWidget* parent) : QWidget(parent), m_model(model) {
    setObjectName(QStringLiteral("galleryPanel"));
    setAttribute(Qt::WA_StyledBackground);  // the theme gives panels their own surface
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 4);
    layout->setSpacing(8);

    m_search = new QLineEdit(this);
    m_search->setObjectName(QStringLiteral("gallerySearch"));
    m_search->setPlaceholderText(tr("Search assets"));
    m_search->setClearButtonEnabled(true);
    layout->addWidget(m_search);

    auto* kindRow = new QHBoxLayout;
    kindRow->setSpacing(0);
    m_kinds = new QButtonGroup(this);
    const QStringList labels{tr("All"), tr("Images"), tr("Audio"), tr("Video")};
    for (int i = 0; i < labels.size(); ++i) {
        auto* b = new QToolButton(this);
        b->setText(labels[i]);
        b->setCheckable(true);
        b->setObjectName(QStringLiteral("segment"));
        b->setProperty("segmentPos", i == 0 ? "first" : (i == labels.size() - 1 ? "last" : "middle"));
        b->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
        m_kinds->addButton(b, i);
        kindRow->addWidget(b);
    }
    m_kinds->button(0)->setChecked(true);
    layout->addLayout(kindRow);

    m_view = new QListView(this);
    m_view->setObjectName(QStringLiteral("galleryView"));
    m_view->setViewMode(QListView::IconMode);
    m_view->setMovement(QListView::Static);
    m_view->setResizeMode(QListView::Adjust);
    m_view->setUniformItemSizes(true);
    m_view->setLayoutMode(QListView::Batched);
    m_view->setBatchSize(200);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setEditTriggers(QAbstractItemView::EditKeyPressed);
    m_view->setItemDelegate(new AssetDelegate(m_view));
    m_view->setGridSize(AssetDelegate::cardSize());
    m_view->setSpacing(0);
    m_view->setMouseTracking(true);
    m_view->setFrameShape(QFrame::NoFrame);
    m_view->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_view->setModel(model);

    m_empty = new EmptyState(QStringLiteral("gallery"), QString(), QString(), this);

    m_stack = new QStackedWidget(this);
    m_stack->addWidget(m_view);
    m_stack->addWidget(m_empty);
    layout->addWidget(m_stack, 1);

    m_searchDebounce = new QTimer(this);
    m_searchDebounce->setSingleShot(true);
    m_searchDebounce->setInterval(150);
    connect(m_search, &QLineEdit::textChanged, m_searchDebounce, qOverload<>(&QTimer::start));
    connect(m_searchDebounce, &QTimer::timeout, this, [this] { m_model->setNameFilter(m_search->text()); });
    connect(m_kinds, &QButtonGroup::idClicked, this, &GalleryPanel::setKindFilterIndex);
    connect(m_model, &AssetListModel::refreshed, this, &GalleryPanel::updateEmptyState);
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] { emit currentAssetChanged(currentUuid()); });
    connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this] { emit currentAssetChanged(currentUuid()); });
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, [this] { emit currentAssetChanged(currentUuid()); });

    m_model->setThumbnailSide(qRound(AssetDelegate::thumbnailSide() * devicePixelRatioF()));
    m_model->setWaveformColor(accentColor());
    refreshIcons();
    updateEmptyState();
}

void GalleryPanel::setKindFilterIndex(int index) {
    static const std::optional<AssetKind> kinds[] = {std::nullopt, AssetKind::Image, AssetKind::Audio, AssetKind::Video};
    if (index < 0 || index > 3) return;
    if (auto* b = m_kinds->button(index)) b->setChecked(true);
    m_model->setKindFilter(kinds[index]);
}

QStringList GalleryPanel::selectedUuids() const {
    QStringList out;
    for (const QModelIndex& i : m_view->selectionModel()->selectedIndexes())
        out << i.data(AssetListModel::UuidRole).toString();
    return out;
}

QString GalleryPanel::currentUuid() const {
    const QModelIndex cur = m_view->currentIndex();
    return cur.isValid() ? cur.data(AssetListModel::UuidRole).toString() : QString();
}

void GalleryPanel::updateEmptyState() {
    const bool empty = m_model->rowCount() == 0;
    const bool filtered = m_model->kindFilter().has_value() || !m_model->nameFilter().trimmed().isEmpty();
    if (!m_projectOpen) {
        m_empty->setText(tr("No project open"), tr("Create or open a project to see\nits images, audio and video here."));
    } else if (filtered) {
        m_empty->setText(tr("No matching assets"), tr("Try another search or choose All."));
    } else {
        m_empty->setText(tr("No assets yet"), tr("Drop images, audio or video here,\nor press Ctrl+I to import."));
    }
    m_stack->setCurrentIndex(empty ? 1 : 0);
}

void GalleryPanel::setProjectOpen(bool open) {
    m_projectOpen = open;
    m_search->setEnabled(open);
    for (QAbstractButton* b : m_kinds->buttons()) b->setEnabled(open);
    updateEmptyState();
}

void GalleryPanel::refreshIcons() {
    const QIcon search = themedIcon(QStringLiteral("search"), mutedTextColor());
    if (!m_searchIcon)
        m_searchIcon = m_search->addAction(search, QLineEdit::LeadingPosition);
    else
        m_searchIcon->setIcon(search);
}

void GalleryPanel::changeEvent(QEvent* event) {
    if (event->type() == QEvent::PaletteChange) {
        refreshIcons();
        m_model->setWaveformColor(accentColor());
    }
    QWidget::changeEvent(event);
}

}  // namespace gui
