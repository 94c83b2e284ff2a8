// SamplingPanel: how the current chat makes answers: a preset (Precise, Balanced, Creative or
// Custom) and its values (temperature, top-p, top-k, min-p, repeat and presence penalties, seed,
// max tokens), the context length and the system prompt. Editing a value switches the preset to
// Custom (or to the preset the values match). Emits changed() after every user edit.
// Thread-safety: GUI thread only.
#pragma once

#include <QString>
#include <QWidget>

#include "pipelines/chat.h"

class QComboBox;
class QDoubleSpinBox;
class QPlainTextEdit;
class QSpinBox;

namespace gui {

struct SamplingPreset {
    QString key;   // "precise", "balanced", "creative"
    QString name;  // shown
    float temperature, top_p;
    int top_k;
    float min_p, repeat_penalty, presence_penalty;
};
const QList<SamplingPreset>& samplingPresets();

class SamplingPanel : public QWidget {
    Q_OBJECT
public:
    explicit SamplingPanel(QWidget* parent = nullptr);

    // Shows `s` (and the system prompt) without emitting changed().
    void setValues(const atelier::pipelines::ChatSettings& s, const QString& systemPrompt);
    // `base` with the panel's values (model and thinking are not the panel's).
    atelier::pipelines::ChatSettings values(atelier::pipelines::ChatSettings base) const;
    QString systemPrompt() const;
    QString presetKey() const;  // "custom" when the values match no preset
    void applyPreset(const QString& key);  // as if chosen in the combo (emits changed)

    QComboBox* presetCombo() const { return m_preset; }
    QDoubleSpinBox* temperatureSpin() const { return m_temperature; }
    QDoubleSpinBox* topPSpin() const { return m_topP; }
    QSpinBox* topKSpin() const { return m_topK; }
    QDoubleSpinBox* minPSpin() const { return m_minP; }
    QDoubleSpinBox* repeatPenaltySpin() const { return m_repeat; }
    QDoubleSpinBox* presencePenaltySpin() const { return m_presence; }
    QSpinBox* seedSpin() const { return m_seed; }
    QSpinBox* maxTokensSpin() const { return m_maxTokens; }
    QSpinBox* contextSpin() const { return m_context; }
    QPlainTextEdit* systemPromptEdit() const { return m_system; }

signals:
    void changed();

private:
    void syncPresetCombo();
    void userEdited();

    bool m_loading = false;
    QComboBox* m_preset;
    QDoubleSpinBox* m_temperature;
    QDoubleSpinBox* m_topP;
    QSpinBox* m_topK;
    QDoubleSpinBox* m_minP;
    QDoubleSpinBox* m_repeat;
    QDoubleSpinBox* m_presence;
    QSpinBox* m_seed;
    QSpinBox* m_maxTokens;
    QSpinBox* m_context;
    QPlainTextEdit* m_system;
};

}  // namespace gui
