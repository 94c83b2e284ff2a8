// WelcomePanel implementation. Both pages centre a fixed-width column (max 520 px) so the layout
// stays calm on wide windows.
#include "gui/welcome/welcome-panel.h"

#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QStackedWidget>
#include <QVBoxLayout>

#include "gui/app/plural.h"
#include "gui/app/resources.h"
#include "gui/app/theme.h"

namespace gui {

static QWidget* centredColumn(QWidget* parent, QVBoxLayout** inner) {
    auto* page = new QWidget(parent);
    auto* h = new QHBoxLayout(page);
    h->setContentsMargins(24, 24, 24, 24);
    auto* col = new QWidget(page);
    col->setMaximumWidth(520);
    *inner = new QVBoxLayout(col);
    (*inner)->setContentsMargins(0, 0, 0, 0);
    (*inner)->setSpacing(10);
    h->addStretch(1);
    h->addWidget(col, 4);
    h->addStretch(1);
    return page;
}

WelcomePanel::WelcomePanel(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("welcomePanel"));
    setAttribute(Qt::WA_StyledBackground);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_stack = new QStackedWidget(this);
    m_stack->addWidget(buildHome());
    m_stack->addWidget(buildProject());
    layout->addWidget(m_stack);
    refreshIcons();
}

QWidget* WelcomePanel::buildHome() {
    QVBoxLayout* col = nullptr;
    QWidget* page = centredColumn(this, &col);
    col->addStretch(2);
    m_logo = new QLabel(page);
    m_logo->setAlignment(Qt::AlignCenter);
    col->addWidget(m_logo);
    auto* title = new QLabel(tr("Atelier"), page);
    title->setObjectName(QStringLiteral("heroTitle"));
    title->setAlignment(Qt::AlignCenter);
    auto* sub = new QLabel(tr("A studio for local generative AI. Your media and models stay on this machine."), page);
    sub->setObjectName(QStringLiteral("heroSubtitle"));
    sub->setAlignment(Qt::AlignCenter);
    sub->setWordWrap(true);
    col->addWidget(title);
    col->addWidget(sub);
    col->addSpacing(10);

    auto* buttons = new QHBoxLayout;
    buttons->setSpacing(10);
    m_newButton = new QPushButton(tr("New Project…"), page);
    m_newButton->setObjectName(QStringLiteral("primaryButton"));
    m_openButton = new QPushButton(tr("Open Project…"), page);
    buttons->addStretch(1);
    buttons->addWidget(m_newButton);
    buttons->addWidget(m_openButton);
    buttons->addStretch(1);
    col->addLayout(buttons);
    col->addSpacing(18);

    m_recentTitle = new QLabel(tr("Recent projects"), page);
    m_recentTitle->setObjectName(QStringLiteral("sectionTitle"));
    col->addWidget(m_recentTitle);
    m_recent = new QListWidget(page);
    m_recent->setObjectName(QStringLiteral("recentList"));
    m_recent->setFrameShape(QFrame::NoFrame);
    m_recent->setMaximumHeight(190);
    m_recent->setMouseTracking(true);
    col->addWidget(m_recent);
    auto* hint = new QLabel(tr("Tip: drop an .atelier file anywhere in this window to open it."), page);
    hint->setObjectName(QStringLiteral("emptyText"));
    hint->setAlignment(Qt::AlignCenter);
    col->addWidget(hint);
    col->addStretch(3);

    connect(m_newButton, &QPushButton::clicked, this, &WelcomePanel::newProjectRequested);
    connect(m_openButton, &QPushButton::clicked, this, &WelcomePanel::openProjectRequested);
    connect(m_recent, &QListWidget::itemActivated, this,
            [this](QListWidgetItem* item) { emit openRecentRequested(item->data(Qt::UserRole).toString()); });
    connect(m_recent, &QListWidget::itemClicked, this,
            [this](QListWidgetItem* item) { emit openRecentRequested(item->data(Qt::UserRole).toString()); });
    return page;
}

QWidget* WelcomePanel::buildProject() {
    QVBoxLayout* col = nullptr;
    QWidget* page = centredColumn(this, &col);
    col->addStretch(2);
    m_projectName = new QLabel(page);
    m_projectName->setObjectName(QStringLiteral("heroTitle"));
    m_projectName->setAlignment(Qt::AlignCenter);
    m_projectPath = new QLabel(page);
    m_projectPath->setObjectName(QStringLiteral("emptyText"));
    m_projectPath->setAlignment(Qt::AlignCenter);
    m_projectPath->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_projectStats = new QLabel(page);
    m_projectStats->setObjectName(QStringLiteral("heroSubtitle"));
    m_projectStats->setAlignment(Qt::AlignCenter);
    col->addWidget(m_projectName);
    col->addWidget(m_projectPath);
    col->addWidget(m_projectStats);
    col->addSpacing(16);

    auto* drop = new QWidget(page);
    drop->setObjectName(QStringLiteral("dropZone"));
    drop->setMinimumHeight(170);
    auto* dl = new QVBoxLayout(drop);
    dl->setContentsMargins(20, 20, 20, 20);
    dl->setSpacing(8);
    m_dropIcon = new QLabel(drop);
    m_dropIcon->setAlignment(Qt::AlignCenter);
    auto* dt = new QLabel(tr("Drop images, audio or video here"), drop);
    dt->setObjectName(QStringLiteral("emptyTitle"));
    dt->setAlignment(Qt::AlignCenter);
    auto* dx = new QLabel(tr("Files and folders are copied into the project. Duplicates are skipped."), drop);
    dx->setObjectName(QStringLiteral("emptyText"));
    dx->setAlignment(Qt::AlignCenter);
    dx->setWordWrap(true);
    m_importButton = new QPushButton(tr("Import Files…"), drop);
    m_importButton->setObjectName(QStringLiteral("primaryButton"));
    auto* bl = new QHBoxLayout;
    bl->addStretch(1);
    bl->addWidget(m_importButton);
    bl->addStretch(1);
    dl->addStretch(1);
    dl->addWidget(m_dropIcon);
    dl->addWidget(dt);
    dl->addWidget(dx);
    dl->addSpacing(6);
    dl->addLayout(bl);
    dl->addStretch(1);
    col->addWidget(drop);
    col->addStretch(3);
    connect(m_importButton, &QPushButton::clicked, this, &WelcomePanel::importRequested);
    return page;
}

void WelcomePanel::showNoProject(const QStringList& recent) {
    m_recent->clear();
    const QString home = QDir::homePath();
    for (const QString& path : recent) {
        const QFileInfo fi(path);
        QString where = QDir::toNativeSeparators(fi.absolutePath());
        if (where.startsWith(home)) where.replace(0, home.size(), QStringLiteral("~"));
        auto* item = new QListWidgetItem(QStringLiteral("%1\n%2").arg(fi.completeBaseName(), where), m_recent);
        item->setData(Qt::UserRole, path);
        item->setToolTip(path);
        item->setIcon(appIcon());
    }
    m_recent->setIconSize(QSize(28, 28));
    m_recentTitle->setVisible(!recent.isEmpty());
    m_recent->setVisible(!recent.isEmpty());
    m_stack->setCurrentIndex(0);
}

void WelcomePanel::showProject(const QString& name, const QString& path, qint64 assetCount) {
    m_projectName->setText(name);
    m_projectPath->setText(QDir::toNativeSeparators(path));
    setAssetCount(assetCount);
    m_stack->setCurrentIndex(1);
}

void WelcomePanel::setAssetCount(qint64 count) {
    m_projectStats->setText(count == 0 ? tr("This project is empty. Add media to get started.")
                                       : plural(count, "%1 asset", "%1 assets"));
}

bool WelcomePanel::isProjectPage() const { return m_stack->currentIndex() == 1; }

void WelcomePanel::refreshIcons() {
    m_logo->setPixmap(appIcon().pixmap(QSize(88, 88), devicePixelRatioF()));
    QColor c = accentColor();
    m_dropIcon->setPixmap(themedPixmap(QStringLiteral("import"), c, 40, devicePixelRatioF()));
}

void WelcomePanel::changeEvent(QEvent* event) {
    if (event->type() == QEvent::PaletteChange) refreshIcons();
    QWidget::changeEvent(event);
}

}  // namespace gui
