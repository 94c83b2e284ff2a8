// SettingsDialog implementation.
#include "gui/dialogs/settings-dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QVBoxLayout>

#include "gui/app/dialog-hooks.h"
#include "inference/cpu-features.h"

namespace gui {

SettingsDialog::SettingsDialog(const AppSettings& current, DialogHooks* hooks, QWidget* parent)
    : QDialog(parent), m_base(current), m_hooks(hooks) {
    setObjectName(QStringLiteral("settingsDialog"));
    setWindowTitle(tr("Settings"));
    setMinimumWidth(520);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(20, 18, 20, 14);
    layout->setSpacing(14);
    auto* form = new QFormLayout;
    form->setHorizontalSpacing(16);
    form->setVerticalSpacing(10);
    form->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);

    auto* modelsRow = new QHBoxLayout;
    m_models = new QLineEdit(current.modelsFolder, this);
    m_models->setObjectName(QStringLiteral("modelsFolder"));
    auto* browse = new QPushButton(tr("Browse…"), this);
    modelsRow->addWidget(m_models, 1);
    modelsRow->addWidget(browse);
    form->addRow(tr("Models folder"), modelsRow);

    const auto& cpu = atelier::infer::cpu_features();
    const auto sys = atelier::infer::system_info();
    m_device = new QComboBox(this);
    m_device->setObjectName(QStringLiteral("device"));
    m_device->addItem(tr("CPU"), QStringLiteral("cpu"));
    m_device->addItem(tr("CUDA (not available)"), QStringLiteral("cuda"));
    if (auto* items = qobject_cast<QStandardItemModel*>(m_device->model())) {
        items->item(1)->setEnabled(false);
        items->item(1)->setToolTip(tr("This build of Atelier has no CUDA backend yet; everything runs on the CPU."));
    }
    m_device->setCurrentIndex(0);
    form->addRow(tr("Device"), m_device);
    auto* cpuInfo = new QLabel(this);
    cpuInfo->setObjectName(QStringLiteral("emptyText"));
    cpuInfo->setWordWrap(true);
    cpuInfo->setTextInteractionFlags(Qt::TextSelectableByMouse);
    const QString brand = cpu.brand.empty() ? tr("Unknown CPU") : QString::fromStdString(cpu.brand);
    cpuInfo->setText(tr("%1 · %2 cores · %3 RAM\nFeatures: %4\nCUDA: not in this build")
                         .arg(brand)
                         .arg(sys.logical_cores)
                         .arg(QLocale().formattedDataSize(qint64(sys.total_ram_bytes), 1, QLocale::DataSizeTraditionalFormat))
                         .arg(QString::fromStdString(cpu.summary())));
    form->addRow(QString(), cpuInfo);

    m_threads = new QSpinBox(this);
    m_threads->setObjectName(QStringLiteral("threads"));
    m_threads->setRange(1, qMax(1, sys.logical_cores) * 2);
    m_threads->setValue(qBound(1, current.threads, m_threads->maximum()));
    m_threads->setToolTip(tr("Compute threads for inference. Default: one per logical core (%1).").arg(sys.logical_cores));
    form->addRow(tr("Threads"), m_threads);

    m_theme = new QComboBox(this);
    m_theme->setObjectName(QStringLiteral("theme"));
    m_theme->addItem(tr("Dark"), themeKey(Theme::Dark));
    m_theme->addItem(tr("Light"), themeKey(Theme::Light));
    m_theme->addItem(tr("System"), themeKey(Theme::System));
    m_theme->setCurrentIndex(qMax(0, m_theme->findData(themeKey(current.theme))));
    form->addRow(tr("Theme"), m_theme);
    layout->addLayout(form);
    layout->addStretch(1);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &SettingsDialog::reject);
    connect(browse, &QPushButton::clicked, this, [this] {
        if (!m_hooks) return;
        const QString dir = m_hooks->folderPath(this, tr("Models Folder"), m_models->text());
        if (!dir.isEmpty()) m_models->setText(dir);
    });
}

AppSettings SettingsDialog::values() const {
    AppSettings s = m_base;
    s.modelsFolder = m_models->text().trimmed();
    s.device = m_device->currentData().toString();
    s.threads = m_threads->value();
    s.theme = themeFromKey(m_theme->currentData().toString());
    return s;
}

void SettingsDialog::accept() {
    const AppSettings s = values();
    s.save();
    emit settingsApplied(s);
    QDialog::accept();
}

}  // namespace gui
