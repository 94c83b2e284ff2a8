// SpeakWorkspace implementation. Invariants: at most one job of this workspace runs (m_job); m_take
// is the last finished take and m_takeKey the text/voice/speed/pause it was made with; the
// sentence list shows m_take, or the sentences streamed so far while a Speak job runs. Job bodies
// capture values only (never `this`); sentence rows hop back through gui::post on the session.
// Thread-safety: GUI thread only.
#include "gui/speak/speak-workspace.h"

#include <QComboBox>
#include <QDateTime>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRandomGenerator>
#include <QScrollArea>
#include <QSettings>
#include <QShortcut>
#include <QSplitter>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

#include "gui/app/error-text.h"
#include "gui/post.h"
#include "gui/session/project-session.h"
#include "inference/tts/voices.h"
#include "media/subtitle-format.h"
#include "pipelines/hash-cache.h"
#include "pipelines/narration-player.h"
#include "pipelines/studio.h"

namespace gui {

namespace pl = atelier::pipelines;
using atelier::JobState;

struct SpeakWorkspace::JobResult {
    std::shared_ptr<const pl::NarrationVoice> voice;
    std::shared_ptr<pl::NarrationTake> take;  // Speak, Regenerate, and Save/Timeline when it spoke first
    pl::SpeakReport report;                   // Save, Timeline
    int regenerated = -1;                     // Regenerate: the row
};

namespace {

const char* const kPreviewText = "Hello! This is how this voice sounds at the speed you chose.";

QString timeText(qint64 ms) { return QString::fromStdString(atelier::media::format_timestamp(ms, '.')); }

uint64_t newSeed() { return QRandomGenerator::global()->bounded(1u << 30); }

// The cached voice when it is the one asked for, else a fresh load (worker thread).
atelier::Result<std::shared_ptr<const pl::NarrationVoice>> voiceFor(const std::string& name,
                                                                    const std::shared_ptr<const pl::NarrationVoice>& cached) {
    ATELIER_TRY_ASSIGN(std::filesystem::path dir, pl::find_voice(name, pl::voice_roots()));
    if (cached && cached->dir() == dir) return cached;
    return pl::NarrationVoice::load(dir.string());
}

}  // namespace

SpeakWorkspace::SpeakWorkspace(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("speakWorkspace"));
    auto* split = new QSplitter(Qt::Horizontal);
    for (QWidget* panel : {buildEditor(), buildSentences()}) {
        auto* scroll = new QScrollArea;  // the panels never set the window's minimum size
        scroll->setWidget(panel);
        scroll->setWidgetResizable(true);
        scroll->setFrameShape(QFrame::NoFrame);
        split->addWidget(scroll);
    }
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);
    m_tick = new QTimer(this);
    m_tick->setInterval(50);
    connect(m_tick, &QTimer::timeout, this, &SpeakWorkspace::onTick);
    for (const char* key : {"Ctrl+Return", "Ctrl+Enter"}) {
        auto* sc = new QShortcut(QKeySequence(QString::fromLatin1(key)), this);
        sc->setContext(Qt::WidgetWithChildrenShortcut);
        connect(sc, &QShortcut::activated, this, [this] { speak(); });
    }
    auto* esc = new QShortcut(QKeySequence(Qt::Key_Escape), this);
    esc->setContext(Qt::WidgetWithChildrenShortcut);
    connect(esc, &QShortcut::activated, this, &SpeakWorkspace::stop);
    refreshVoices();
    loadSettings();
    setSession(nullptr);
}

SpeakWorkspace::~SpeakWorkspace() {
    if (m_player) m_player->stop();
}

QWidget* SpeakWorkspace::buildEditor() {
    auto* box = new QWidget;
    auto* v = new QVBoxLayout(box);
    m_text = new QPlainTextEdit;
    m_text->setObjectName(QStringLiteral("speakText"));
    m_text->setPlaceholderText(tr("Type or paste the text to speak. Ctrl+Return speaks it, Esc stops."));
    auto* opts = new QGroupBox(tr("Voice"));
    auto* form = new QFormLayout(opts);
    m_voice = new QComboBox;
    m_voice->setObjectName(QStringLiteral("speakVoice"));
    m_preview = new QPushButton(tr("Preview"));
    m_preview->setObjectName(QStringLiteral("speakPreview"));
    m_preview->setToolTip(tr("Speak a short sample sentence with this voice and speed"));
    auto* voiceRow = new QHBoxLayout;
    voiceRow->addWidget(m_voice, 1);
    voiceRow->addWidget(m_preview);
    m_speed = new QDoubleSpinBox;
    m_speed->setObjectName(QStringLiteral("speakSpeed"));
    m_speed->setRange(0.25, 4.0);
    m_speed->setSingleStep(0.05);
    m_speed->setSuffix(QStringLiteral("×"));
    m_pause = new QDoubleSpinBox;
    m_pause->setObjectName(QStringLiteral("speakPause"));
    m_pause->setRange(0.0, 5.0);
    m_pause->setSingleStep(0.05);
    m_pause->setSuffix(tr(" s"));
    m_pause->setToolTip(tr("Silence between sentences"));
    form->addRow(tr("Voice"), voiceRow);
    form->addRow(tr("Speed"), m_speed);
    form->addRow(tr("Pause"), m_pause);

    m_speak = new QPushButton(tr("Speak"));
    m_speak->setObjectName(QStringLiteral("speakPlay"));
    m_speak->setToolTip(tr("Play the text; it starts with the first sentence while the rest is synthesised (Ctrl+Return)"));
    m_stop = new QPushButton(tr("Stop"));
    m_stop->setObjectName(QStringLiteral("speakStop"));
    m_stop->setToolTip(tr("Stop playback and cancel the synthesis (Esc)"));
    m_save = new QPushButton(tr("Save as Asset"));
    m_save->setObjectName(QStringLiteral("speakSave"));
    m_toTimeline = new QPushButton(tr("Add to Timeline"));
    m_toTimeline->setObjectName(QStringLiteral("speakToTimeline"));
    m_place = new QComboBox;
    m_place->setObjectName(QStringLiteral("speakPlacement"));
    m_place->addItem(tr("at the playhead"), QStringLiteral("playhead"));
    m_place->addItem(tr("at the end"), QStringLiteral("end"));
    auto* run = new QHBoxLayout;
    for (QWidget* w : {static_cast<QWidget*>(m_speak), static_cast<QWidget*>(m_stop)}) run->addWidget(w);
    run->addStretch(1);
    for (QWidget* w : {static_cast<QWidget*>(m_save), static_cast<QWidget*>(m_toTimeline), static_cast<QWidget*>(m_place)}) run->addWidget(w);
    m_progress = new QProgressBar;
    m_progress->setObjectName(QStringLiteral("speakProgress"));
    m_progress->setRange(0, 1000);
    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("speakStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    v->addWidget(m_text, 1);
    v->addWidget(opts);
    v->addLayout(run);
    v->addWidget(m_progress);
    v->addWidget(m_status);

    connect(m_preview, &QPushButton::clicked, this, [this] { preview(); });
    connect(m_speak, &QPushButton::clicked, this, [this] { speak(); });
    connect(m_stop, &QPushButton::clicked, this, &SpeakWorkspace::stop);
    connect(m_save, &QPushButton::clicked, this, [this] { saveAsAsset(); });
    connect(m_toTimeline, &QPushButton::clicked, this, [this] { addToTimeline(); });
    connect(m_text, &QPlainTextEdit::textChanged, this, &SpeakWorkspace::updateButtons);
    return box;
}

QWidget* SpeakWorkspace::buildSentences() {
    auto* box = new QWidget;
    auto* v = new QVBoxLayout(box);
    m_sentences = new QTreeWidget;
    m_sentences->setObjectName(QStringLiteral("speakSentences"));
    m_sentences->setHeaderLabels({tr("Time"), tr("Sentence")});
    m_sentences->setRootIsDecorated(false);
    m_sentences->setWordWrap(true);
    m_sentences->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_regenerate = new QPushButton(tr("Regenerate Sentence"));
    m_regenerate->setObjectName(QStringLiteral("speakRegenerate"));
    m_regenerate->setToolTip(tr("Speak the selected sentence again (a new rendition, at the current speed); the others stay as they are"));
    m_position = new QLabel;
    m_position->setObjectName(QStringLiteral("speakPosition"));
    auto* row = new QHBoxLayout;
    row->addWidget(m_regenerate);
    row->addStretch(1);
    row->addWidget(m_position);
    v->addWidget(new QLabel(tr("Sentences of the take")));
    v->addWidget(m_sentences, 1);
    v->addLayout(row);
    connect(m_regenerate, &QPushButton::clicked, this, [this] { regenerate(m_sentences->indexOfTopLevelItem(m_sentences->currentItem())); });
    connect(m_sentences, &QTreeWidget::currentItemChanged, this, &SpeakWorkspace::updateButtons);
    return box;
}

// The voices under voice_roots(); the list says what to do when there is none.
void SpeakWorkspace::refreshVoices() {
    const QString keep = m_voice->currentText();
    m_voice->clear();
    for (const auto& root : pl::voice_roots()) {
        std::vector<std::string> problems;
        auto voices = atelier::infer::tts::list_voices(root, problems);
        if (!voices) continue;
        for (const auto& v : *voices) {
            if (m_voice->findText(QString::fromStdString(v.name)) >= 0) continue;
            m_voice->addItem(QString::fromStdString(v.name), QString::fromStdString(v.dir.string()));
            m_voice->setItemData(m_voice->count() - 1,
                                 tr("%1 · %2 Hz · %3").arg(QString::fromStdString(v.language.empty() ? v.espeak_voice : v.language))
                                     .arg(v.sample_rate).arg(QString::fromStdString(v.dir.string())),
                                 Qt::ToolTipRole);
        }
    }
    const int i = m_voice->findText(keep);
    if (i >= 0) m_voice->setCurrentIndex(i);
    if (m_voice->count() == 0) {
        const QString cache = QString::fromStdString(pl::model_cache_dir().string());
        m_status->setText(tr("No voice is installed. Run scripts/fetch-models to fetch the Piper voice, or put a Piper voice "
                             "folder (voice.json + model.safetensors, converted by tools/tts/onnx-to-safetensors.py) in %1.")
                              .arg(cache));
    }
}

void SpeakWorkspace::loadSettings() {
    QSettings s;
    const int i = m_voice->findText(s.value(QStringLiteral("speak/voice")).toString());
    if (i >= 0) m_voice->setCurrentIndex(i);
    m_speed->setValue(s.value(QStringLiteral("speak/speed"), 1.0).toDouble());
    m_pause->setValue(s.value(QStringLiteral("speak/pause"), 0.2).toDouble());
}

void SpeakWorkspace::saveSettings() const {
    QSettings s;
    s.setValue(QStringLiteral("speak/voice"), m_voice->currentText());
    s.setValue(QStringLiteral("speak/speed"), m_speed->value());
    s.setValue(QStringLiteral("speak/pause"), m_pause->value());
}

pl::SpeakSettings SpeakWorkspace::currentSettings() const {
    pl::SpeakSettings s;
    s.voice = m_voice->currentData().toString().toStdString();
    s.speed = static_cast<float>(m_speed->value());
    s.sentence_silence_s = static_cast<float>(m_pause->value());
    return s;
}

QString SpeakWorkspace::takeKey() const {
    return m_voice->currentData().toString() + QLatin1Char('\n') + QString::number(m_speed->value()) + QLatin1Char('\n') +
           QString::number(m_pause->value()) + QLatin1Char('\n') + m_text->toPlainText();
}

void SpeakWorkspace::setSession(ProjectSession* session) {
    stop();
    if (m_session) disconnect(m_session, nullptr, this, nullptr);
    m_session = session;
    m_job = 0;
    m_result.reset();
    if (session) {
        connect(session, &ProjectSession::jobChanged, this, &SpeakWorkspace::onJobChanged);
        connect(session, &ProjectSession::jobProgress, this, &SpeakWorkspace::onProgress);
    }
    updateButtons();
}

bool SpeakWorkspace::isPlaying() const { return m_player && !m_player->finished() && m_tick->isActive(); }
qint64 SpeakWorkspace::playedMs() const { return m_player ? m_player->position_ms() : 0; }

bool SpeakWorkspace::submit(Task task, const QString& title, std::function<atelier::Status(atelier::JobContext&, JobResult&)> body) {
    if (!canStart()) return false;
    saveSettings();
    auto result = std::make_shared<JobResult>();
    atelier::JobSpec spec{.uuid = {}, .kind = "speak", .title = title.toStdString(),
                          .params_json = nlohmann::json{{"voice", m_voice->currentText().toStdString()},
                                                        {"speed", m_speed->value()}, {"sentence_silence_s", m_pause->value()}}
                                             .dump()};
    m_job = m_session->studio().submit_job(std::move(spec), [body = std::move(body), result](atelier::JobContext& ctx) {
        return body(ctx, *result);
    });
    m_task = task;
    m_jobKey = takeKey();
    m_result = result;
    m_progress->setValue(0);
    updateButtons();
    return true;
}

// Synthesises `text` into r.take; streams it into the current player and/or lists its sentences.
std::function<atelier::Status(atelier::JobContext&, SpeakWorkspace::JobResult&)> SpeakWorkspace::narrateBody(const QString& text, bool stream,
                                                                                                            bool list) {
    const pl::SpeakSettings s = currentSettings();
    std::shared_ptr<pl::NarrationPlayer> player = stream ? m_player : nullptr;
    QPointer<ProjectSession> session = m_session;
    QPointer<SpeakWorkspace> self = this;
    return [s, player, session, self, list, cached = m_voiceCache, text = text.toStdString(), seed = newSeed()](atelier::JobContext& ctx,
                                                                                                               JobResult& r) -> atelier::Status {
        auto voice = voiceFor(s.voice, cached);
        if (!voice) {
            if (player) player->end_input();
            return voice.error();
        }
        r.voice = *voice;
        const auto pause = static_cast<size_t>(std::max(0.0f, s.sentence_silence_s) * static_cast<float>(r.voice->sample_rate_hz()));
        int64_t at = 0;  // samples so far (with pauses)
        auto on = [&](size_t i, const pl::NarrationSentence& sentence) {
            const int64_t start = at + (i > 0 ? static_cast<int64_t>(pause) : 0);
            at = start + static_cast<int64_t>(sentence.audio.size());
            if (player) {
                if (i > 0) player->append(std::vector<float>(pause, 0.0f));  // the pause goes before a sentence, never after the last
                player->append(sentence.audio);
            }
            if (list && session) {
                const int rate = r.voice->sample_rate_hz();
                post(session, [self, i, t = QString::fromStdString(sentence.text), ms = start * 1000 / rate,
                               dur = static_cast<int64_t>(sentence.audio.size()) * 1000 / rate] {
                    if (self) self->onSentence(int(i), t, ms, dur);
                });
            }
        };
        auto take = pl::narrate(ctx, *r.voice, text, s, seed, on);
        if (player) player->end_input();
        if (!take) return take.error();
        r.take = std::make_shared<pl::NarrationTake>(std::move(*take));
        return atelier::ok_status();
    };
}

bool SpeakWorkspace::startPlayer() {
    if (m_player) m_player->stop();
    m_player.reset();
    const int rate = [&] {
        if (takeIsCurrent()) return m_take->sample_rate_hz;
        if (m_voiceCache && m_voiceCache->dir().string() == m_voice->currentData().toString().toStdString()) return m_voiceCache->sample_rate_hz();
        std::vector<std::string> problems;  // the voice's own rate, from its voice.json
        auto list = atelier::infer::tts::list_voices(std::filesystem::path(m_voice->currentData().toString().toStdString()).parent_path(), problems);
        if (list)
            for (const auto& v : *list)
                if (v.dir.string() == m_voice->currentData().toString().toStdString()) return v.sample_rate;
        return 22050;
    }();
    auto p = pl::NarrationPlayer::open(rate, {.device = m_device.toStdString(), .ring_frames = 8192, .open_device = true});
    if (!p) {
        emit statusMessage(tr("No sound output: %1").arg(userMessage(p.error())), 8000);
        m_status->setText(tr("No sound output (%1); the speech is synthesised without playing.").arg(userMessage(p.error())));
        return false;
    }
    m_player = std::shared_ptr<pl::NarrationPlayer>(std::move(*p));
    if (auto st = m_player->start(); !st) {
        m_status->setText(tr("No sound output: %1").arg(userMessage(st.error())));
        m_player.reset();
        return false;
    }
    m_tick->start();
    return true;
}

void SpeakWorkspace::playTake() {
    if (!m_take || !startPlayer()) return;
    m_player->append(m_take->pcm());
    m_player->end_input();
    m_status->setText(tr("Playing the take (%1).").arg(timeText(m_take->total_ms())));
}

// A project is open, no job runs and a voice is installed (else refreshVoices says what to do).
bool SpeakWorkspace::canStart() {
    if (!m_session || isRunning()) return false;
    if (m_voice->count() == 0) refreshVoices();
    return m_voice->count() > 0;
}

bool SpeakWorkspace::speak() {
    if (!canStart()) return false;
    if (m_text->toPlainText().trimmed().isEmpty()) {
        m_status->setText(tr("Type the text to speak first."));
        return false;
    }
    if (takeIsCurrent()) {
        playTake();
        return true;
    }
    startPlayer();  // may fail: the take is still made
    const bool ok = submit(Task::Speak, tr("Speak"), narrateBody(m_text->toPlainText(), true, true));
    if (ok) {
        m_sentences->clear();
        m_status->setText(tr("Speaking…"));
    }
    return ok;
}

bool SpeakWorkspace::preview() {
    if (!canStart()) return false;
    startPlayer();
    const bool ok = submit(Task::Preview, tr("Preview voice %1").arg(m_voice->currentText()),
                           narrateBody(QString::fromLatin1(kPreviewText), true, false));
    if (ok) m_status->setText(tr("Previewing %1…").arg(m_voice->currentText()));
    return ok;
}

void SpeakWorkspace::stop() {
    if (m_session && m_job) m_session->cancelJob(m_job);
    if (m_player) m_player->stop();
    if (m_tick) m_tick->stop();
}

// Save and Add to Timeline: the current take, or the text spoken first (listed, not played).
bool SpeakWorkspace::saveAsAsset() { return store(Task::Save); }
bool SpeakWorkspace::addToTimeline() { return store(Task::Timeline); }

bool SpeakWorkspace::store(Task task) {
    if (!canStart()) return false;
    const bool current = takeIsCurrent();
    if (!current && m_text->toPlainText().trimmed().isEmpty()) {
        m_status->setText(tr("Type the text to speak first."));
        return false;
    }
    std::shared_ptr<const pl::NarrationTake> have = current ? m_take : nullptr;
    auto speakFirst = current ? nullptr : narrateBody(m_text->toPlainText(), false, true);
    const pl::SpeakSettings s = currentSettings();
    atelier::projects::Project* project = &m_session->project();
    const std::string name = "Speech " + QDateTime::currentDateTime().toString(QStringLiteral("yyyy-MM-dd hh-mm-ss")).toStdString();
    const bool ok = submit(task, task == Task::Timeline ? tr("Speak to the timeline") : tr("Save speech"),
                           [have, speakFirst, s, project, name](atelier::JobContext& ctx, JobResult& r) -> atelier::Status {
                               if (speakFirst) ATELIER_TRY(speakFirst(ctx, r));
                               const pl::NarrationTake& take = have ? *have : *r.take;
                               ATELIER_TRY_ASSIGN(r.report, pl::store_take(ctx, *project, take, s, name, ctx.spec().uuid));
                               return atelier::ok_status();
                           });
    if (ok) {
        if (!current) m_sentences->clear();
        m_status->setText(current ? tr("Saving the take…") : tr("Speaking the text, then saving it…"));
    }
    return ok;
}

bool SpeakWorkspace::regenerate(int row) {
    if (!m_session || isRunning() || !m_take || row < 0 || row >= int(m_take->sentences.size())) return false;
    if (m_voice->currentData().toString().toStdString() != m_take->voice_dir.string()) {
        m_status->setText(tr("This take was spoken by %1: choose that voice to regenerate one of its sentences, or speak the whole text again.")
                              .arg(QString::fromStdString(m_take->voice_dir.filename().string())));
        return false;
    }
    auto copy = std::make_shared<pl::NarrationTake>(*m_take);
    const float speed = static_cast<float>(m_speed->value());
    const bool ok = submit(Task::Regenerate, tr("Regenerate sentence %1").arg(row + 1),
                           [copy, speed, row, name = m_take->voice_dir.string(), cached = m_voiceCache, seed = newSeed()](
                               atelier::JobContext& ctx, JobResult& r) -> atelier::Status {
                               ATELIER_TRY_ASSIGN(r.voice, voiceFor(name, cached));
                               ATELIER_TRY(pl::regenerate_sentence(ctx, *r.voice, *copy, size_t(row), seed, speed));
                               r.take = copy;
                               r.regenerated = row;
                               return atelier::ok_status();
                           });
    if (ok) m_status->setText(tr("Regenerating sentence %1…").arg(row + 1));
    return ok;
}

void SpeakWorkspace::onSentence(int index, const QString& text, qint64 startMs, qint64 durationMs) {
    if (m_task != Task::Speak && m_task != Task::Save && m_task != Task::Timeline) return;
    auto* item = new QTreeWidgetItem({QStringLiteral("%1 → %2").arg(timeText(startMs), timeText(startMs + durationMs)), text});
    item->setData(0, Qt::UserRole, index);
    m_sentences->addTopLevelItem(item);
}

void SpeakWorkspace::onProgress(atelier::JobId id, double fraction, const QString& stage, double) {
    if (id != m_job) return;
    if (fraction >= 0) m_progress->setValue(int(fraction * 1000.0));
    if (stage == QLatin1String("load")) m_status->setText(tr("Loading the voice…"));
}

void SpeakWorkspace::onJobChanged(const JobUpdate& u) {
    if (u.id != m_job || !atelier::job_state_is_final(u.state)) return;
    const std::shared_ptr<JobResult> r = m_result;
    const Task task = m_task;
    m_job = 0;
    m_task = Task::Invalid;
    m_result.reset();
    m_progress->setValue(u.state == JobState::Done ? 1000 : 0);
    const bool done = u.state == JobState::Done && r;
    if (done && r->voice) m_voiceCache = r->voice;
    if (done && r->take && task != Task::Preview) {
        m_take = r->take;
        if (task != Task::Regenerate) m_takeKey = m_jobKey;  // what the text and settings were when it started
        showTake();
    }
    if (!done) {
        m_status->setText(u.state == JobState::Cancelled ? tr("Stopped.") : tr("Failed: %1").arg(u.error));
    } else if (task == Task::Speak || task == Task::Preview) {
        m_status->setText(task == Task::Preview ? tr("Previewed %1.").arg(m_voice->currentText())
                                                : tr("Spoke %n sentence(s), %1.", nullptr, int(m_take->sentences.size())).arg(timeText(m_take->total_ms())));
    } else if (task == Task::Regenerate) {
        m_status->setText(tr("Sentence %1 regenerated and spliced into the take.").arg(r->regenerated + 1));
        if (m_sentences->topLevelItem(r->regenerated)) m_sentences->setCurrentItem(m_sentences->topLevelItem(r->regenerated));
        if (startPlayer()) {  // let the user hear the new rendition
            m_player->append(m_take->sentences[size_t(r->regenerated)].audio);
            m_player->end_input();
        }
    } else {
        finishStore(*r, task == Task::Timeline);
    }
    updateButtons();
    emit jobFinished(done);
}

// Owner thread, after Save/Timeline: the import goes into the undo history, then the clip.
void SpeakWorkspace::finishStore(const JobResult& r, bool place) {
    auto& studio = m_session->studio();
    if (auto st = pl::register_import(studio.undo(), r.report.import); !st) emit statusMessage(userMessage(st.error()), 8000);
    m_lastAsset = QString::fromStdString(r.report.asset_uuid);
    emit m_session->assetsChanged();
    const QString file = QString::fromStdString(r.report.out.filename().string());
    if (!place) {
        emit m_session->historyChanged();
        m_status->setText(tr("Saved %1 (%2) to the project.").arg(file, timeText(r.report.duration_ms)));
        return;
    }
    const bool atPlayhead = m_place->currentData().toString() == QLatin1String("playhead") && m_playhead;
    auto cmd = pl::narration_clip_command(m_session->project(), r.report.asset_uuid, r.report.duration_ms, atPlayhead ? m_playhead() : -1);
    atelier::Status st = cmd ? atelier::ok_status() : atelier::Status(cmd.error());
    if (cmd) {
        m_lastClip = QString::fromStdString((*cmd)->clip().uuid);
        st = studio.undo().push(std::move(*cmd));
    }
    emit m_session->historyChanged();
    if (!st) {
        m_status->setText(tr("Saved %1, but it could not go on the timeline: %2").arg(file, userMessage(st.error())));
        return;
    }
    m_status->setText(tr("Saved %1 and placed it on the timeline's Narration track. Ctrl+Z undoes it.").arg(file));
}

void SpeakWorkspace::showTake() {
    m_sentences->clear();
    if (!m_take) return;
    for (size_t i = 0; i < m_take->sentences.size(); ++i) {
        const qint64 start = m_take->start_ms(i);
        auto* item = new QTreeWidgetItem({QStringLiteral("%1 → %2").arg(timeText(start), timeText(start + m_take->duration_ms(i))),
                                          QString::fromStdString(m_take->sentences[i].text)});
        item->setData(0, Qt::UserRole, int(i));
        m_sentences->addTopLevelItem(item);
    }
}

void SpeakWorkspace::onTick() {
    if (!m_player) {
        m_tick->stop();
        return;
    }
    m_position->setText(timeText(m_player->position_ms()));
    if (auto st = m_player->error(); !st) {
        m_status->setText(tr("Playback stopped: %1").arg(userMessage(st.error())));
        m_player->stop();
        m_tick->stop();
    }
    if (m_player->finished()) m_tick->stop();
    updateButtons();
}

void SpeakWorkspace::updateButtons() {
    const bool open = m_session != nullptr, running = isRunning(), voices = m_voice->count() > 0;
    const bool text = !m_text->toPlainText().trimmed().isEmpty();
    m_speak->setEnabled(open && !running && voices && text);
    m_preview->setEnabled(open && !running && voices);
    m_stop->setEnabled(running || isPlaying());
    m_save->setEnabled(open && !running && voices && (text || m_take));
    m_toTimeline->setEnabled(m_save->isEnabled());
    m_regenerate->setEnabled(open && !running && m_take && m_sentences->currentItem() != nullptr);
    m_speak->setText(takeIsCurrent() ? tr("Play") : tr("Speak"));
}

}  // namespace gui
