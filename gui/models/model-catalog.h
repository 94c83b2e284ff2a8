// ModelCatalog: the app-wide view of the models folder (pipelines/model-manager) and the shared
// ModelCache that every project's chats load models through (loaded once per process). Scans and
// imports run on worker threads; results arrive on the GUI thread as signals (gui::post). A newer
// scan supersedes an older one; an import can be cancelled (nothing partial is left).
// Thread-safety: GUI thread only (the workers only touch their own copies).
#pragma once

#include <QObject>
#include <QString>

#include <atomic>
#include <memory>
#include <stop_token>
#include <thread>
#include <vector>

#include "pipelines/chat-models.h"
#include "pipelines/model-manager.h"

namespace gui {

class ModelCatalog : public QObject {
    Q_OBJECT
public:
    explicit ModelCatalog(QObject* parent = nullptr);
    ~ModelCatalog() override;  // stops a scan or import and waits for it

    QString folder() const { return m_folder; }
    void setFolder(const QString& folder);  // rescans when it changed
    void rescan();
    bool scanning() const { return m_scanning; }
    QString scanError() const { return m_scanError; }  // empty when the last scan worked
    const std::vector<atelier::pipelines::ModelEntry>& entries() const { return m_entries; }
    const atelier::pipelines::ModelEntry* entry(const QString& path) const;

    // Models a chat can use: scanned models that serve chat, then loaded ones not in the folder
    // (tests put a toy model in the cache). (key, label) pairs.
    QList<QPair<QString, QString>> chatModels() const;

    std::shared_ptr<atelier::pipelines::ModelCache> cache() const { return m_cache; }

    void importModel(const QString& path, atelier::pipelines::ImportMode mode);
    void cancelImport();
    bool importing() const { return m_importing; }

signals:
    void modelsChanged();
    void scanningChanged(bool scanning);
    void importProgress(qint64 doneBytes, qint64 totalBytes);
    void importFinished(bool ok, const QString& pathOrError);

private:
    QString m_folder;
    std::vector<atelier::pipelines::ModelEntry> m_entries;
    QString m_scanError;
    bool m_scanning = false;
    int m_scanGeneration = 0;
    std::jthread m_scanThread;
    bool m_importing = false;
    std::jthread m_importThread;
    std::shared_ptr<atelier::pipelines::ModelCache> m_cache;
};

}  // namespace gui
