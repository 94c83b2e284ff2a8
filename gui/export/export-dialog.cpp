// ExportDialog implementation. Invariant: at most one job per dialog; while it runs the inputs
// are disabled and Cancel cancels the job (the job removes its .part file); afterwards Cancel
// closes the dialog.
// Thread-safety: GUI thread only.
#include "gui/export/export-dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include <memory>

#include "gui/app/dialog-hooks.h"
#include "gui/app/error-text.h"
#include "gui/session/project-session.h"
#include "pipelines/export.h"
#include "pipelines/timeline-edit.h"

namespace gui {

namespace pl = atelier::pipelines;
using atelier::JobState;

namespace {

QString suffixFor(const QString& preset) {
    if (preset == QLatin1String("opus") || preset == QLatin1String("mp3") || preset == QLatin1String("wav")) return preset;
    return QStringLiteral("mp4");
}

QString etaText(double seconds) {
    if (seconds < 0) return QObject::tr("Estimating time left…");
    const int s = int(seconds + 0.5);
    return QObject::tr("About %1:%2 left").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

}  // namespace

ExportDialog::ExportDialog(ProjectSession* session, DialogHooks* hooks, const QString& timelineUuid, QWidget* parent)
    : QDialog(parent), m_session(session), m_hooks(hooks), m_timelineUuid(timelineUuid) {
    setObjectName(QStringLiteral("exportDialog"));
    setWindowTitle(tr("Export"));
    m_source = new QComboBox;
    m_source->setObjectName(QStringLiteral("exportSource"));
    m_source->addItem(tr("Timeline"), QString());
    if (session) {
        if (auto assets = session->project().list_assets()) {
            for (const auto& a : *assets) {
                if (a.kind == atelier::projects::AssetKind::Audio || a.kind == atelier::projects::AssetKind::Video)
                    m_source->addItem(tr("Asset: %1").arg(QString::fromStdString(a.name)), QString::fromStdString(a.uuid));
            }
        }
    }
    m_preset = new QComboBox;
    m_preset->setObjectName(QStringLiteral("exportPreset"));
    for (const std::string& n : pl::export_preset_names()) m_preset->addItem(QString::fromStdString(n), QString::fromStdString(n));
    m_path = new QLineEdit;
    m_path->setObjectName(QStringLiteral("exportPath"));
    m_browse = new QPushButton(tr("Browse…"));
    m_browse->setObjectName(QStringLiteral("exportBrowse"));
    auto* pathRow = new QHBoxLayout;
    pathRow->addWidget(m_path, 1);
    pathRow->addWidget(m_browse);
    m_estimate = new QLabel;
    m_estimate->setObjectName(QStringLiteral("exportEstimate"));
    m_progress = new QProgressBar;
    m_progress->setObjectName(QStringLiteral("exportProgress"));
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    m_eta = new QLabel;
    m_eta->setObjectName(QStringLiteral("exportEta"));
    m_status = new QLabel;
    m_status->setWordWrap(true);

    auto* form = new QFormLayout;
    form->addRow(tr("Source"), m_source);
    form->addRow(tr("Preset"), m_preset);
    form->addRow(tr("Save to"), pathRow);
    form->addRow(tr("Estimated size"), m_estimate);
    form->addRow(tr("Progress"), m_progress);
    form->addRow(QString(), m_eta);
    auto* buttons = new QDialogButtonBox;
    m_export = buttons->addButton(tr("Export"), QDialogButtonBox::AcceptRole);
    m_export->setObjectName(QStringLiteral("exportStart"));
    m_cancel = buttons->addButton(QDialogButtonBox::Cancel);
    m_cancel->setObjectName(QStringLiteral("exportCancel"));
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_status);
    layout->addWidget(buttons);

    if (session) {
        const QFileInfo project(session->path());
        m_path->setText(project.absoluteDir().filePath(project.completeBaseName() + QStringLiteral(".mp4")));
        connect(session, &ProjectSession::jobChanged, this, &ExportDialog::onJobChanged);
        connect(session, &ProjectSession::jobProgress, this, &ExportDialog::onProgress);
    }
    connect(m_source, &QComboBox::currentIndexChanged, this, &ExportDialog::updateEstimate);
    connect(m_preset, &QComboBox::currentIndexChanged, this, [this] {
        updateSuffix();
        updateEstimate();
    });
    connect(m_browse, &QPushButton::clicked, this, &ExportDialog::onBrowse);
    connect(m_export, &QPushButton::clicked, this, &ExportDialog::startExport);
    connect(m_cancel, &QPushButton::clicked, this, &ExportDialog::onCancel);
    updateEstimate();
    setMinimumWidth(520);
}

void ExportDialog::updateSuffix() {
    const QString path = m_path->text();
    if (path.isEmpty()) return;
    const QFileInfo fi(path);
    m_path->setText(fi.dir().filePath(fi.completeBaseName() + u'.' + suffixFor(m_preset->currentData().toString())));
}

void ExportDialog::updateEstimate() {
    m_durationMs = 0;
    const QString asset = m_source->currentData().toString();
    if (m_session) {
        if (asset.isEmpty()) {
            if (auto tl = pl::snapshot_timeline(m_session->project(), m_timelineUuid.toStdString())) m_durationMs = tl->duration_ms();
        } else if (auto a = m_session->project().get_asset(asset.toStdString())) {
            m_durationMs = a->duration_ms;
        }
    }
    auto preset = pl::export_preset(m_preset->currentData().toString().toStdString());
    m_estimatedBytes = preset ? pl::estimate_export_size_bytes(*preset, m_durationMs) : 0;
    const double seconds = double(m_durationMs) / 1000.0;
    m_estimate->setText(m_durationMs > 0 ? tr("about %1 for %2 s").arg(QLocale().formattedDataSize(m_estimatedBytes)).arg(seconds, 0, 'f', 1)
                                         : tr("nothing to export yet"));
}

void ExportDialog::onBrowse() {
    if (!m_hooks) return;
    const QString path = m_hooks->exportPath(this, m_path->text());
    if (!path.isEmpty()) m_path->setText(path);
}

void ExportDialog::setRunning(bool running) {
    for (QWidget* w : {static_cast<QWidget*>(m_source), static_cast<QWidget*>(m_preset), static_cast<QWidget*>(m_path),
                       static_cast<QWidget*>(m_browse), static_cast<QWidget*>(m_export)})
        w->setEnabled(!running);
    m_cancel->setText(running ? tr("Cancel Export") : tr("Close"));
}

bool ExportDialog::startExport() {
    if (!m_session || m_state == JobState::Queued || m_state == JobState::Running || m_state == JobState::Cancelling) return false;
    const QString path = m_path->text().trimmed();
    if (path.isEmpty()) {
        m_status->setText(tr("Choose where to save the export."));
        return false;
    }
    pl::ExportOptions opts;
    opts.preset = m_preset->currentData().toString().toStdString();
    if (QFileInfo::exists(path)) {
        if (!m_hooks || !m_hooks->confirm(this, tr("Replace file?"), tr("%1 exists. Replace it?").arg(path))) return false;
        opts.overwrite = true;
    }
    const QString asset = m_source->currentData().toString();
    auto& studio = m_session->studio();
    if (asset.isEmpty()) {
        m_job = pl::submit_export_timeline(studio, m_timelineUuid.toStdString(), path.toStdString(), opts);
    } else {
        auto a = m_session->project().get_asset(asset.toStdString());
        if (!a) {
            m_status->setText(userMessage(a.error()));
            return false;
        }
        const std::filesystem::path src = a->storage == atelier::projects::AssetStorage::External
                                              ? std::filesystem::path(a->rel_path)
                                              : m_session->project().media_dir() / a->rel_path;
        atelier::JobSpec spec{.uuid = {}, .kind = "convert", .title = "Export " + QFileInfo(path).fileName().toStdString(), .params_json = "{}"};
        m_job = studio.submit_job(std::move(spec), [src, dest = path.toStdString(), opts](atelier::JobContext& ctx) -> atelier::Status {
            ATELIER_TRY_ASSIGN(pl::ExportReport r, pl::convert_media(&ctx, src, dest, opts));
            (void)r;
            return atelier::ok_status();
        });
    }
    m_state = JobState::Queued;
    m_progress->setValue(0);
    m_eta->setText(etaText(-1));
    m_status->setText(tr("Exporting to %1…").arg(path));
    setRunning(true);
    return true;
}

void ExportDialog::onCancel() {
    if (m_session && m_job != 0 && (m_state == JobState::Queued || m_state == JobState::Running)) {
        m_session->cancelJob(m_job);
        m_status->setText(tr("Cancelling…"));
        return;
    }
    reject();
}

void ExportDialog::onJobChanged(const JobUpdate& u) {
    if (m_job == 0 || u.id != m_job) return;
    m_state = u.state;
    if (!atelier::job_state_is_final(u.state)) return;
    setRunning(false);
    const QString path = m_path->text().trimmed();
    if (u.state == JobState::Done) {
        m_progress->setValue(1000);
        m_eta->setText(tr("Done"));
        m_status->setText(tr("Exported %1 (%2).").arg(path, QLocale().formattedDataSize(QFileInfo(path).size())));
    } else if (u.state == JobState::Cancelled) {
        m_eta->clear();
        m_status->setText(tr("Export cancelled; nothing was written."));
    } else {
        m_eta->clear();
        m_status->setText(tr("Export failed: %1").arg(u.error));
    }
    emit exportFinished(u.state, path);
}

void ExportDialog::onProgress(atelier::JobId id, double fraction, const QString&, double etaSeconds) {
    if (m_job == 0 || id != m_job) return;
    if (m_state == JobState::Queued) m_state = JobState::Running;
    if (fraction >= 0) m_progress->setValue(int(fraction * 1000.0));
    m_eta->setText(etaText(etaSeconds));
}

}  // namespace gui
