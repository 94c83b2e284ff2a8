-- Atelier project file, schema version 2 (PRAGMA user_version = 2).
-- The single source of truth: embedded into atelier_projects at build time (embed-schema.cmake)
-- and read by tools/make-project-fixtures.py. Executed once, inside one transaction, when a
-- project is created; PRAGMA application_id (0x41544C52, 'ATLR') and user_version are set by the
-- installer, not here. Changing anything below means a new schema version and a migration step
-- (docs/dev/HOWTO-add-migration.md); never edit a released version in place.
--
-- Conventions:
--   * Every object has a UUIDv7 primary key (text, canonical lowercase form). Undo and the GUI
--     refer to objects by UUID, never by rowid.
--   * Times are Unix milliseconds (INTEGER, *_ms); durations are milliseconds too.
--   * *_json columns hold valid JSON text (CHECK json_valid), '{}' when there is nothing.
--   * Enumerations are stored as their stable lowercase names, guarded by CHECK constraints.
--   * Canonical tables hold the document. Derived tables (thumbnails, waveforms) can be dropped
--     and rebuilt from the media; each row carries the derived_version of the code that made it,
--     and readers ignore rows whose version is not the current one.
--   * Large media lives in files in `<stem>.atelier-media/` beside the project, addressed by
--     content hash; small generated outputs may live in `blobs`.

-- The project itself: exactly one row.
CREATE TABLE project (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),  -- always 1: a singleton row
    uuid                TEXT NOT NULL UNIQUE,   -- identity of the project across copies and Save-As
    name                TEXT NOT NULL,          -- display name; defaults to the file stem
    created_at_ms       INTEGER NOT NULL,       -- when the file was created
    created_by_version  TEXT NOT NULL           -- Atelier version that created it ("0.1.0")
);

-- Immutable content-addressed bytes for small generated outputs. Rows are only ever inserted
-- or garbage-collected, never updated (enforced by the trigger below).
CREATE TABLE blobs (
    hash                TEXT PRIMARY KEY,       -- content hash (XXH3-128, 32 lowercase hex digits)
    size_bytes          INTEGER NOT NULL CHECK (size_bytes >= 0),  -- length of data
    data                BLOB NOT NULL,          -- the bytes themselves
    created_at_ms       INTEGER NOT NULL        -- when first stored
);
CREATE TRIGGER blobs_are_immutable BEFORE UPDATE ON blobs
BEGIN
    SELECT RAISE(ABORT, 'blobs are immutable');
END;

-- Media and documents known to the project.
CREATE TABLE assets (
    uuid                TEXT PRIMARY KEY,       -- asset identity
    kind                TEXT NOT NULL CHECK (kind IN ('image', 'audio', 'video', 'text', 'other')),
    name                TEXT NOT NULL,          -- display name (file name at import; renameable)
    content_hash        TEXT NOT NULL,          -- hash of the bytes (XXH3-128 hex); de-duplicates imports
    size_bytes          INTEGER NOT NULL CHECK (size_bytes >= 0),  -- size of the content
    storage             TEXT NOT NULL CHECK (storage IN ('media_file', 'blob', 'external')),
                                                -- where the bytes are: media folder, blobs table
                                                -- (keyed by content_hash), or a path outside
    rel_path            TEXT NOT NULL DEFAULT '',  -- media_file: path relative to the media folder;
                                                -- external: absolute path; blob: empty
    source_path         TEXT NOT NULL DEFAULT '',  -- where it was imported from (informational)
    mime                TEXT NOT NULL DEFAULT '',  -- MIME type, e.g. 'image/png'; may be empty
    container           TEXT NOT NULL DEFAULT '',  -- FFmpeg format name; may be empty
    width               INTEGER NOT NULL DEFAULT 0 CHECK (width >= 0),   -- pixels (images, video)
    height              INTEGER NOT NULL DEFAULT 0 CHECK (height >= 0),  -- pixels (images, video)
    duration_ms         INTEGER NOT NULL DEFAULT 0 CHECK (duration_ms >= 0),  -- audio and video
    sample_rate_hz      INTEGER NOT NULL DEFAULT 0 CHECK (sample_rate_hz >= 0),  -- audio
    channels            INTEGER NOT NULL DEFAULT 0 CHECK (channels >= 0),  -- audio channel count
    metadata_json       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata_json)),
                                                -- the full probe (streams, codecs, tags)
    created_at_ms       INTEGER NOT NULL        -- when the asset entered the project
);
CREATE INDEX assets_by_hash ON assets(content_hash);
CREATE INDEX assets_by_time ON assets(created_at_ms);        -- gallery order: time, then insertion
CREATE INDEX assets_by_kind ON assets(kind, created_at_ms);

-- The persisted job queue. 'cancelling' exists only while a cancel is in flight; a writer that
-- opens the file turns queued/running/cancelling rows into 'interrupted' (their process died).
CREATE TABLE jobs (
    uuid                TEXT PRIMARY KEY,       -- job identity (also JobSpec.uuid)
    kind                TEXT NOT NULL,          -- "import", "transcribe", "chat", ...
    title               TEXT NOT NULL DEFAULT '',  -- short human-readable description
    params_json         TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(params_json)),
                                                -- everything needed to rerun the job
    state               TEXT NOT NULL CHECK (state IN ('queued', 'running', 'cancelling', 'done',
                                                      'failed', 'cancelled', 'interrupted')),
    progress            REAL NOT NULL DEFAULT 0 CHECK (progress <= 1.0),
                                                -- fraction done in [0,1]; negative: indeterminate
    stage               TEXT NOT NULL DEFAULT '',  -- stable stage key, e.g. "probe"
    error_code          TEXT NOT NULL DEFAULT '',  -- error_code_name() when failed, else empty
    error_detail        TEXT NOT NULL DEFAULT '',  -- technical detail and hint when failed
    created_at_ms       INTEGER NOT NULL,       -- when it was queued
    started_at_ms       INTEGER NOT NULL DEFAULT 0,  -- when it first ran; 0: never
    finished_at_ms      INTEGER NOT NULL DEFAULT 0,  -- when it reached a final state; 0: not yet
    rerun_of            TEXT REFERENCES jobs(uuid) ON DELETE SET NULL
                                                -- the job this one reruns; NULL if none
);
CREATE INDEX jobs_by_state ON jobs(state);

-- Chats with a language model. Messages form a tree (parent_uuid): editing a user message or
-- regenerating an answer adds a sibling, so every earlier branch is kept. The chat shows one path,
-- root to current_leaf_uuid (schema v2).
CREATE TABLE chats (
    uuid                TEXT PRIMARY KEY,       -- chat identity
    title               TEXT NOT NULL DEFAULT '',  -- display title
    model               TEXT NOT NULL DEFAULT '',  -- model file name or id used by default
    created_at_ms       INTEGER NOT NULL,       -- when the chat was started
    system_prompt       TEXT NOT NULL DEFAULT '',  -- (v2) system text sent before the first turn;
                                                -- empty: none
    settings_json       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings_json)),
                                                -- (v2) how answers are made: {"model": path,
                                                -- "thinking": bool, "sampling": {"temperature",
                                                -- "top_p", "top_k", "min_p", "repeat_penalty",
                                                -- "seed", "max_tokens"}}; '{}': app defaults
    current_leaf_uuid   TEXT REFERENCES messages(uuid) ON DELETE SET NULL
                                                -- (v2) last message of the branch shown; NULL:
                                                -- follow the newest child from the root
);

CREATE TABLE messages (
    uuid                TEXT PRIMARY KEY,       -- message identity
    chat_uuid           TEXT NOT NULL REFERENCES chats(uuid) ON DELETE CASCADE,  -- owning chat
    seq                 INTEGER NOT NULL CHECK (seq >= 1),  -- creation order within the chat, from 1
    role                TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    content             TEXT NOT NULL,          -- the text (UTF-8), including tool-call markup;
                                                -- for an assistant: the answer, reasoning apart
    created_at_ms       INTEGER NOT NULL,       -- when it was added
    parent_uuid         TEXT REFERENCES messages(uuid) ON DELETE CASCADE,
                                                -- (v2) the message this one answers or follows;
                                                -- NULL for the first message of a chat. Siblings
                                                -- (same parent) are alternative branches.
    state               TEXT NOT NULL DEFAULT 'done' CHECK (state IN ('streaming', 'done', 'stopped',
                                                                      'failed', 'interrupted')),
                                                -- (v2) 'streaming' while a model writes it (content
                                                -- is committed as it grows); 'stopped' by the user;
                                                -- 'failed'; 'interrupted': the process died while
                                                -- streaming (set when the file is next opened).
                                                -- The text so far is kept in every case.
    reasoning           TEXT NOT NULL DEFAULT '',  -- (v2) the model's thinking text (thinking mode);
                                                -- empty when none
    generation_uuid     TEXT REFERENCES generations(uuid) ON DELETE SET NULL,
                                                -- (v2) provenance of a generated message; NULL for
                                                -- typed ones
    UNIQUE (chat_uuid, seq)
);
CREATE INDEX messages_by_parent ON messages(parent_uuid);
CREATE INDEX messages_by_generation ON messages(generation_uuid);

-- Provenance of everything a model produced.
CREATE TABLE generations (
    uuid                TEXT PRIMARY KEY,       -- generation identity
    kind                TEXT NOT NULL,          -- "chat", "transcribe", "speak", "imagine", "animate"
    model               TEXT NOT NULL DEFAULT '',  -- model file name / id
    model_hash          TEXT NOT NULL DEFAULT '',  -- content hash of the model file(s)
    params_json         TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(params_json)),
                                                -- every parameter, including quantisation
                                                -- (chat: model path and files, numerics, thinking,
                                                -- sampling, max_tokens, n_ctx, prompt_tokens)
    seed                INTEGER NOT NULL DEFAULT 0,  -- RNG seed that makes the run repeatable
    status              TEXT NOT NULL CHECK (status IN ('queued', 'running', 'cancelling', 'done',
                                                        'failed', 'cancelled', 'interrupted')),
    timings_json        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(timings_json)),
                                                -- load/prefill/decode times, tokens per second
                                                -- (chat: load_ms, prefill_tokens, prefill_ms,
                                                -- prefill_tokens_per_s, decode_tokens, decode_ms,
                                                -- decode_tokens_per_s, stop_reason)
    app_version         TEXT NOT NULL DEFAULT '',  -- Atelier version that ran it
    job_uuid            TEXT REFERENCES jobs(uuid) ON DELETE SET NULL,  -- the job; NULL if none
    created_at_ms       INTEGER NOT NULL        -- when it was recorded
);

-- Output assets of a generation, in order. Removing an asset removes its link (undo of the
-- removal puts the link back).
CREATE TABLE generation_outputs (
    generation_uuid     TEXT NOT NULL REFERENCES generations(uuid) ON DELETE CASCADE,
    position            INTEGER NOT NULL CHECK (position >= 0),  -- 0-based output index
    asset_uuid          TEXT NOT NULL REFERENCES assets(uuid) ON DELETE CASCADE,  -- the output
    PRIMARY KEY (generation_uuid, position)
);
CREATE INDEX generation_outputs_by_asset ON generation_outputs(asset_uuid);

-- Transcripts of audio or video, with segments and words.
CREATE TABLE transcripts (
    uuid                TEXT PRIMARY KEY,       -- transcript identity
    asset_uuid          TEXT REFERENCES assets(uuid) ON DELETE SET NULL,
                                                -- the transcribed asset; NULL for live input or
                                                -- once the asset was removed (the text survives)
    generation_uuid     TEXT REFERENCES generations(uuid) ON DELETE SET NULL,  -- provenance
    language            TEXT NOT NULL DEFAULT '',  -- BCP 47 code, e.g. "en"; empty if unknown
    title               TEXT NOT NULL DEFAULT '',  -- display title
    created_at_ms       INTEGER NOT NULL        -- when it was made
);
CREATE INDEX transcripts_by_asset ON transcripts(asset_uuid);

CREATE TABLE transcript_segments (
    uuid                TEXT PRIMARY KEY,       -- segment identity (editable, undoable)
    transcript_uuid     TEXT NOT NULL REFERENCES transcripts(uuid) ON DELETE CASCADE,
    seq                 INTEGER NOT NULL CHECK (seq >= 0),  -- order within the transcript
    start_ms            INTEGER NOT NULL CHECK (start_ms >= 0),  -- from the start of the media
    end_ms              INTEGER NOT NULL CHECK (end_ms >= start_ms),
    speaker             TEXT NOT NULL DEFAULT '',  -- speaker label; empty if unknown
    text                TEXT NOT NULL,          -- the segment text (UTF-8)
    UNIQUE (transcript_uuid, seq)
);

CREATE TABLE transcript_words (
    segment_uuid        TEXT NOT NULL REFERENCES transcript_segments(uuid) ON DELETE CASCADE,
    seq                 INTEGER NOT NULL CHECK (seq >= 0),  -- order within the segment
    start_ms            INTEGER NOT NULL CHECK (start_ms >= 0),  -- from the start of the media
    end_ms              INTEGER NOT NULL CHECK (end_ms >= start_ms),
    text                TEXT NOT NULL,          -- the word, with its leading space if any
    probability         REAL NOT NULL DEFAULT 1.0 CHECK (probability >= 0.0 AND probability <= 1.0),
                                                -- the recogniser's confidence
    PRIMARY KEY (segment_uuid, seq)
) WITHOUT ROWID;

-- Timelines for export: tracks of clips.
CREATE TABLE timelines (
    uuid                TEXT PRIMARY KEY,       -- timeline identity
    name                TEXT NOT NULL DEFAULT '',  -- display name
    width               INTEGER NOT NULL CHECK (width > 0),   -- output frame width, pixels
    height              INTEGER NOT NULL CHECK (height > 0),  -- output frame height, pixels
    fps_num             INTEGER NOT NULL CHECK (fps_num > 0),  -- frame rate numerator
    fps_den             INTEGER NOT NULL CHECK (fps_den > 0),  -- frame rate denominator
    sample_rate_hz      INTEGER NOT NULL CHECK (sample_rate_hz > 0),  -- output audio rate
    created_at_ms       INTEGER NOT NULL        -- when it was made
);

CREATE TABLE tracks (
    uuid                TEXT PRIMARY KEY,       -- track identity
    timeline_uuid       TEXT NOT NULL REFERENCES timelines(uuid) ON DELETE CASCADE,
    seq                 INTEGER NOT NULL CHECK (seq >= 0),  -- stacking order, 0 = bottom
    kind                TEXT NOT NULL CHECK (kind IN ('video', 'audio', 'subtitle')),
    name                TEXT NOT NULL DEFAULT '',  -- display name
    muted               INTEGER NOT NULL DEFAULT 0 CHECK (muted IN (0, 1)),  -- 1: left out
    UNIQUE (timeline_uuid, seq)
);

CREATE TABLE clips (
    uuid                TEXT PRIMARY KEY,       -- clip identity
    track_uuid          TEXT NOT NULL REFERENCES tracks(uuid) ON DELETE CASCADE,
    asset_uuid          TEXT REFERENCES assets(uuid) ON DELETE RESTRICT,
                                                -- the media shown/played; NULL for subtitle
                                                -- items. An asset on a timeline cannot be removed.
    start_ms            INTEGER NOT NULL CHECK (start_ms >= 0),  -- position on the timeline
    duration_ms         INTEGER NOT NULL CHECK (duration_ms > 0),  -- length on the timeline
    source_in_ms        INTEGER NOT NULL DEFAULT 0 CHECK (source_in_ms >= 0),
                                                -- offset into the asset where the clip starts
    text                TEXT NOT NULL DEFAULT '',  -- subtitle text (subtitle tracks)
    params_json         TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(params_json))
                                                -- volume, fit mode, transitions, ...
);
CREATE INDEX clips_by_track ON clips(track_uuid, start_ms);
CREATE INDEX clips_by_asset ON clips(asset_uuid);

-- Project-scoped settings: key -> JSON value.
CREATE TABLE settings (
    key                 TEXT PRIMARY KEY,       -- dotted key, e.g. "export.default_format"
    value_json          TEXT NOT NULL CHECK (json_valid(value_json))  -- the value as JSON
);

-- ---- derived tables: can be deleted and rebuilt from the media --------------------------

CREATE TABLE thumbnails (
    asset_uuid          TEXT PRIMARY KEY REFERENCES assets(uuid) ON DELETE CASCADE,
    derived_version     INTEGER NOT NULL,       -- version of the code that made it (kThumbnailsVersion)
    width               INTEGER NOT NULL CHECK (width > 0),   -- pixels
    height              INTEGER NOT NULL CHECK (height > 0),  -- pixels
    png                 BLOB NOT NULL           -- PNG-encoded thumbnail
);

CREATE TABLE waveforms (
    asset_uuid          TEXT PRIMARY KEY REFERENCES assets(uuid) ON DELETE CASCADE,
    derived_version     INTEGER NOT NULL,       -- version of the code that made it (kWaveformsVersion)
    samples_per_bucket  INTEGER NOT NULL CHECK (samples_per_bucket > 0),  -- source samples per bucket
    data                BLOB NOT NULL           -- little-endian float32 pairs: min, max per bucket
);
