// ModelCatalog implementation. Invariant: only the scan whose generation matches
// m_scanGeneration may replace m_entries (a superseded scan's result is dropped).
#include "gui/models/model-catalog.h"


#include "gui/app/error-text.h"
#include "gui/post.h"

namespace gui {

namespace ap = atelier::pipelines;

ModelCatalog::ModelCatalog(QObject* parent) : QObject(parent), m_cache(std::make_shared<ap::ModelCache>()) {}

ModelCatalog::~ModelCatalog() {
    m_scanThread.request_stop();
    m_importThread.request_stop();
    if (m_scanThread.joinable()) m_scanThread.join();
    if (m_importThread.joinable()) m_importThread.join();
}

void ModelCatalog::setFolder(const QString& folder) {
    if (folder == m_folder && (m_scanning || !m_entries.empty() || !m_scanError.isEmpty())) return;
    m_folder = folder;
    rescan();
}

void ModelCatalog::rescan() {
    m_scanThread.request_stop();
    if (m_scanThread.joinable()) m_scanThread.join();  // header reads: quick to stop
    const int generation = ++m_scanGeneration;
    const std::filesystem::path dir = m_folder.toStdString();
    m_scanning = true;
    emit scanningChanged(true);
    m_scanThread = std::jthread([this, dir, generation](std::stop_token stop) {
        ap::ScanOptions opts;
        opts.stop = stop;
        auto result = std::make_shared<atelier::Result<std::vector<ap::ModelEntry>>>(ap::scan_models(dir, opts));
        post(this, [this, result, generation] {
            if (generation != m_scanGeneration) return;
            m_scanning = false;
            if (result->ok()) {
                m_entries = std::move(**result);
                m_scanError.clear();
            } else if (!atelier::is_cancelled(result->error())) {
                m_entries.clear();
                m_scanError = userMessage(result->error());
            }
            emit scanningChanged(false);
            emit modelsChanged();
        });
    });
}

const ap::ModelEntry* ModelCatalog::entry(const QString& path) const {
    const std::string key = ap::ModelCache::key_for(path.toStdString());
    for (const ap::ModelEntry& e : m_entries)
        if (ap::ModelCache::key_for(e.path.string()) == key) return &e;
    return nullptr;
}

QList<QPair<QString, QString>> ModelCatalog::chatModels() const {
    QList<QPair<QString, QString>> out;
    QStringList keys;
    for (const ap::ModelEntry& e : m_entries) {
        if (!e.ok || !e.serves("chat")) continue;
        const QString key = QString::fromStdString(ap::ModelCache::key_for(e.path.string()));
        out.append({key, QString::fromStdString(e.name)});
        keys << key;
    }
    for (const std::string& k : m_cache->keys()) {
        const QString key = QString::fromStdString(k);
        if (keys.contains(key)) continue;
        auto m = m_cache->find(k);
        out.append({key, m ? QString::fromStdString(m->name) : key});
    }
    return out;
}

void ModelCatalog::importModel(const QString& path, ap::ImportMode mode) {
    if (m_importing) return;
    m_importThread = std::jthread();  // the previous one has finished (m_importing was false)
    m_importing = true;
    const std::filesystem::path src = path.toStdString(), dst = m_folder.toStdString();
    m_importThread = std::jthread([this, src, dst, mode](std::stop_token stop) {
        ap::ImportModelOptions opts;
        opts.mode = mode;
        opts.stop = stop;
        opts.progress = [this](int64_t done, int64_t total) {
            post(this, [this, done, total] { emit importProgress(done, total); });
        };
        auto r = ap::import_model(src, dst, opts);
        const bool ok = r.ok();
        const QString text = ok ? QString::fromStdString(r->string()) : userMessage(r.error());
        const bool cancelled = !ok && atelier::is_cancelled(r.error());
        post(this, [this, ok, text, cancelled] {
            m_importing = false;
            emit importFinished(ok, cancelled ? tr("Import cancelled.") : text);
            if (ok) rescan();
        });
    });
}

void ModelCatalog::cancelImport() { m_importThread.request_stop(); }

}  // namespace gui
