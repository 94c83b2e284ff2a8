// EmptyState: the centred "nothing here yet" block shared by the panels: a tinted icon, a title
// and one or two lines of help. Re-tints its icon when the palette changes.
// Thread-safety: GUI thread only.
#pragma once

#include <QWidget>

class QLabel;

namespace gui {

class EmptyState : public QWidget {
    Q_OBJECT
public:
    EmptyState(const QString& iconName, const QString& title, const QString& text, QWidget* parent = nullptr);
    void setText(const QString& title, const QString& text);
    QString title() const;

protected:
    void changeEvent(QEvent* event) override;

private:
    void refreshIcon();

    QString m_iconName;
    QLabel* m_icon;
    QLabel* m_title;
    QLabel* m_text;
};

}  // namespace gui
