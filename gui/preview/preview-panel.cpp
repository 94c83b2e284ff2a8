// PreviewPanel implementation.
#include "gui/preview/preview-panel.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QStackedWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include "gui/app/resources.h"
#include "gui/app/theme.h"
#include "gui/models/asset-list-model.h"
#include "gui/models/thumbnail-loader.h"
#include "gui/player/media-player.h"
#include "gui/post.h"
#include "gui/preview/image-view.h"
#include "gui/session/project-session.h"
#include "gui/widgets/empty-state.h"
#include "media/image.h"

namespace gui {

using atelier::projects::Asset;
using atelier::projects::AssetKind;

static QToolButton* toolButton(QWidget* parent, const QString& tip) {
    auto* b = new QToolButton(parent);
    b->setToolTip(tip);
    b->setAutoRaise(true);
    b->setIconSize(QSize(18, 18));
    return b;
}

PreviewPanel::PreviewPanel(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("previewPanel"));
    setAttribute(Qt::WA_StyledBackground);
    m_pool.setMaxThreadCount(1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);

    auto* bar = new QWidget(this);
    bar->setObjectName(QStringLiteral("previewBar"));
    auto* bl = new QHBoxLayout(bar);
    bl->setContentsMargins(8, 4, 8, 4);
    bl->setSpacing(2);
    m_zoomOut = toolButton(bar, tr("Zoom out (-)"));
    m_zoomIn = toolButton(bar, tr("Zoom in (+)"));
    m_zoomLabel = new QLabel(tr("Fit"), bar);
    m_zoomLabel->setObjectName(QStringLiteral("zoomLabel"));
    m_zoomLabel->setMinimumWidth(48);
    m_zoomLabel->setAlignment(Qt::AlignCenter);
    m_fit = toolButton(bar, tr("Fit to window (F)"));
    m_fit->setText(tr("Fit"));
    m_fit->setObjectName(QStringLiteral("fitButton"));
    m_actual = toolButton(bar, tr("Actual size (1)"));
    m_actual->setText(tr("100%"));
    m_fit->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_fit->setCheckable(true);
    m_actual->setToolButtonStyle(Qt::ToolButtonTextOnly);
    bl->addWidget(m_zoomOut);
    bl->addWidget(m_zoomLabel);
    bl->addWidget(m_zoomIn);
    bl->addStretch(1);
    bl->addWidget(m_fit);
    bl->addWidget(m_actual);
    layout->addWidget(bar);

    m_stack = new QStackedWidget(this);
    m_view = new ImageView(m_stack);
    auto* empty = new EmptyState(QStringLiteral("preview"), tr("Nothing selected"),
                                 tr("Select an asset in the gallery\nto preview it here."), m_stack);
    m_stack->addWidget(m_view);
    m_stack->addWidget(empty);
    layout->addWidget(m_stack, 1);
    m_player = new MediaPlayer(this);
    m_player->setVisible(false);
    layout->addWidget(m_player);
    connect(m_player, &MediaPlayer::frameReady, this, [this](const QImage& frame) { m_view->setImage(frame, /*keepView=*/true); });

    auto* info = new QWidget(this);
    info->setObjectName(QStringLiteral("previewInfo"));
    auto* il = new QVBoxLayout(info);
    il->setContentsMargins(12, 8, 12, 10);
    il->setSpacing(2);
    m_name = new QLabel(info);
    m_name->setObjectName(QStringLiteral("previewName"));
    m_name->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_details = new QLabel(info);
    m_details->setObjectName(QStringLiteral("previewDetails"));
    m_details->setWordWrap(true);
    il->addWidget(m_name);
    il->addWidget(m_details);
    layout->addWidget(info);

    connect(m_zoomIn, &QToolButton::clicked, this, &PreviewPanel::zoomIn);
    connect(m_zoomOut, &QToolButton::clicked, this, &PreviewPanel::zoomOut);
    connect(m_fit, &QToolButton::clicked, this, &PreviewPanel::fitToWindow);
    connect(m_actual, &QToolButton::clicked, this, &PreviewPanel::actualSize);
    connect(m_view, &ImageView::zoomChanged, this, &PreviewPanel::onZoomChanged);
    refreshIcons();
    showEmpty();
}

PreviewPanel::~PreviewPanel() {
    m_pool.clear();
    m_pool.waitForDone();
}

void PreviewPanel::setSession(ProjectSession* session) {
    m_pool.clear();
    m_pool.waitForDone();
    m_session = session;
    showAsset({});
}

void PreviewPanel::zoomIn() { m_view->zoomIn(); }
void PreviewPanel::zoomOut() { m_view->zoomOut(); }
void PreviewPanel::fitToWindow() { m_view->fitToWindow(); }
void PreviewPanel::actualSize() { m_view->actualSize(); }

void PreviewPanel::showEmpty() {
    m_uuid.clear();
    m_player->close();
    m_player->setVisible(false);
    m_view->clear();
    m_stack->setCurrentIndex(1);
    m_name->setText(QString());
    m_details->setText(QString());
    m_name->parentWidget()->setVisible(false);
    m_zoomIn->parentWidget()->setVisible(false);  // the zoom bar appears with something to zoom
}

void PreviewPanel::showAsset(const QString& uuid) {
    ++m_request;
    m_fullLoaded = false;
    if (uuid.isEmpty() || !m_session) return showEmpty();
    auto asset = m_session->project().get_asset(uuid.toStdString());
    if (!asset) return showEmpty();
    m_uuid = uuid;
    setInfo(*asset);
    m_stack->setCurrentIndex(0);
    m_zoomIn->parentWidget()->setVisible(true);
    // Immediate: the stored thumbnail (or waveform) while the full image decodes.
    QImage quick;
    if (asset->kind == AssetKind::Audio) {
        auto d = m_session->project().get_derived(asset->uuid);
        if (d && !d->waveform.empty())
            quick = ThumbnailLoader::renderWaveform(d->waveform, QSize(1200, 360), accentColor());
    } else if (auto t = m_session->project().get_thumbnail(asset->uuid); t && !t->empty()) {
        quick = QImage::fromData(QByteArray::fromRawData(reinterpret_cast<const char*>(t->data()), qsizetype(t->size())));
        quick = quick.copy();  // detach from the temporary buffer
    }
    m_view->setImage(quick);
    if (asset->kind == AssetKind::Image) startFullLoad(*asset);
    openPlayer(*asset);
}

void PreviewPanel::openPlayer(const Asset& asset) {
    m_player->close();
    const bool av = asset.kind == AssetKind::Audio || asset.kind == AssetKind::Video;
    m_player->setVisible(av);
    if (!av) return;
    MediaSource src;
    src.path = m_session->project().asset_file_path(asset);
    src.has_video = asset.kind == AssetKind::Video;
    src.has_audio = asset.kind == AssetKind::Audio || asset.channels > 0;
    src.duration_ms = asset.duration_ms;
    if (auto d = m_session->project().get_derived(asset.uuid); d) src.waveform = d->waveform;
    if (!m_player->open(src)) m_details->setText(m_details->text() + QStringLiteral("\n") + m_player->errorText());
}

void PreviewPanel::startFullLoad(const Asset& asset) {
    const quint64 request = m_request;
    const std::filesystem::path path = m_session->project().asset_file_path(asset);
    const QString uuid = QString::fromStdString(asset.uuid);
    m_pool.start([this, request, path, uuid] {
        auto img = atelier::media::load_image(path);
        QImage q;
        if (img && !img->empty())
            q = QImage(img->rgba.data(), img->width, img->height, img->width * 4, QImage::Format_RGBA8888).copy();
        post(this, [this, request, uuid, q] {
            if (request != m_request || q.isNull()) return;
            m_view->setImage(q, /*keepView=*/true);
            m_fullLoaded = true;
            emit fullImageLoaded(uuid);
        });
    });
}

void PreviewPanel::setInfo(const Asset& a) {
    m_name->parentWidget()->setVisible(true);
    m_name->setText(QString::fromStdString(a.name));
    QStringList parts;
    parts << assetCaption(a) << formatBytes(a.size_bytes);
    if (a.kind == AssetKind::Audio && a.channels > 0)
        parts << (a.channels == 1 ? tr("mono") : a.channels == 2 ? tr("stereo") : tr("%1 channels").arg(a.channels));
    m_details->setText(parts.join(QStringLiteral(" · ")));
}

void PreviewPanel::onZoomChanged(double zoom, bool fit) {
    if (!m_view->hasImage()) return m_zoomLabel->setText(QString());
    m_zoomLabel->setText(QStringLiteral("%1%").arg(qRound(zoom * 100)));
    m_fit->setChecked(fit);
}

void PreviewPanel::refreshIcons() {
    const QColor c = palette().color(QPalette::ButtonText);
    m_zoomIn->setIcon(themedIcon(QStringLiteral("zoom-in"), c));
    m_zoomOut->setIcon(themedIcon(QStringLiteral("zoom-out"), c));
}

void PreviewPanel::changeEvent(QEvent* event) {
    if (event->type() == QEvent::PaletteChange) refreshIcons();
    QWidget::changeEvent(event);
}

}  // namespace gui
