// AssetListModel: the project's assets as a flat list for the gallery. Rows come from one
// Project::list_assets query (filtered by kind and name in SQL); thumbnails are not read until a
// view asks for a row's decoration (ThumbnailLoader). refresh() keeps rows stable by UUID: it
// emits remove/insert for what changed instead of resetting, so selection and scroll survive.
// Thread-safety: GUI thread only.
#pragma once

#include <QAbstractListModel>
#include <QHash>
#include <QPixmap>
#include <QPointer>

#include <functional>
#include <optional>
#include <vector>

#include "projects/project.h"

namespace gui {

class ProjectSession;
class ThumbnailLoader;

class AssetListModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        UuidRole = Qt::UserRole + 1,
        KindRole,             // int(atelier::projects::AssetKind)
        ThumbnailRole,        // QPixmap: the decoded thumbnail or waveform; null until ready
        ThumbnailPendingRole, // bool: a decode is queued or running
        CaptionRole,          // "1920 × 1080 · PNG", "0:12 · 48 kHz"
        DurationRole,         // qint64 ms
    };

    explicit AssetListModel(QObject* parent = nullptr);
    ~AssetListModel() override;

    void setSession(ProjectSession* session);  // nullptr: empty
    void setKindFilter(std::optional<atelier::projects::AssetKind> kind);
    void setNameFilter(const QString& text);
    std::optional<atelier::projects::AssetKind> kindFilter() const { return m_kind; }
    QString nameFilter() const { return m_name; }
    // Device pixels of the longest thumbnail side (the view's icon size x DPR).
    void setThumbnailSide(int px);
    void setWaveformColor(const QColor& color);

    void refresh();          // query now
    void scheduleRefresh();  // coalesce several change notifications into one query

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role) override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QHash<int, QByteArray> roleNames() const override;
    // Drag source for the timeline: "application/x-atelier-asset-uuids", one uuid a line.
    QStringList mimeTypes() const override;
    QMimeData* mimeData(const QModelIndexList& indexes) const override;

    const atelier::projects::Asset* assetAt(int row) const;
    int rowOf(const QString& uuid) const { return m_rowOf.value(uuid, -1); }
    bool isThumbnailReady(int row) const;
    ThumbnailLoader* loader() const { return m_loader; }

signals:
    void refreshed();  // after every refresh (row count may have changed)
    void thumbnailReady(int row);

private:
    void applyRows(std::vector<atelier::projects::Asset> fresh);
    void rebuildIndex();
    void onThumbnail(const QString& uuid);

    QPointer<ProjectSession> m_session;
    ThumbnailLoader* m_loader = nullptr;
    std::vector<atelier::projects::Asset> m_rows;
    QHash<QString, int> m_rowOf;
    std::optional<atelier::projects::AssetKind> m_kind;
    QString m_name;
    bool m_refreshScheduled = false;
};

QString assetCaption(const atelier::projects::Asset& asset);
QString formatDuration(qint64 ms);  // "0:12", "1:02:03"
QString formatBytes(qint64 bytes);  // "1.4 MB"

}  // namespace gui
