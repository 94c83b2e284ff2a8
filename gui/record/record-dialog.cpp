// RecordDialog implementation.
#include "gui/record/record-dialog.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

#include "gui/session/project-session.h"
#include "media/audio-device.h"
#include "pipelines/record.h"

namespace gui {

namespace {
QSettings store() { return QSettings(QSettings::UserScope, QStringLiteral("Atelier"), QStringLiteral("Atelier")); }
const QString kDeviceKey = QStringLiteral("record/device");

QString clock(qint64 ms) {
    const qint64 s = std::max<qint64>(0, ms) / 1000;
    return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}
}  // namespace

RecordDialog::RecordDialog(ProjectSession* session, QWidget* parent) : QDialog(parent), m_session(session) {
    setObjectName(QStringLiteral("recordDialog"));
    setWindowTitle(tr("Record Audio"));
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout();
    m_device = new QComboBox(this);
    m_device->setObjectName(QStringLiteral("recordDevice"));
    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("recordName"));
    m_name->setPlaceholderText(tr("Recording <date> <time>"));
    form->addRow(tr("&Input:"), m_device);
    form->addRow(tr("&Name:"), m_name);
    layout->addLayout(form);
    auto* meter = new QHBoxLayout();
    m_level = new QProgressBar(this);
    m_level->setObjectName(QStringLiteral("recordLevel"));
    m_level->setRange(0, 100);
    m_level->setValue(0);
    m_level->setTextVisible(false);
    m_level->setToolTip(tr("Input level (peak)"));
    m_time = new QLabel(clock(0), this);
    m_time->setObjectName(QStringLiteral("recordTime"));
    meter->addWidget(m_level, 1);
    meter->addWidget(m_time);
    layout->addLayout(meter);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("recordStatus"));
    m_status->setWordWrap(true);
    layout->addWidget(m_status);
    auto* buttons = new QHBoxLayout();
    m_record = new QPushButton(tr("&Record"), this);
    m_record->setObjectName(QStringLiteral("recordStart"));
    m_record->setDefault(true);
    m_stop = new QPushButton(tr("&Stop"), this);
    m_stop->setObjectName(QStringLiteral("recordStop"));
    auto* close = new QPushButton(tr("Close"), this);
    buttons->addStretch(1);
    buttons->addWidget(m_record);
    buttons->addWidget(m_stop);
    buttons->addWidget(close);
    layout->addLayout(buttons);

    connect(m_record, &QPushButton::clicked, this, [this] { start(); });
    connect(m_stop, &QPushButton::clicked, this, &RecordDialog::stop);
    connect(close, &QPushButton::clicked, this, &RecordDialog::reject);
    connect(m_session, &ProjectSession::jobPartial, this, &RecordDialog::onPartial);
    connect(m_session, &ProjectSession::recordingFinished, this, &RecordDialog::onFinished);
    fillDevices();
    setRecordingUi(false);
}

void RecordDialog::fillDevices() {
    m_device->clear();
    m_device->addItem(tr("Default input"), QString());
    auto devices = atelier::media::list_audio_devices();
    if (!devices) {
        m_status->setText(tr("Sound devices cannot be listed: %1").arg(QString::fromStdString(devices.error().message())));
        return;
    }
    int inputs = 0;
    for (const auto& d : *devices) {
        if (d.max_input_channels <= 0) continue;
        ++inputs;
        const QString name = QString::fromStdString(d.name);
        m_device->addItem(d.is_default_input ? tr("%1 (default)").arg(name) : name, name);
    }
    if (inputs == 0) m_status->setText(tr("No microphone was found. Connect one, then reopen this window."));
    const int remembered = m_device->findData(store().value(kDeviceKey).toString());
    if (remembered > 0) m_device->setCurrentIndex(remembered);
}

void RecordDialog::setRecordingUi(bool recording) {
    m_record->setEnabled(!recording);
    m_stop->setEnabled(recording);
    m_device->setEnabled(!recording);
    m_name->setEnabled(!recording);
    if (!recording) m_level->setValue(0);
}

bool RecordDialog::start() {
    if (m_job != 0) return false;
    atelier::pipelines::RecordOptions opts;
    opts.device = m_device->currentData().toString().toStdString();
    opts.name = m_name->text().trimmed().toStdString();
    if (!opts.name.empty() && opts.name.find('.') == std::string::npos) opts.name += ".wav";
    m_job = m_session->startRecording(opts);
    if (m_job == 0) {
        m_status->setText(tr("The recording could not start."));
        return false;
    }
    store().setValue(kDeviceKey, m_device->currentData().toString());
    m_elapsedMs = 0;
    m_time->setText(clock(0));
    m_status->setText(tr("Recording… Stop keeps what was recorded."));
    setRecordingUi(true);
    return true;
}

void RecordDialog::stop() {
    if (m_job == 0) return;
    m_status->setText(tr("Stopping and saving…"));
    m_stop->setEnabled(false);
    m_session->cancelJob(m_job);  // the record job ends the take and keeps it
}

void RecordDialog::onPartial(atelier::JobId id, const QString& kind, const QString& payload) {
    if (id != m_job || kind != QStringLiteral("level")) return;
    const QJsonObject o = QJsonDocument::fromJson(payload.toUtf8()).object();
    m_level->setValue(static_cast<int>(std::lround(std::clamp(o.value(QStringLiteral("peak")).toDouble(), 0.0, 1.0) * 100.0)));
    m_elapsedMs = static_cast<qint64>(o.value(QStringLiteral("elapsed_ms")).toDouble());
    m_time->setText(clock(m_elapsedMs));
}

void RecordDialog::onFinished(atelier::JobId id, const QString& assetUuid, qint64 durationMs, const QString& error) {
    if (id != m_job) return;
    m_job = 0;
    setRecordingUi(false);
    if (!error.isEmpty() || assetUuid.isEmpty()) {
        m_status->setText(tr("The recording failed: %1").arg(error.isEmpty() ? tr("nothing was recorded") : error));
        return;
    }
    m_lastAsset = assetUuid;
    m_time->setText(clock(durationMs));
    m_status->setText(tr("Saved to the project (%1).").arg(clock(durationMs)));
    emit recorded(assetUuid);
}

void RecordDialog::reject() {
    if (m_job != 0) stop();
    QDialog::reject();
}

}  // namespace gui
