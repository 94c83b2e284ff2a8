// TranscribeWorkspace implementation. Invariant: m_jobs holds exactly the transcribe jobs this
// workspace started that are not final yet; the editor shows the picker's transcript.
// Thread-safety: GUI thread only (see the header for the worker hop).
#include "gui/transcribe/transcribe-workspace.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QScrollArea>
#include <QSettings>
#include <QSplitter>
#include <QTimer>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

#include "gui/app/dialog-hooks.h"
#include "gui/app/error-text.h"
#include "gui/app/settings.h"
#include "gui/post.h"
#include "gui/session/project-session.h"
#include "gui/transcribe/transcript-editor.h"
#include "media/audio-player.h"
#include "media/subtitle-format.h"
#include "pipelines/hash-cache.h"
#include "pipelines/transcribe-edit.h"
#include "pipelines/transcribe-live.h"
#include "pipelines/transcript-export.h"

namespace gui {

namespace pl = atelier::pipelines;
using atelier::JobState;

namespace {

const char* const kLanguages[] = {"auto", "en", "fr", "de", "es", "it", "pt", "nl", "pl", "ru", "ja", "zh", "ko", "ar"};

QString segmentLine(const pl::RecognisedSegment& s) {
    return QStringLiteral("[%1 → %2] %3")
        .arg(QString::fromStdString(atelier::media::format_timestamp(s.start_ms, '.')),
             QString::fromStdString(atelier::media::format_timestamp(s.end_ms, '.')),
             QString::fromStdString(s.text).trimmed());
}

// Forwards a LiveRecogniser's updates to `observe` as they are made.
class ObservedLive : public pl::LiveRecogniser {
public:
    ObservedLive(std::unique_ptr<pl::LiveRecogniser> inner, std::function<void(const pl::LiveUpdate&)> observe)
        : inner_(std::move(inner)), observe_(std::move(observe)) {}
    atelier::Status push(std::span<const float> pcm) override { return inner_->push(pcm); }
    atelier::Result<pl::LiveUpdate> step(std::stop_token stop) override {
        auto u = inner_->step(stop);
        if (u.ok()) observe_(*u);
        return u;
    }
    atelier::Result<pl::Recognition> finish(std::stop_token stop) override { return inner_->finish(stop); }

private:
    std::unique_ptr<pl::LiveRecogniser> inner_;
    std::function<void(const pl::LiveUpdate&)> observe_;
};

// A recogniser whose final segments and live updates are also handed to the workspace.
class ObservedRecogniser : public pl::Recogniser {
public:
    ObservedRecogniser(std::shared_ptr<pl::Recogniser> inner, std::function<void(const pl::RecognisedSegment&)> seg,
                       std::function<void(const pl::LiveUpdate&)> live)
        : inner_(std::move(inner)), seg_(std::move(seg)), live_(std::move(live)) {}
    std::string model_name() const override { return inner_->model_name(); }
    std::string model_hash() const override { return inner_->model_hash(); }
    atelier::Result<pl::Recognition> transcribe(std::span<const float> pcm, const pl::TranscribeSettings& s,
                                                const pl::RecogniserCallbacks& cb, std::stop_token stop) override {
        pl::RecogniserCallbacks wrapped = cb;
        wrapped.on_segment = [this, cb](const pl::RecognisedSegment& seg) {
            if (cb.on_segment) cb.on_segment(seg);
            seg_(seg);
        };
        return inner_->transcribe(pcm, s, wrapped, stop);
    }
    atelier::Result<std::unique_ptr<pl::LiveRecogniser>> live(const pl::TranscribeSettings& s) override {
        ATELIER_TRY_ASSIGN(auto inner, inner_->live(s));
        return std::unique_ptr<pl::LiveRecogniser>(std::make_unique<ObservedLive>(std::move(inner), live_));
    }

private:
    std::shared_ptr<pl::Recogniser> inner_;
    std::function<void(const pl::RecognisedSegment&)> seg_;
    std::function<void(const pl::LiveUpdate&)> live_;
};

}  // namespace

TranscribeWorkspace::TranscribeWorkspace(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("transcribeWorkspace"));
    auto* split = new QSplitter(Qt::Horizontal);
    for (QWidget* panel : {buildSource(), buildResult()}) {
        auto* scroll = new QScrollArea;  // the panels never set the window's minimum size
        scroll->setWidget(panel);
        scroll->setWidgetResizable(true);
        scroll->setFrameShape(QFrame::NoFrame);
        split->addWidget(scroll);
    }
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);
    m_tick = new QTimer(this);
    m_tick->setInterval(40);
    connect(m_tick, &QTimer::timeout, this, &TranscribeWorkspace::onTick);
    connect(m_editor, &TranscriptEditor::seekRequested, this, &TranscribeWorkspace::seek);
    connect(m_editor, &TranscriptEditor::statusMessage, this, &TranscribeWorkspace::statusMessage);
    loadSettings();
    setSession(nullptr);
}

TranscribeWorkspace::~TranscribeWorkspace() { closePlayer(); }

QWidget* TranscribeWorkspace::buildSource() {
    auto* box = new QWidget;
    auto* v = new QVBoxLayout(box);
    auto* source = new QGroupBox(tr("Source"));
    auto* sv = new QVBoxLayout(source);
    m_fileSource = new QRadioButton(tr("Files"));
    m_fileSource->setObjectName(QStringLiteral("sourceFiles"));
    m_micSource = new QRadioButton(tr("Microphone (live captions)"));
    m_micSource->setObjectName(QStringLiteral("sourceMicrophone"));
    auto* group = new QButtonGroup(this);
    group->addButton(m_fileSource);
    group->addButton(m_micSource);
    m_fileSource->setChecked(true);
    m_files = new QListWidget;
    m_files->setObjectName(QStringLiteral("transcribeFiles"));
    auto* add = new QPushButton(tr("Add Files…"));
    add->setObjectName(QStringLiteral("transcribeAddFiles"));
    auto* clear = new QPushButton(tr("Clear"));
    m_device = new QComboBox;
    m_device->setObjectName(QStringLiteral("transcribeDevice"));
    m_device->setEditable(true);
    m_device->addItem(tr("Default input"), QString());
    auto* fileButtons = new QHBoxLayout;
    fileButtons->addWidget(add);
    fileButtons->addWidget(clear);
    sv->addWidget(m_fileSource);
    sv->addWidget(m_files);
    sv->addLayout(fileButtons);
    sv->addWidget(m_micSource);
    sv->addWidget(m_device);

    auto* opts = new QGroupBox(tr("Recognition"));
    auto* form = new QFormLayout(opts);
    m_model = new QComboBox;
    m_model->setObjectName(QStringLiteral("transcribeModel"));
    m_model->setEditable(true);
    m_model->setToolTip(tr("A Whisper folder (config.json + model.safetensors) or a whisper.cpp .bin file"));
    auto* browse = new QPushButton(tr("Browse…"));
    auto* modelRow = new QHBoxLayout;
    modelRow->addWidget(m_model, 1);
    modelRow->addWidget(browse);
    m_language = new QComboBox;
    m_language->setObjectName(QStringLiteral("transcribeLanguage"));
    for (const char* l : kLanguages) m_language->addItem(QString::fromLatin1(l) == QLatin1String("auto") ? tr("Detect") : QString::fromLatin1(l), QString::fromLatin1(l));
    m_task = new QComboBox;
    m_task->setObjectName(QStringLiteral("transcribeTask"));
    m_task->addItem(tr("Transcribe"), QStringLiteral("transcribe"));
    m_task->addItem(tr("Translate to English"), QStringLiteral("translate"));
    m_words = new QCheckBox(tr("Word timestamps"));
    m_words->setObjectName(QStringLiteral("transcribeWords"));
    form->addRow(tr("Model"), modelRow);
    form->addRow(tr("Language"), m_language);
    form->addRow(tr("Task"), m_task);
    form->addRow(QString(), m_words);

    m_start = new QPushButton(tr("Start"));
    m_start->setObjectName(QStringLiteral("transcribeStart"));
    m_stop = new QPushButton(tr("Stop"));
    m_stop->setObjectName(QStringLiteral("transcribeStop"));
    auto* run = new QHBoxLayout;
    run->addWidget(m_start);
    run->addWidget(m_stop);
    m_progress = new QProgressBar;
    m_progress->setObjectName(QStringLiteral("transcribeProgress"));
    m_progress->setRange(0, 1000);
    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("transcribeStatus"));
    m_status->setWordWrap(true);
    m_segments = new QListWidget;
    m_segments->setObjectName(QStringLiteral("transcribeSegments"));
    m_captions = new QLabel;
    m_captions->setObjectName(QStringLiteral("liveCaptions"));
    m_captions->setWordWrap(true);
    m_captions->setMinimumHeight(64);
    QFont big = m_captions->font();
    big.setPointSizeF(big.pointSizeF() * 1.4);
    m_captions->setFont(big);
    v->addWidget(source);
    v->addWidget(opts);
    v->addLayout(run);
    v->addWidget(m_progress);
    v->addWidget(m_status);
    v->addWidget(m_segments, 1);
    v->addWidget(m_captions);

    connect(add, &QPushButton::clicked, this, [this] {
        if (DialogHooks* h = m_hooks ? m_hooks() : nullptr) addFiles(h->importPaths(this));
    });
    connect(clear, &QPushButton::clicked, m_files, &QListWidget::clear);
    connect(browse, &QPushButton::clicked, this, [this] {
        DialogHooks* h = m_hooks ? m_hooks() : nullptr;
        const QString path = h ? h->modelPath(this, true) : QString();
        if (!path.isEmpty()) m_model->setCurrentText(path);
    });
    connect(m_start, &QPushButton::clicked, this, [this] { start(); });
    connect(m_stop, &QPushButton::clicked, this, &TranscribeWorkspace::stop);
    return box;
}

QWidget* TranscribeWorkspace::buildResult() {
    auto* box = new QWidget;
    auto* v = new QVBoxLayout(box);
    m_picker = new QComboBox;
    m_picker->setObjectName(QStringLiteral("transcriptPicker"));
    m_editor = new TranscriptEditor;
    m_play = new QPushButton(tr("Play"));
    m_play->setObjectName(QStringLiteral("transcriptPlay"));
    m_position = new QLabel;
    m_position->setObjectName(QStringLiteral("transcriptPosition"));
    auto* transport = new QHBoxLayout;
    transport->addWidget(m_play);
    transport->addWidget(m_position, 1);
    auto* exports = new QHBoxLayout;
    for (const char* ext : {"srt", "vtt", "txt", "json"}) {
        auto* b = new QPushButton(tr("Export %1").arg(QString::fromLatin1(ext).toUpper()));
        b->setObjectName(QStringLiteral("export_%1").arg(QString::fromLatin1(ext)));
        connect(b, &QPushButton::clicked, this, [this, ext] {
            DialogHooks* h = m_hooks ? m_hooks() : nullptr;
            const QString base = QFileInfo(m_picker->currentText()).completeBaseName();
            const QString path = h ? h->exportPath(this, base + QLatin1Char('.') + QString::fromLatin1(ext)) : QString();
            if (!path.isEmpty()) exportTranscript(path);
        });
        exports->addWidget(b);
        m_resultButtons << b;
    }
    auto* timeline = new QPushButton(tr("To Timeline"));
    timeline->setObjectName(QStringLiteral("transcriptToTimeline"));
    timeline->setToolTip(tr("Put the segments on the timeline's subtitle track"));
    connect(timeline, &QPushButton::clicked, this, [this] { toTimeline(); });
    exports->addWidget(timeline);
    m_resultButtons << timeline << m_play;
    v->addWidget(m_picker);
    v->addLayout(transport);
    v->addWidget(m_editor, 1);
    v->addLayout(exports);
    connect(m_picker, &QComboBox::currentIndexChanged, this, &TranscribeWorkspace::onTranscriptPicked);
    connect(m_play, &QPushButton::clicked, this, [this] { m_playing ? pause() : play(); });
    return box;
}

// Whisper models in the models folder (Settings) and in the model cache ($ATELIER_MODEL_CACHE or
// ~/.cache/atelier/models, where scripts/fetch-models puts them); only what check_whisper_model
// accepts (it reads config.json or a .bin header, nothing more).
void TranscribeWorkspace::populateModels() {
    QStringList roots = {AppSettings::load().modelsFolder};
    if (const auto cache = pl::model_cache_dir(); !cache.empty()) roots << QString::fromStdString(cache.string());
    for (const QString& root : roots) {
        const QFileInfoList entries = QDir(root).entryInfoList(QDir::Dirs | QDir::Files | QDir::NoDotAndDotDot, QDir::Name);
        for (const QFileInfo& e : entries) {
            if (!pl::check_whisper_model(e.absoluteFilePath().toStdString())) continue;
            if (m_model->findText(e.absoluteFilePath()) < 0) m_model->addItem(e.absoluteFilePath());
        }
    }
}

void TranscribeWorkspace::loadSettings() {
    populateModels();
    QSettings s;
    const QString model = s.value(QStringLiteral("transcribe/model")).toString();
    if (!model.isEmpty()) m_model->setCurrentText(model);
    const int lang = m_language->findData(s.value(QStringLiteral("transcribe/language"), QStringLiteral("auto")));
    m_language->setCurrentIndex(std::max(0, lang));
    const int task = m_task->findData(s.value(QStringLiteral("transcribe/task"), QStringLiteral("transcribe")));
    m_task->setCurrentIndex(std::max(0, task));
    m_words->setChecked(s.value(QStringLiteral("transcribe/wordTimestamps"), true).toBool());
}

void TranscribeWorkspace::saveSettings() const {
    QSettings s;
    s.setValue(QStringLiteral("transcribe/model"), m_model->currentText());
    s.setValue(QStringLiteral("transcribe/language"), m_language->currentData());
    s.setValue(QStringLiteral("transcribe/task"), m_task->currentData());
    s.setValue(QStringLiteral("transcribe/wordTimestamps"), m_words->isChecked());
}

pl::TranscribeSettings TranscribeWorkspace::currentSettings() const {
    pl::TranscribeSettings s;
    s.model = m_model->currentText().trimmed().toStdString();
    s.language = m_language->currentData().toString().toStdString();
    s.task = m_task->currentData().toString() == QLatin1String("translate") ? pl::TranscribeTask::Translate
                                                                            : pl::TranscribeTask::Transcribe;
    s.word_timestamps = m_words->isChecked();
    return s;
}

void TranscribeWorkspace::setSession(ProjectSession* session) {
    if (m_session) disconnect(m_session, nullptr, this, nullptr);
    closePlayer();
    m_session = session;
    m_jobs.clear();
    m_editor->setSession(session);
    if (session) {
        pl::set_transcribe_rerun(session->studio(), m_loader);  // Rerun in the Jobs panel
        connect(session, &ProjectSession::jobChanged, this, &TranscribeWorkspace::onJobChanged);
        connect(session, &ProjectSession::jobProgress, this, &TranscribeWorkspace::onProgress);
        connect(session, &ProjectSession::historyChanged, this, [this] { refreshTranscripts(m_editor->transcriptUuid()); });
    }
    refreshTranscripts();
    updateButtons();
}

void TranscribeWorkspace::addFiles(const QStringList& paths) {
    for (const QString& p : paths)
        if (!p.isEmpty() && m_files->findItems(p, Qt::MatchExactly).isEmpty()) m_files->addItem(p);
    if (!paths.isEmpty()) m_fileSource->setChecked(true);
    updateButtons();
}

pl::RecogniserLoader TranscribeWorkspace::observedLoader() {
    pl::RecogniserLoader inner = m_loader ? m_loader : pl::whisper_loader();
    QPointer<ProjectSession> session = m_session;
    QPointer<TranscribeWorkspace> self = this;
    auto onSeg = [session, self](const pl::RecognisedSegment& s) {
        if (!session) return;
        post(session, [self, line = segmentLine(s)] {
            if (self) self->onSegment(line);
        });
    };
    auto onLive = [session, self](const pl::LiveUpdate& u) {
        if (!session) return;
        QStringList finals;
        for (const auto& s : u.finals) finals << QString::fromStdString(s.text).trimmed();
        post(session, [self, finals, partial = QString::fromStdString(u.partial_text).trimmed()] {
            if (self) self->onCaption(finals, partial);
        });
    };
    return [inner, onSeg, onLive](const pl::TranscribeSettings& s, atelier::JobContext& ctx)
               -> atelier::Result<std::shared_ptr<pl::Recogniser>> {
        ATELIER_TRY_ASSIGN(std::shared_ptr<pl::Recogniser> r, inner(s, ctx));
        return std::shared_ptr<pl::Recogniser>(std::make_shared<ObservedRecogniser>(std::move(r), onSeg, onLive));
    };
}

bool TranscribeWorkspace::start() {
    if (!m_session || isRunning()) return false;
    const pl::TranscribeSettings s = currentSettings();
    atelier::Status ok = pl::validate_transcribe_settings(s);
    if (ok && !m_loader) ok = pl::check_whisper_model(s.model);
    if (!ok) {
        m_status->setText(userMessage(ok.error()));
        return false;
    }
    saveSettings();
    m_segments->clear();
    m_captionLines.clear();
    m_captions->clear();
    m_progress->setValue(0);
    auto& studio = m_session->studio();
    if (m_micSource->isChecked()) {
        pl::MicrophoneOptions mic;
        const QString device = m_device->currentText().trimmed();
        mic.device = device == m_device->itemText(0) ? std::string() : device.toStdString();
        auto report = std::make_shared<pl::TranscribeReport>();
        m_jobs.insert(pl::submit_transcribe_microphone(studio, mic, s, observedLoader(), report), report);
        m_status->setText(tr("Listening… press Stop to end the take (it is kept)."));
    } else {
        if (m_files->count() == 0) {
            m_status->setText(tr("Add files to transcribe, or choose the microphone."));
            return false;
        }
        for (int i = 0; i < m_files->count(); ++i) {
            auto report = std::make_shared<pl::TranscribeReport>();
            m_jobs.insert(pl::submit_transcribe(studio, m_files->item(i)->text().toStdString(), s, observedLoader(), report), report);
        }
        m_status->setText(tr("Transcribing %n file(s)…", nullptr, m_files->count()));
    }
    updateButtons();
    return true;
}

void TranscribeWorkspace::stop() {
    if (!m_session) return;
    for (auto it = m_jobs.cbegin(); it != m_jobs.cend(); ++it) m_session->cancelJob(it.key());
}

void TranscribeWorkspace::onSegment(const QString& line) {
    m_segments->addItem(line);
    m_segments->scrollToBottom();
}

void TranscribeWorkspace::onCaption(const QStringList& finals, const QString& partial) {
    m_captionLines << finals;
    while (m_captionLines.size() > 2) m_captionLines.removeFirst();
    for (const QString& f : finals) m_segments->addItem(f);
    QStringList shown = m_captionLines;
    if (!partial.isEmpty()) shown << QStringLiteral("<span style='color:gray'>%1</span>").arg(partial.toHtmlEscaped());
    m_captions->setText(shown.join(QStringLiteral("<br>")));
}

void TranscribeWorkspace::onProgress(atelier::JobId id, double fraction, const QString& stage, double) {
    if (!m_jobs.contains(id)) return;
    if (fraction >= 0) m_progress->setValue(int(fraction * 1000.0));
    if (stage == QLatin1String("load")) m_status->setText(tr("Loading the model…"));
}

void TranscribeWorkspace::onJobChanged(const JobUpdate& u) {
    auto it = m_jobs.find(u.id);
    if (it == m_jobs.end() || !atelier::job_state_is_final(u.state)) return;
    const std::shared_ptr<pl::TranscribeReport> report = it.value();
    m_jobs.erase(it);
    if (u.state == JobState::Done && report && !report->transcript_uuid.empty()) {
        if (auto st = pl::register_transcript(m_session->studio(), *report); !st)
            emit statusMessage(userMessage(st.error()), 8000);
        const QString uuid = QString::fromStdString(report->transcript_uuid);
        m_status->setText(tr("Transcribed %1: %n segment(s).", nullptr, int(report->doc.segments.size()))
                              .arg(QString::fromStdString(report->doc.transcript.title)));
        emit m_session->historyChanged();
        refreshTranscripts(uuid);
        emit transcriptReady(uuid);
    } else if (u.state == JobState::Cancelled) {
        m_status->setText(tr("Cancelled; nothing was stored."));
    } else if (u.state == JobState::Failed) {
        m_status->setText(tr("Failed: %1").arg(u.error));
    }
    if (m_jobs.isEmpty()) m_progress->setValue(u.state == JobState::Done ? 1000 : 0);
    updateButtons();
}

void TranscribeWorkspace::refreshTranscripts(const QString& select) {
    const QString keep = select.isEmpty() ? m_picker->currentData().toString() : select;
    QSignalBlocker block(m_picker);
    m_picker->clear();
    if (m_session) {
        if (auto list = atelier::projects::list_transcripts(m_session->project())) {
            for (const auto& t : *list)
                m_picker->addItem(QString::fromStdString(t.title.empty() ? t.uuid : t.title), QString::fromStdString(t.uuid));
        }
    }
    const int i = m_picker->findData(keep);
    m_picker->setCurrentIndex(i >= 0 ? i : m_picker->count() - 1);
    block.unblock();
    if (m_picker->currentData().toString() != m_editor->transcriptUuid()) onTranscriptPicked();
    updateButtons();
}

void TranscribeWorkspace::onTranscriptPicked() {
    closePlayer();
    m_editor->showTranscript(m_picker->currentData().toString());
    seek(0);
    updateButtons();
}

bool TranscribeWorkspace::exportTranscript(const QString& path) {
    if (!m_session || m_editor->transcriptUuid().isEmpty()) return false;
    const auto st = pl::export_transcript(m_session->project(), m_editor->transcriptUuid().toStdString(), path.toStdString());
    if (!st) {
        if (DialogHooks* h = m_hooks ? m_hooks() : nullptr) h->showError(this, tr("Cannot export"), userMessage(st.error()), detailText(st.error()));
        return false;
    }
    emit statusMessage(tr("Exported %1").arg(path), 5000);
    return true;
}

bool TranscribeWorkspace::toTimeline() {
    if (!m_session || m_editor->transcriptUuid().isEmpty()) return false;
    auto cmd = pl::transcript_to_subtitles_command(m_session->project(), m_editor->transcriptUuid().toStdString());
    atelier::Status st = cmd ? m_session->studio().undo().push(std::move(*cmd)) : atelier::Status(cmd.error());
    emit m_session->historyChanged();
    if (!st) {
        emit statusMessage(userMessage(st.error()), 8000);
        return false;
    }
    emit statusMessage(tr("The transcript is on the timeline's subtitle track. Ctrl+Z undoes it."), 6000);
    return true;
}

std::filesystem::path TranscribeWorkspace::sourceOf(const QString&) const {
    const auto& t = m_editor->document().transcript;
    if (!m_session) return {};
    if (!t.asset_uuid.empty()) {
        if (auto a = m_session->project().get_asset(t.asset_uuid)) return m_session->project().asset_file_path(*a);
    }
    if (!t.generation_uuid.empty()) {
        if (auto g = m_session->project().get_generation(t.generation_uuid)) {
            const auto j = nlohmann::json::parse(g->params_json, nullptr, false);
            const std::string src = j.is_object() ? j.value("source", std::string()) : std::string();
            if (!src.empty() && src != "microphone") return src;
        }
    }
    return {};
}

void TranscribeWorkspace::play() {
    if (m_editor->transcriptUuid().isEmpty()) return;
    if (!m_player) {
        const std::filesystem::path src = sourceOf(m_editor->transcriptUuid());
        auto p = src.empty() ? atelier::Result<std::unique_ptr<atelier::media::AudioPlayer>>(
                                   atelier::make_error(atelier::ErrorCode::NotFound, "no source file"))
                             : atelier::media::AudioPlayer::open(src, {});
        if (p) {
            m_player = std::move(*p);
            (void)m_player->seek(m_clockBaseMs);
        } else {
            emit statusMessage(tr("Playing silently: %1").arg(userMessage(p.error())), 6000);
        }
    }
    if (m_player) {
        if (auto st = m_player->play(); !st) {
            emit statusMessage(userMessage(st.error()), 6000);
            m_player.reset();
        }
    }
    m_clock.restart();
    m_playing = true;
    m_play->setText(tr("Pause"));
    m_tick->start();
}

void TranscribeWorkspace::pause() {
    m_clockBaseMs = positionMs();
    if (m_player) m_player->pause();
    m_playing = false;
    m_play->setText(tr("Play"));
    m_tick->stop();
    onTick();
}

void TranscribeWorkspace::seek(qint64 ms) {
    m_clockBaseMs = std::max<qint64>(0, ms);
    m_clock.restart();
    if (m_player) (void)m_player->seek(m_clockBaseMs);
    onTick();
}

qint64 TranscribeWorkspace::positionMs() const {
    if (m_player) return m_player->position_ms();
    return m_clockBaseMs + (m_playing && m_clock.isValid() ? m_clock.elapsed() : 0);
}

void TranscribeWorkspace::onTick() {
    const qint64 ms = positionMs();
    m_editor->setPlayheadMs(ms);
    m_position->setText(QString::fromStdString(atelier::media::format_timestamp(ms, '.')));
    const auto& segs = m_editor->document().segments;
    const bool ended = m_player ? m_player->finished() : (!segs.empty() && ms > segs.back().end_ms + 500);
    if (m_playing && ended) pause();
}

void TranscribeWorkspace::closePlayer() {
    if (m_tick) m_tick->stop();
    m_player.reset();
    m_playing = false;
    m_clockBaseMs = 0;
    if (m_play) m_play->setText(tr("Play"));
}

void TranscribeWorkspace::updateButtons() {
    const bool open = m_session != nullptr, running = isRunning();
    m_start->setEnabled(open && !running);
    m_stop->setEnabled(running);
    const bool have = open && !m_editor->transcriptUuid().isEmpty();
    for (QPushButton* b : m_resultButtons) b->setEnabled(have);
}

}  // namespace gui
