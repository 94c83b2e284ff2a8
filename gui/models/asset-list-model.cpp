// AssetListModel implementation. Invariant: m_rowOf maps every row's uuid to its index.
#include "gui/models/asset-list-model.h"

#include <QMimeData>

#include <QFileInfo>
#include <QLocale>
#include <QSet>
#include <QTimer>

#include "gui/models/thumbnail-loader.h"
#include "gui/session/project-session.h"

namespace gui {

using atelier::projects::Asset;
using atelier::projects::AssetKind;

QString formatDuration(qint64 ms) {
    const qint64 s = (ms + 500) / 1000;
    const qint64 h = s / 3600, m = (s / 60) % 60, sec = s % 60;
    if (h > 0) return QStringLiteral("%1:%2:%3").arg(h).arg(m, 2, 10, QChar(u'0')).arg(sec, 2, 10, QChar(u'0'));
    return QStringLiteral("%1:%2").arg(m).arg(sec, 2, 10, QChar(u'0'));
}

QString formatBytes(qint64 bytes) { return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeSIFormat); }

QString assetCaption(const Asset& a) {
    QString fmt = QFileInfo(QString::fromStdString(a.name)).suffix().toUpper();
    switch (a.kind) {
        case AssetKind::Image:
            if (a.width > 0) return QStringLiteral("%1 × %2 · %3").arg(a.width).arg(a.height).arg(fmt);
            break;
        case AssetKind::Audio: {
            QString s = formatDuration(a.duration_ms);
            if (a.sample_rate_hz > 0) s += QStringLiteral(" · %1 kHz").arg(a.sample_rate_hz / 1000.0, 0, 'g', 3);
            return s;
        }
        case AssetKind::Video:
            if (a.width > 0) return QStringLiteral("%1 · %2p").arg(formatDuration(a.duration_ms)).arg(a.height);
            return formatDuration(a.duration_ms);
        default: break;
    }
    return fmt.isEmpty() ? formatBytes(a.size_bytes) : QStringLiteral("%1 · %2").arg(fmt, formatBytes(a.size_bytes));
}

AssetListModel::AssetListModel(QObject* parent) : QAbstractListModel(parent), m_loader(new ThumbnailLoader(this)) {
    connect(m_loader, &ThumbnailLoader::ready, this, &AssetListModel::onThumbnail);
}

AssetListModel::~AssetListModel() = default;

void AssetListModel::setSession(ProjectSession* session) {
    if (m_session) disconnect(m_session, nullptr, this, nullptr);
    m_session = session;
    m_loader->setSource(session ? &session->project() : nullptr);
    beginResetModel();
    m_rows.clear();
    m_rowOf.clear();
    endResetModel();
    if (session) {
        connect(session, &ProjectSession::assetsChanged, this, &AssetListModel::scheduleRefresh);
        refresh();
    } else {
        emit refreshed();
    }
}

void AssetListModel::setKindFilter(std::optional<AssetKind> kind) {
    if (kind == m_kind) return;
    m_kind = kind;
    refresh();
}

void AssetListModel::setNameFilter(const QString& text) {
    if (text == m_name) return;
    m_name = text;
    refresh();
}

void AssetListModel::setThumbnailSide(int px) {
    m_loader->setSide(px);
    if (!m_rows.empty()) emit dataChanged(index(0), index(rowCount() - 1), {Qt::DecorationRole, ThumbnailRole});
}

void AssetListModel::setWaveformColor(const QColor& color) {
    m_loader->setWaveColor(color);
    if (!m_rows.empty()) emit dataChanged(index(0), index(rowCount() - 1), {Qt::DecorationRole, ThumbnailRole});
}

void AssetListModel::scheduleRefresh() {
    if (m_refreshScheduled) return;
    m_refreshScheduled = true;
    QTimer::singleShot(0, this, [this] {
        m_refreshScheduled = false;
        refresh();
    });
}

void AssetListModel::refresh() {
    if (!m_session) return;
    atelier::projects::AssetFilter f;
    f.kind = m_kind;
    f.name_contains = m_name.trimmed().toStdString();
    auto rows = m_session->project().list_assets(f);
    if (!rows) return;  // keep showing what we have; the session reports errors elsewhere
    applyRows(std::move(rows).value());
    emit refreshed();
}

// Diff by uuid: removed runs, then inserted runs, then changed rows. Falls back to a reset if the
// surviving rows changed their relative order (e.g. a different sort).
void AssetListModel::applyRows(std::vector<Asset> fresh) {
    QSet<QString> freshIds;
    freshIds.reserve(qsizetype(fresh.size()));
    for (const auto& a : fresh) freshIds.insert(QString::fromStdString(a.uuid));
    std::vector<std::string> oldSurvivors, newSurvivors;
    for (const auto& a : m_rows)
        if (freshIds.contains(QString::fromStdString(a.uuid))) oldSurvivors.push_back(a.uuid);
    for (const auto& a : fresh)
        if (m_rowOf.contains(QString::fromStdString(a.uuid))) newSurvivors.push_back(a.uuid);
    if (m_rows.empty() || oldSurvivors != newSurvivors) {
        beginResetModel();
        m_rows = std::move(fresh);
        rebuildIndex();
        endResetModel();
        return;
    }
    for (int end = int(m_rows.size()) - 1; end >= 0;) {  // removals, back to front
        if (freshIds.contains(QString::fromStdString(m_rows[size_t(end)].uuid))) { --end; continue; }
        int begin = end;
        while (begin > 0 && !freshIds.contains(QString::fromStdString(m_rows[size_t(begin - 1)].uuid))) --begin;
        beginRemoveRows({}, begin, end);
        m_rows.erase(m_rows.begin() + begin, m_rows.begin() + end + 1);
        endRemoveRows();
        end = begin - 1;
    }
    for (size_t i = 0; i < fresh.size();) {  // insertions, front to back; m_rows is now a prefix-match
        if (i < m_rows.size() && m_rows[i].uuid == fresh[i].uuid) {
            if (m_rows[i].name != fresh[i].name) {
                m_rows[i] = fresh[i];
                emit dataChanged(index(int(i)), index(int(i)));
            }
            ++i;
            continue;
        }
        size_t j = i;
        while (j < fresh.size() && !(i < m_rows.size() && fresh[j].uuid == m_rows[i].uuid)) ++j;
        beginInsertRows({}, int(i), int(j) - 1);
        m_rows.insert(m_rows.begin() + i, fresh.begin() + i, fresh.begin() + j);
        endInsertRows();
        i = j;
    }
    rebuildIndex();
}

void AssetListModel::rebuildIndex() {
    m_rowOf.clear();
    m_rowOf.reserve(qsizetype(m_rows.size()));
    for (size_t i = 0; i < m_rows.size(); ++i) m_rowOf.insert(QString::fromStdString(m_rows[i].uuid), int(i));
}

void AssetListModel::onThumbnail(const QString& uuid) {
    const int row = rowOf(uuid);
    if (row < 0) return;
    emit dataChanged(index(row), index(row), {Qt::DecorationRole, ThumbnailRole, ThumbnailPendingRole});
    emit thumbnailReady(row);
}

int AssetListModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(m_rows.size()); }

const Asset* AssetListModel::assetAt(int row) const {
    return row >= 0 && size_t(row) < m_rows.size() ? &m_rows[size_t(row)] : nullptr;
}

bool AssetListModel::isThumbnailReady(int row) const {
    const Asset* a = assetAt(row);
    if (!a) return false;
    const QString id = QString::fromStdString(a->uuid);
    return m_loader->isCached(id) || m_loader->hasNone(id);
}

QVariant AssetListModel::data(const QModelIndex& index, int role) const {
    const Asset* a = assetAt(index.row());
    if (!a || index.column() != 0) return {};
    switch (role) {
        case Qt::DisplayRole:
        case Qt::EditRole: return QString::fromStdString(a->name);
        case Qt::ToolTipRole:
            return QStringLiteral("%1\n%2 · %3").arg(QString::fromStdString(a->name), assetCaption(*a),
                                                     formatBytes(a->size_bytes));
        case UuidRole: return QString::fromStdString(a->uuid);
        case KindRole: return int(a->kind);
        case CaptionRole: return assetCaption(*a);
        case DurationRole: return qint64(a->duration_ms);
        case Qt::DecorationRole:
        case ThumbnailRole: return m_loader->get(QString::fromStdString(a->uuid), a->kind);
        case ThumbnailPendingRole: return !isThumbnailReady(index.row());
        default: return {};
    }
}

bool AssetListModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    const Asset* a = assetAt(index.row());
    if (!a || role != Qt::EditRole || !m_session) return false;
    const QString name = value.toString().trimmed();
    if (name.isEmpty() || name == QString::fromStdString(a->name)) return false;
    return m_session->renameAsset(QString::fromStdString(a->uuid), name).ok();
}

Qt::ItemFlags AssetListModel::flags(const QModelIndex& index) const {
    if (!index.isValid()) return Qt::NoItemFlags;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsEditable | Qt::ItemNeverHasChildren | Qt::ItemIsDragEnabled;
}

QStringList AssetListModel::mimeTypes() const { return {QStringLiteral("application/x-atelier-asset-uuids")}; }

QMimeData* AssetListModel::mimeData(const QModelIndexList& indexes) const {
    QStringList uuids;
    for (const QModelIndex& i : indexes)
        if (const Asset* a = assetAt(i.row())) uuids << QString::fromStdString(a->uuid);
    if (uuids.isEmpty()) return nullptr;
    auto* mime = new QMimeData;
    mime->setData(QStringLiteral("application/x-atelier-asset-uuids"), uuids.join(u'\n').toUtf8());
    return mime;
}

QHash<int, QByteArray> AssetListModel::roleNames() const {
    auto names = QAbstractListModel::roleNames();
    names.insert(UuidRole, "uuid");
    names.insert(KindRole, "kind");
    names.insert(ThumbnailRole, "thumbnail");
    names.insert(CaptionRole, "caption");
    return names;
}

}  // namespace gui
