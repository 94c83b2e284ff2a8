// ProvenanceDialog implementation.
#include "gui/chat/provenance-dialog.h"

#include <QDateTime>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPlainTextEdit>
#include <QTableWidget>
#include <QVBoxLayout>

namespace gui {

namespace {

QLabel* valueLabel(const QString& text, const char* name, QWidget* parent) {
    auto* l = new QLabel(text, parent);
    l->setObjectName(QString::fromLatin1(name));
    l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    l->setWordWrap(true);
    return l;
}

// Timings as people read them: "12.3 tok/s", "840 ms".
QString timingText(const QString& key, const QJsonValue& v) {
    if (!v.isDouble()) return v.toVariant().toString();
    const double d = v.toDouble();
    if (key.endsWith(QStringLiteral("_per_s"))) return QObject::tr("%1 tok/s").arg(d, 0, 'f', 1);
    if (key.endsWith(QStringLiteral("_ms"))) return QObject::tr("%1 ms").arg(d, 0, 'f', 0);
    return QString::number(d, 'g', 10);
}

}  // namespace

ProvenanceDialog::ProvenanceDialog(const atelier::projects::Generation& g, QWidget* parent) : QDialog(parent) {
    setObjectName(QStringLiteral("provenanceDialog"));
    setWindowTitle(tr("Answer details"));
    resize(560, 600);
    auto* v = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    m_model = valueLabel(QString::fromStdString(g.model), "provenanceModel", this);
    m_hash = valueLabel(QString::fromStdString(g.model_hash), "provenanceHash", this);
    m_hash->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_seed = valueLabel(QString::number(g.seed), "provenanceSeed", this);
    form->addRow(tr("Model"), m_model);
    form->addRow(tr("Content hash (XXH3-128)"), m_hash);
    form->addRow(tr("Seed"), m_seed);
    form->addRow(tr("Status"), valueLabel(QString::fromStdString(g.status), "provenanceStatus", this));
    form->addRow(tr("Atelier"), valueLabel(QString::fromStdString(g.app_version), "provenanceVersion", this));
    form->addRow(tr("Made"), valueLabel(QDateTime::fromMSecsSinceEpoch(g.created_at_ms).toString(Qt::ISODate), "provenanceTime", this));
    form->addRow(tr("Job"), valueLabel(QString::fromStdString(g.job_uuid), "provenanceJob", this));
    v->addLayout(form);

    auto* timingsTitle = new QLabel(tr("Timings"), this);
    timingsTitle->setObjectName(QStringLiteral("sectionTitle"));
    v->addWidget(timingsTitle);
    const QJsonObject timings = QJsonDocument::fromJson(QByteArray::fromStdString(g.timings_json)).object();
    m_timings = new QTableWidget(int(timings.size()), 2, this);
    m_timings->setObjectName(QStringLiteral("provenanceTimings"));
    m_timings->horizontalHeader()->hide();
    m_timings->verticalHeader()->hide();
    m_timings->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_timings->horizontalHeader()->setStretchLastSection(true);
    m_timings->setEditTriggers(QAbstractItemView::NoEditTriggers);
    int row = 0;
    for (auto it = timings.begin(); it != timings.end(); ++it, ++row) {
        m_timings->setItem(row, 0, new QTableWidgetItem(it.key()));
        m_timings->setItem(row, 1, new QTableWidgetItem(timingText(it.key(), it.value())));
    }
    v->addWidget(m_timings, 1);

    auto* paramsTitle = new QLabel(tr("Parameters"), this);
    paramsTitle->setObjectName(QStringLiteral("sectionTitle"));
    v->addWidget(paramsTitle);
    m_params = new QPlainTextEdit(this);
    m_params->setObjectName(QStringLiteral("provenanceParams"));
    m_params->setReadOnly(true);
    m_params->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_params->setPlainText(QString::fromUtf8(QJsonDocument::fromJson(QByteArray::fromStdString(g.params_json)).toJson(QJsonDocument::Indented)));
    v->addWidget(m_params, 2);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    v->addWidget(buttons);
}

}  // namespace gui
