// ShortcutsDialog and AboutDialog implementations.
#include "gui/dialogs/info-dialogs.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

#include "core/version.h"
#include "gui/app/resources.h"
#include "inference/cpu-features.h"

namespace gui {

ShortcutsDialog::ShortcutsDialog(const QList<QPair<QString, QList<QAction*>>>& groups, QWidget* parent)
    : QDialog(parent) {
    setObjectName(QStringLiteral("shortcutsDialog"));
    setWindowTitle(tr("Keyboard Shortcuts"));
    resize(480, 560);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(16, 16, 16, 12);
    m_table = new QTableWidget(0, 2, this);
    m_table->setHorizontalHeaderLabels({tr("Action"), tr("Shortcut")});
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    m_table->setShowGrid(false);
    m_table->setFocusPolicy(Qt::NoFocus);
    for (const auto& [title, actions] : groups) {
        bool headerDone = false;
        for (QAction* a : actions) {
            if (a->shortcuts().isEmpty()) continue;
            if (!headerDone) {
                const int r = m_table->rowCount();
                m_table->insertRow(r);
                auto* h = new QTableWidgetItem(title);
                QFont f = h->font();
                f.setBold(true);
                h->setFont(f);
                m_table->setItem(r, 0, h);
                headerDone = true;
            }
            QStringList keys;
            for (const QKeySequence& k : a->shortcuts()) keys << k.toString(QKeySequence::NativeText);
            const int r = m_table->rowCount();
            m_table->insertRow(r);
            m_table->setItem(r, 0, new QTableWidgetItem(QStringLiteral("    ") + a->text().remove(u'&').remove(QStringLiteral("…"))));
            m_table->setItem(r, 1, new QTableWidgetItem(keys.join(QStringLiteral(", "))));
        }
    }
    layout->addWidget(m_table);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

AboutDialog::AboutDialog(QWidget* parent) : QDialog(parent) {
    setObjectName(QStringLiteral("aboutDialog"));
    setWindowTitle(tr("About Atelier"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(28, 24, 28, 16);
    layout->setSpacing(8);
    auto* logo = new QLabel(this);
    logo->setPixmap(appIcon().pixmap(QSize(72, 72), devicePixelRatioF()));
    logo->setAlignment(Qt::AlignCenter);
    auto* title = new QLabel(tr("Atelier %1").arg(QStringLiteral(ATELIER_VERSION)), this);
    title->setObjectName(QStringLiteral("heroTitle"));
    title->setAlignment(Qt::AlignCenter);
    const auto& cpu = atelier::infer::cpu_features();
    auto* body = new QLabel(tr("A native studio for local multimodal generative AI.\n\n"
                               "Qt %1 · CPU: %2\nFeatures: %3")
                                .arg(QString::fromLatin1(qVersion()),
                                     cpu.brand.empty() ? tr("unknown") : QString::fromStdString(cpu.brand),
                                     QString::fromStdString(cpu.summary())),
                            this);
    body->setAlignment(Qt::AlignCenter);
    body->setWordWrap(true);
    body->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(logo);
    layout->addWidget(title);
    layout->addWidget(body);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

}  // namespace gui
