// TranscriptEditor: one transcript shown as running text, synced to playback. Each word (or each
// segment, when the transcript has no word timestamps) is a unit with its times: the unit under
// the playhead is highlighted, a click on a unit selects it and asks to seek to its start, words
// whose probability is below kLowConfidence are marked (wavy underline, tooltip with the value).
// The selected word and its segment can be edited in the two fields below the text; each edit is
// one command on the project's UndoStack (pipelines/transcribe-edit), and the view reloads from
// the project after every change of history, so undo/redo show at once.
// Thread-safety: GUI thread only.
#pragma once

#include <QPointer>
#include <QWidget>

#include <vector>

#include "projects/transcript-store.h"

class QLabel;
class QLineEdit;
class QTextEdit;

namespace gui {

class ProjectSession;

class TranscriptEditor : public QWidget {
    Q_OBJECT
public:
    static constexpr double kLowConfidence = 0.5;

    struct Unit {
        int segment = -1;
        int word = -1;           // -1: the whole segment (no word timestamps)
        qint64 startMs = 0, endMs = 0;
        double probability = 1.0;
        int from = 0, to = 0;    // character range in the text view
    };

    explicit TranscriptEditor(QWidget* parent = nullptr);

    void setSession(ProjectSession* session);
    // Shows transcript `uuid` (empty: nothing). Reloads from the project.
    void showTranscript(const QString& uuid);
    void reload();
    QString transcriptUuid() const { return m_uuid; }
    const atelier::projects::TranscriptDoc& document() const { return m_doc; }

    // Playback position: highlights the unit that contains it (none between units).
    void setPlayheadMs(qint64 ms);
    int currentUnit() const { return m_current; }   // -1: none
    int selectedUnit() const { return m_selected; }
    const std::vector<Unit>& units() const { return m_units; }
    int unitAt(qint64 ms) const;
    QRect unitRect(int unit) const;                  // in textView()'s viewport coordinates
    int lowConfidenceCount() const;

    QTextEdit* textView() const { return m_text; }
    QLineEdit* wordEdit() const { return m_word; }
    QLineEdit* segmentEdit() const { return m_segment; }

signals:
    void seekRequested(qint64 ms);
    void statusMessage(const QString& text, int timeoutMs);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void rebuild();
    void selectUnit(int unit);
    void paintHighlights();
    void onWordEdited();
    void onSegmentEdited();

    QPointer<ProjectSession> m_session;
    QString m_uuid;
    atelier::projects::TranscriptDoc m_doc;
    std::vector<Unit> m_units;
    int m_current = -1, m_selected = -1;
    QTextEdit* m_text = nullptr;
    QLineEdit* m_word = nullptr;
    QLineEdit* m_segment = nullptr;
    QLabel* m_info = nullptr;
    bool m_filling = false;
};

}  // namespace gui
