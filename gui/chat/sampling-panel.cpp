// SamplingPanel implementation. Preset values: Precise keeps the likeliest tokens; Balanced is a
// general default; Creative is DeepSeek's own recommendation for V4 (temperature 1.0, top-p 1.0).
#include "gui/chat/sampling-panel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace gui {

namespace ap = atelier::pipelines;

const QList<SamplingPreset>& samplingPresets() {
    static const QList<SamplingPreset> presets = {
        {QStringLiteral("precise"), QObject::tr("Precise"), 0.2f, 0.9f, 40, 0.05f, 1.05f, 0.0f},
        {QStringLiteral("balanced"), QObject::tr("Balanced"), 0.7f, 0.95f, 0, 0.05f, 1.0f, 0.0f},
        {QStringLiteral("creative"), QObject::tr("Creative"), 1.0f, 1.0f, 0, 0.0f, 1.0f, 0.0f},
    };
    return presets;
}

namespace {

QDoubleSpinBox* doubleSpin(double lo, double hi, double step, int decimals, const char* name, QWidget* parent) {
    auto* s = new QDoubleSpinBox(parent);
    s->setObjectName(QString::fromLatin1(name));
    s->setRange(lo, hi);
    s->setSingleStep(step);
    s->setDecimals(decimals);
    return s;
}

QSpinBox* intSpin(int lo, int hi, int step, const char* name, QWidget* parent) {
    auto* s = new QSpinBox(parent);
    s->setObjectName(QString::fromLatin1(name));
    s->setRange(lo, hi);
    s->setSingleStep(step);
    return s;
}

bool near(double a, double b) { return std::abs(a - b) < 1e-4; }

}  // namespace

SamplingPanel::SamplingPanel(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("samplingPanel"));
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(12, 10, 12, 10);
    auto* title = new QLabel(tr("Sampling"), this);
    title->setObjectName(QStringLiteral("sectionTitle"));
    v->addWidget(title);
    auto* form = new QFormLayout;
    form->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_preset = new QComboBox(this);
    m_preset->setObjectName(QStringLiteral("samplingPreset"));
    for (const SamplingPreset& p : samplingPresets()) m_preset->addItem(p.name, p.key);
    m_preset->addItem(tr("Custom"), QStringLiteral("custom"));
    form->addRow(tr("Preset"), m_preset);
    m_temperature = doubleSpin(0.0, 2.0, 0.05, 2, "temperature", this);
    m_temperature->setToolTip(tr("0 picks the likeliest token every time"));
    m_topP = doubleSpin(0.0, 1.0, 0.01, 2, "topP", this);
    m_topK = intSpin(0, 1000, 5, "topK", this);
    m_topK->setSpecialValueText(tr("off"));
    m_minP = doubleSpin(0.0, 1.0, 0.01, 2, "minP", this);
    m_repeat = doubleSpin(1.0, 2.0, 0.01, 2, "repeatPenalty", this);
    m_presence = doubleSpin(0.0, 2.0, 0.05, 2, "presencePenalty", this);
    m_presence->setSpecialValueText(tr("off"));
    m_presence->setToolTip(tr("Lowers every token already used in the last 256 (prompt included), so the answer "
                              "moves on to new words"));
    m_seed = intSpin(-1, std::numeric_limits<int>::max(), 1, "seed", this);
    m_seed->setSpecialValueText(tr("random"));
    m_seed->setToolTip(tr("The same seed gives the same answer; random picks a new one each time (recorded)"));
    m_maxTokens = intSpin(1, 1 << 20, 256, "maxTokens", this);
    m_context = intSpin(256, 1 << 20, 1024, "contextLength", this);
    form->addRow(tr("Temperature"), m_temperature);
    form->addRow(tr("Top-p"), m_topP);
    form->addRow(tr("Top-k"), m_topK);
    form->addRow(tr("Min-p"), m_minP);
    form->addRow(tr("Repeat penalty"), m_repeat);
    form->addRow(tr("Presence penalty"), m_presence);
    form->addRow(tr("Seed"), m_seed);
    form->addRow(tr("Max tokens"), m_maxTokens);
    form->addRow(tr("Context"), m_context);
    v->addLayout(form);
    auto* sysTitle = new QLabel(tr("System prompt"), this);
    sysTitle->setObjectName(QStringLiteral("sectionTitle"));
    v->addWidget(sysTitle);
    m_system = new QPlainTextEdit(this);
    m_system->setObjectName(QStringLiteral("systemPrompt"));
    m_system->setPlaceholderText(tr("Optional instructions sent before the conversation"));
    m_system->setMinimumHeight(90);
    v->addWidget(m_system, 1);

    for (QDoubleSpinBox* s : {m_temperature, m_topP, m_minP, m_repeat, m_presence})
        connect(s, &QDoubleSpinBox::valueChanged, this, &SamplingPanel::userEdited);
    for (QSpinBox* s : {m_topK, m_seed, m_maxTokens, m_context}) connect(s, &QSpinBox::valueChanged, this, &SamplingPanel::userEdited);
    connect(m_system, &QPlainTextEdit::textChanged, this, &SamplingPanel::userEdited);
    connect(m_preset, &QComboBox::activated, this, [this](int) { applyPreset(m_preset->currentData().toString()); });
}

void SamplingPanel::applyPreset(const QString& key) {
    for (const SamplingPreset& p : samplingPresets()) {
        if (p.key != key) continue;
        m_loading = true;
        m_temperature->setValue(p.temperature);
        m_topP->setValue(p.top_p);
        m_topK->setValue(p.top_k);
        m_minP->setValue(p.min_p);
        m_repeat->setValue(p.repeat_penalty);
        m_presence->setValue(p.presence_penalty);
        m_loading = false;
    }
    syncPresetCombo();
    emit changed();
}

void SamplingPanel::userEdited() {
    if (m_loading) return;
    syncPresetCombo();
    emit changed();
}

QString SamplingPanel::presetKey() const {
    for (const SamplingPreset& p : samplingPresets())
        if (near(m_temperature->value(), p.temperature) && near(m_topP->value(), p.top_p) && m_topK->value() == p.top_k &&
            near(m_minP->value(), p.min_p) && near(m_repeat->value(), p.repeat_penalty) &&
            near(m_presence->value(), p.presence_penalty))
            return p.key;
    return QStringLiteral("custom");
}

void SamplingPanel::syncPresetCombo() {
    const QSignalBlocker block(m_preset);
    m_preset->setCurrentIndex(qMax(0, m_preset->findData(presetKey())));
}

void SamplingPanel::setValues(const ap::ChatSettings& s, const QString& systemPrompt) {
    m_loading = true;
    m_temperature->setValue(s.sampling.temperature);
    m_topP->setValue(s.sampling.top_p);
    m_topK->setValue(s.sampling.top_k);
    m_minP->setValue(s.sampling.min_p);
    m_repeat->setValue(s.sampling.repeat_penalty);
    m_presence->setValue(s.sampling.presence_penalty);
    m_seed->setValue(static_cast<int>(std::clamp<int64_t>(s.seed, -1, std::numeric_limits<int>::max())));
    m_maxTokens->setValue(s.max_tokens);
    m_context->setValue(static_cast<int>(std::clamp<int64_t>(s.n_ctx, 256, 1 << 20)));
    if (m_system->toPlainText() != systemPrompt) m_system->setPlainText(systemPrompt);
    m_loading = false;
    syncPresetCombo();
}

ap::ChatSettings SamplingPanel::values(ap::ChatSettings base) const {
    base.sampling.temperature = static_cast<float>(m_temperature->value());
    base.sampling.top_p = static_cast<float>(m_topP->value());
    base.sampling.top_k = m_topK->value();
    base.sampling.min_p = static_cast<float>(m_minP->value());
    base.sampling.repeat_penalty = static_cast<float>(m_repeat->value());
    base.sampling.presence_penalty = static_cast<float>(m_presence->value());
    base.seed = m_seed->value();
    base.max_tokens = m_maxTokens->value();
    base.n_ctx = m_context->value();
    return base;
}

QString SamplingPanel::systemPrompt() const { return m_system->toPlainText(); }

}  // namespace gui
