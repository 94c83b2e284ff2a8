// SettingsDialog (Ctrl+,): models folder, device, compute threads, theme. Shows what this machine
// offers (CPU features, RAM). This build has no CUDA backend, so "CPU" is the only device and a
// disabled "CUDA" entry says why. accept() stores the values (AppSettings::save) and emits
// settingsApplied; the dialog is opened with open(), never exec(), so it does not block.
// Thread-safety: GUI thread only.
#pragma once

#include <QDialog>

#include "gui/app/settings.h"

class QComboBox;
class QLineEdit;
class QSpinBox;

namespace gui {

class DialogHooks;

class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    SettingsDialog(const AppSettings& current, DialogHooks* hooks, QWidget* parent = nullptr);

    AppSettings values() const;
    QLineEdit* modelsFolderEdit() const { return m_models; }
    QComboBox* deviceCombo() const { return m_device; }
    QSpinBox* threadsSpin() const { return m_threads; }
    QComboBox* themeCombo() const { return m_theme; }

    void accept() override;

signals:
    void settingsApplied(const gui::AppSettings& settings);

private:
    AppSettings m_base;
    DialogHooks* m_hooks;
    QLineEdit* m_models;
    QComboBox* m_device;
    QSpinBox* m_threads;
    QComboBox* m_theme;
};

}  // namespace gui
