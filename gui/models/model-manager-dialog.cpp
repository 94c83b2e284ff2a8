// ModelManagerDialog implementation. The table is rebuilt from ModelCatalog::entries() on every
// modelsChanged; the selection is kept by path.
#include "gui/models/model-manager-dialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include "gui/app/dialog-hooks.h"
#include "gui/app/error-text.h"
#include "gui/app/theme.h"
#include "gui/models/model-catalog.h"
#include "core/job.h"
#include "inference/cpu-features.h"

namespace gui {

namespace ap = atelier::pipelines;

namespace {

enum Column { Name, Architecture, Parameters, Size, Types, Jobs, kColumns };

QString typeMix(const ap::ModelEntry& e) {
    QStringList parts;
    uint64_t total = 0;
    for (const auto& [type, bytes] : e.type_mix) total += bytes;
    for (const auto& [type, bytes] : e.type_mix)
        parts << QStringLiteral("%1 %2%").arg(QString::fromStdString(type)).arg(total ? 100.0 * double(bytes) / double(total) : 0.0, 0, 'f', 0);
    return parts.join(QStringLiteral(", "));
}

QString planText(const atelier::infer::MemoryPlan& p) {
    auto b = [](uint64_t n) { return QString::fromStdString(ap::format_bytes(n)); };
    QString text = QString::fromStdString(p.sentence) + u'\n';
    text += QObject::tr("Weights %1 (%2 must stay in memory, %3 can stream from disk) · cache at %4 tokens %5%6 · scratch %7")
                .arg(b(p.weight_bytes), b(p.resident_weight_bytes), b(p.streamable_weight_bytes))
                .arg(p.n_ctx)
                .arg(b(p.cache_bytes), p.cache_estimated ? QObject::tr(" (estimate)") : QString(), b(p.scratch_bytes));
    text += u'\n' + QObject::tr("Needs %1 of %2 usable (%3 RAM in this machine)").arg(b(p.needed_bytes), b(p.budget_bytes), b(p.total_ram_bytes));
    if (!p.speed_note.empty()) text += u'\n' + QString::fromStdString(p.speed_note);
    for (const std::string& s : p.suggestions) text += QStringLiteral("\n• ") + QString::fromStdString(s);
    return text;
}

}  // namespace

ModelManagerDialog::ModelManagerDialog(ModelCatalog* catalog, std::function<DialogHooks*()> hooks, QWidget* parent)
    : QDialog(parent), m_catalog(catalog), m_hooks(std::move(hooks)) {
    setObjectName(QStringLiteral("modelManagerDialog"));
    setWindowTitle(tr("Model Manager"));
    resize(900, 620);
    auto* v = new QVBoxLayout(this);
    auto* top = new QHBoxLayout;
    m_folder = new QLabel(this);
    m_folder->setObjectName(QStringLiteral("modelsFolderLabel"));
    m_folder->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* rescan = new QPushButton(tr("Rescan"), this);
    rescan->setObjectName(QStringLiteral("rescanButton"));
    top->addWidget(m_folder, 1);
    top->addWidget(rescan);
    v->addLayout(top);

    m_table = new QTableWidget(0, kColumns, this);
    m_table->setObjectName(QStringLiteral("modelTable"));
    m_table->setHorizontalHeaderLabels({tr("Model"), tr("Architecture"), tr("Parameters"), tr("Size"), tr("Types"), tr("Jobs")});
    m_table->verticalHeader()->hide();
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->horizontalHeader()->setSectionResizeMode(Name, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(Jobs, QHeaderView::Stretch);
    v->addWidget(m_table, 3);

    m_details = new QLabel(this);
    m_details->setObjectName(QStringLiteral("modelDetails"));
    m_details->setWordWrap(true);
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse);
    v->addWidget(m_details);
    auto* planRow = new QHBoxLayout;
    auto* planTitle = new QLabel(tr("Memory at a context of"), this);
    planTitle->setObjectName(QStringLiteral("sectionTitle"));
    m_context = new QSpinBox(this);
    m_context->setObjectName(QStringLiteral("planContext"));
    m_context->setRange(256, 1 << 20);
    m_context->setSingleStep(4096);
    m_context->setValue(8192);
    m_context->setSuffix(tr(" tokens"));
    planRow->addWidget(planTitle);
    planRow->addWidget(m_context);
    planRow->addStretch(1);
    v->addLayout(planRow);
    m_plan = new QLabel(this);
    m_plan->setObjectName(QStringLiteral("planText"));
    m_plan->setWordWrap(true);
    m_plan->setTextInteractionFlags(Qt::TextSelectableByMouse);
    v->addWidget(m_plan, 1);

    v->addLayout(buildImportRow());
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("modelStatus"));
    m_status->setWordWrap(true);
    v->addWidget(m_status);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_use = buttons->addButton(tr("Use in Chat"), QDialogButtonBox::ActionRole);
    m_use->setObjectName(QStringLiteral("useModel"));
    v->addWidget(buttons);

    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(rescan, &QPushButton::clicked, m_catalog, &ModelCatalog::rescan);
    connectSignals();
    refresh();
}

QHBoxLayout* ModelManagerDialog::buildImportRow() {
    auto* importRow = new QHBoxLayout;
    m_importFile = new QPushButton(tr("Import File…"), this);
    m_importFile->setObjectName(QStringLiteral("importModelFile"));
    m_importFolder = new QPushButton(tr("Import Folder…"), this);
    m_importFolder->setObjectName(QStringLiteral("importModelFolder"));
    m_link = new QCheckBox(tr("Link instead of copying"), this);
    m_link->setObjectName(QStringLiteral("linkModel"));
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("importProgress"));
    m_progress->setVisible(false);
    m_cancel = new QPushButton(tr("Cancel Import"), this);
    m_cancel->setObjectName(QStringLiteral("cancelImport"));
    m_cancel->setVisible(false);
    for (QWidget* w : {static_cast<QWidget*>(m_importFile), static_cast<QWidget*>(m_importFolder), static_cast<QWidget*>(m_link)})
        importRow->addWidget(w);
    importRow->addWidget(m_progress, 1);
    importRow->addWidget(m_cancel);
    return importRow;
}

void ModelManagerDialog::connectSignals() {
    connect(m_catalog, &ModelCatalog::modelsChanged, this, &ModelManagerDialog::refresh);
    connect(m_catalog, &ModelCatalog::scanningChanged, this, [this](bool busy) {
        if (busy) m_status->setText(tr("Scanning %1…").arg(m_catalog->folder()));
    });
    connect(m_table, &QTableWidget::itemSelectionChanged, this, &ModelManagerDialog::showDetails);
    connect(m_context, &QSpinBox::valueChanged, this, &ModelManagerDialog::showDetails);
    connect(m_importFile, &QPushButton::clicked, this, [this] { startImport(false); });
    connect(m_importFolder, &QPushButton::clicked, this, [this] { startImport(true); });
    connect(m_cancel, &QPushButton::clicked, m_catalog, &ModelCatalog::cancelImport);
    connect(m_catalog, &ModelCatalog::importProgress, this, [this](qint64 done, qint64 total) {
        m_progress->setRange(0, 1000);
        m_progress->setValue(total > 0 ? int(1000 * done / total) : 0);
    });
    connect(m_catalog, &ModelCatalog::importFinished, this, [this](bool ok, const QString& text) {
        m_progress->setVisible(false);
        m_cancel->setVisible(false);
        m_importFile->setEnabled(true);
        m_importFolder->setEnabled(true);
        m_status->setText(ok ? tr("Imported %1").arg(text) : text);
    });
    connect(m_use, &QPushButton::clicked, this, [this] {
        const QString path = selectedPath();
        if (!path.isEmpty()) emit modelChosen(path);
    });
}

QString ModelManagerDialog::selectedPath() const {
    const auto rows = m_table->selectionModel()->selectedRows();
    if (rows.isEmpty()) return {};
    return m_table->item(rows.first().row(), Name)->data(Qt::UserRole).toString();
}

void ModelManagerDialog::refresh() {
    const QString keep = selectedPath();
    m_folder->setText(tr("Models folder: %1").arg(m_catalog->folder()));
    const auto& entries = m_catalog->entries();
    m_table->setRowCount(int(entries.size()));
    const QColor bad = stateColor(int(atelier::JobState::Failed));
    for (int r = 0; r < int(entries.size()); ++r) {
        const ap::ModelEntry& e = entries[size_t(r)];
        auto set = [&](int col, const QString& text) {
            auto* item = new QTableWidgetItem(text);
            item->setToolTip(text);
            if (!e.ok) item->setForeground(bad);
            m_table->setItem(r, col, item);
        };
        set(Name, QString::fromStdString(e.name));
        m_table->item(r, Name)->setData(Qt::UserRole, QString::fromStdString(e.path.string()));
        set(Size, QString::fromStdString(ap::format_bytes(e.size_bytes)));
        if (!e.ok) {
            for (int c : {Architecture, Parameters, Types}) set(c, QString());
            set(Jobs, userMessage(e.error) + QStringLiteral(" — ") + QString::fromStdString(e.error.detail));
            continue;
        }
        set(Architecture, e.architecture.empty() ? tr("(not stated)") : QString::fromStdString(e.architecture));
        set(Parameters, QString::fromStdString(ap::format_count(e.n_params)));
        set(Types, typeMix(e));
        set(Jobs, QString::fromStdString(e.jobs_text()));
    }
    if (!m_catalog->scanError().isEmpty()) m_status->setText(m_catalog->scanError());
    else if (!m_catalog->scanning()) m_status->setText(tr("%n model(s)", nullptr, int(entries.size())));
    for (int r = 0; r < m_table->rowCount(); ++r)
        if (m_table->item(r, Name)->data(Qt::UserRole).toString() == keep) m_table->selectRow(r);
    if (m_table->selectionModel()->selectedRows().isEmpty() && m_table->rowCount() > 0) m_table->selectRow(0);
    showDetails();
}

void ModelManagerDialog::showDetails() {
    const ap::ModelEntry* e = m_catalog->entry(selectedPath());
    m_use->setEnabled(e && e->ok && e->serves("chat"));
    if (!e) {
        m_details->setText(tr("No model selected."));
        m_plan->clear();
        return;
    }
    m_details->setText(QStringLiteral("<b>%1</b><br>%2<br>%3")
                           .arg(QString::fromStdString(e->name).toHtmlEscaped(), QString::fromStdString(e->path.string()).toHtmlEscaped(),
                                e->ok ? tr("%1 tensors in %2 file(s) · %3").arg(e->n_tensors).arg(e->n_files).arg(typeMix(*e).toHtmlEscaped())
                                      : detailText(e->error).toHtmlEscaped()));
    if (!e->ok) {
        m_plan->setText(userMessage(e->error));
        return;
    }
    uint64_t cachePerToken = 0;  // the architecture's own figure once the model is loaded
    if (auto loaded = m_catalog->cache()->find(e->path.string())) cachePerToken = loaded->lm->info().cache_bytes_per_token;
    m_plan->setText(planText(ap::plan_for(*e, m_context->value(), atelier::infer::system_info(), cachePerToken)));
}

void ModelManagerDialog::startImport(bool folder) {
    DialogHooks* hooks = m_hooks ? m_hooks() : nullptr;
    if (!hooks || m_catalog->importing()) return;
    const QString path = hooks->modelPath(this, folder);
    if (path.isEmpty()) return;
    m_importFile->setEnabled(false);
    m_importFolder->setEnabled(false);
    m_progress->setRange(0, 0);
    m_progress->setVisible(true);
    m_cancel->setVisible(true);
    m_status->setText(tr("Importing %1…").arg(path));
    m_catalog->importModel(path, m_link->isChecked() ? ap::ImportMode::Link : ap::ImportMode::Copy);
}

}  // namespace gui
