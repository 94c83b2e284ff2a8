// EmptyState implementation: stretch 2 above, 3 below, so the block sits slightly above centre.
#include "gui/widgets/empty-state.h"

#include <QEvent>
#include <QLabel>
#include <QVBoxLayout>

#include "gui/app/resources.h"
#include "gui/app/theme.h"

namespace gui {

EmptyState::EmptyState(const QString& iconName, const QString& title, const QString& text, QWidget* parent)
    : QWidget(parent), m_iconName(iconName) {
    setObjectName(QStringLiteral("emptyState"));
    auto* layout = new QVBoxLayout(this);
    layout->addStretch(2);
    m_icon = new QLabel(this);
    m_icon->setAlignment(Qt::AlignCenter);
    m_title = new QLabel(title, this);
    m_title->setObjectName(QStringLiteral("emptyTitle"));
    m_title->setAlignment(Qt::AlignCenter);
    m_text = new QLabel(text, this);
    m_text->setObjectName(QStringLiteral("emptyText"));
    m_text->setAlignment(Qt::AlignCenter);
    m_text->setWordWrap(true);
    layout->addWidget(m_icon);
    layout->addSpacing(6);
    layout->addWidget(m_title);
    layout->addWidget(m_text);
    layout->addStretch(3);
    refreshIcon();
}

void EmptyState::setText(const QString& title, const QString& text) {
    m_title->setText(title);
    m_text->setText(text);
}

QString EmptyState::title() const { return m_title->text(); }

void EmptyState::refreshIcon() {
    QColor c = mutedTextColor();
    c.setAlphaF(0.6f);
    m_icon->setPixmap(themedPixmap(m_iconName, c, 44, devicePixelRatioF()));
}

void EmptyState::changeEvent(QEvent* event) {
    if (event->type() == QEvent::PaletteChange) refreshIcon();
    QWidget::changeEvent(event);
}

}  // namespace gui
