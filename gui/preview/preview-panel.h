// PreviewPanel (right dock): shows the current asset. Images appear at once from the stored
// thumbnail and are replaced by the full-resolution decode (media::load_image on the panel's own
// worker) when it arrives; audio shows its waveform and video its poster frame, both with a
// MediaPlayer transport (play, seek, volume, frame steps) under them. Zoom controls:
// zoom out / in, Fit and 100%. Thread-safety: GUI thread only; the decode worker hands results
// back with gui::post and stale results are dropped by request number.
#pragma once

#include <QThreadPool>
#include <QWidget>

#include <optional>

#include "projects/project.h"

class QLabel;
class QStackedWidget;
class QToolButton;

namespace gui {

class ImageView;
class MediaPlayer;
class ProjectSession;

class PreviewPanel : public QWidget {
    Q_OBJECT
public:
    explicit PreviewPanel(QWidget* parent = nullptr);
    ~PreviewPanel() override;

    void setSession(ProjectSession* session);
    void showAsset(const QString& uuid);  // empty: clear
    QString assetUuid() const { return m_uuid; }
    ImageView* imageView() const { return m_view; }
    MediaPlayer* player() const { return m_player; }  // shown for audio and video assets
    bool isFullImageLoaded() const { return m_fullLoaded; }
    void refreshIcons();

    void zoomIn();
    void zoomOut();
    void fitToWindow();
    void actualSize();

signals:
    void fullImageLoaded(const QString& uuid);

protected:
    void changeEvent(QEvent* event) override;

private:
    void showEmpty();
    void setInfo(const atelier::projects::Asset& asset);
    void onZoomChanged(double zoom, bool fit);
    void startFullLoad(const atelier::projects::Asset& asset);
    void openPlayer(const atelier::projects::Asset& asset);

    ProjectSession* m_session = nullptr;
    QString m_uuid;
    quint64 m_request = 0;
    bool m_fullLoaded = false;
    QThreadPool m_pool;
    QStackedWidget* m_stack;
    ImageView* m_view;
    MediaPlayer* m_player;
    QLabel* m_name;
    QLabel* m_details;
    QLabel* m_zoomLabel;
    QToolButton* m_zoomOut;
    QToolButton* m_zoomIn;
    QToolButton* m_fit;
    QToolButton* m_actual;
};

}  // namespace gui
