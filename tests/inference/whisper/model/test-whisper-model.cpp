// Whisper model tests, part 1: config and special ids (facts of openai/whisper's tokenizer
// layout), the encoder against transformers' WhisperForConditionalGeneration (goldens from
// tools/whisper/make-whisper-goldens.py), the ggml .bin of the same weights loading to the same
// outputs, and bad models giving clear errors. Test code, main thread.
#include <gtest/gtest.h>

#include <fstream>

#include "inference/arch/whisper/whisper-internal.h"
#include "whisper-test-util.h"

namespace atelier::infer::whisper::test {
namespace {

const char* kModels[] = {"tiny-80", "tiny-128", "tiny-en"};

TEST(WhisperConfig, MultilingualLayout) {
    auto m = load_or_fail(tiny_dir() / "tiny-80");
    ASSERT_TRUE(m);
    const WhisperConfig& c = m->config();
    EXPECT_EQ(c.n_mels, 80);
    EXPECT_EQ(c.n_audio_ctx, 1500);
    EXPECT_EQ(c.n_text_ctx, 448);
    EXPECT_EQ(c.n_audio_state, 64);
    EXPECT_EQ(c.n_audio_layer, 2);
    EXPECT_EQ(c.n_text_head, 4);
    EXPECT_TRUE(c.multilingual);
    // openai/whisper multilingual.tiktoken specials: <|endoftext|> 50257 ... <|0.00|> 50364.
    EXPECT_EQ(c.eot, 50257);
    EXPECT_EQ(c.sot, 50258);
    EXPECT_EQ(c.translate, 50358);
    EXPECT_EQ(c.transcribe, 50359);
    EXPECT_EQ(c.sot_lm, 50360);
    EXPECT_EQ(c.sot_prev, 50361);
    EXPECT_EQ(c.no_speech, 50362);
    EXPECT_EQ(c.no_timestamps, 50363);
    EXPECT_EQ(c.timestamp_begin, 50364);
    ASSERT_EQ(c.languages.size(), 99u);
    EXPECT_EQ(c.languages[0], (std::pair<std::string, int32_t>{"en", 50259}));
    EXPECT_EQ(c.languages[1].first, "zh");
    EXPECT_EQ(c.languages[98].first, "su");
    ASSERT_EQ(c.alignment_heads.size(), 2u);
    EXPECT_EQ(c.alignment_heads[1], (std::pair<int, int>{1, 2}));
    EXPECT_EQ(c.begin_suppress_tokens, (std::vector<int32_t>{220, 50257}));
    EXPECT_EQ(m->tokenizer(), nullptr);
}

TEST(WhisperConfig, LargeV3AndEnglishOnlyLayouts) {
    auto v3 = load_or_fail(tiny_dir() / "tiny-128.bin");  // from the ggml header alone
    ASSERT_TRUE(v3);
    EXPECT_EQ(v3->config().n_mels, 128);
    EXPECT_EQ(v3->config().languages.size(), 100u);
    EXPECT_EQ(v3->config().languages.back().first, "yue");
    EXPECT_EQ(v3->config().transcribe, 50360);
    EXPECT_EQ(v3->config().timestamp_begin, 50365);
    for (const char* p : {"tiny-en", "tiny-en.bin"}) {
        auto en = load_or_fail(tiny_dir() / p);
        ASSERT_TRUE(en);
        EXPECT_FALSE(en->config().multilingual) << p;
        EXPECT_TRUE(en->config().languages.empty()) << p;
        EXPECT_EQ(en->config().eot, 50256) << p;
        EXPECT_EQ(en->config().sot, 50257) << p;
        EXPECT_EQ(en->config().no_timestamps, 50362) << p;
        EXPECT_EQ(en->config().timestamp_begin, 50363) << p;
    }
}

// ggml .bin files carry only token bytes in rank order; merges and specials are rebuilt. The tiny
// file's vocabulary: 256 bytes, then "he", "ll", "hell", "hello", " w", "or", " wor", "ld", " world".
TEST(WhisperConfig, GgmlVocabularyTokenizer) {
    auto m = load_or_fail(tiny_dir() / "tiny-80.bin");
    ASSERT_TRUE(m);
    const Tokenizer* t = m->tokenizer();
    ASSERT_NE(t, nullptr);
    const WhisperConfig& c = m->config();
    EXPECT_EQ(t->encode("hello world"), (std::vector<TokenId>{259, 264}));
    EXPECT_EQ(t->encode(" word"), (std::vector<TokenId>{262, 'd'}));
    EXPECT_EQ(t->encode("hell"), (std::vector<TokenId>{258}));
    EXPECT_EQ(t->encode("helo"), (std::vector<TokenId>{256, 'l', 'o'}));
    EXPECT_EQ(t->encode(" wo"), (std::vector<TokenId>{260, 'o'}));  // " wo" is no token: " w" + "o"
    EXPECT_EQ(t->encode("<|startoftranscript|><|en|><|transcribe|><|notimestamps|>"),
              (std::vector<TokenId>{c.sot, c.languages[0].second, c.transcribe, c.no_timestamps}));
    ASSERT_NE(t->token_text(c.timestamp_begin + 150), nullptr);
    EXPECT_EQ(*t->token_text(c.timestamp_begin + 150), "<|3.00|>");
    EXPECT_EQ(*t->token_text(c.n_vocab - 1), "<|30.00|>");
    const std::vector<TokenId> ids = {c.sot, 259, 264, c.timestamp_begin, c.eot};
    EXPECT_EQ(t->decode(ids, true), "hello world");
    auto en = load_or_fail(tiny_dir() / "tiny-en.bin");
    ASSERT_TRUE(en && en->tokenizer());
    EXPECT_EQ(*en->tokenizer()->token_text(50256), "<|endoftext|>");
    EXPECT_EQ(*en->tokenizer()->token_text(50362), "<|notimestamps|>");
}

// A ggml header has no alignment heads: known sizes take openai's, as published in the HF
// generation_config.json of openai/whisper-base and openai/whisper-large-v3-turbo.
TEST(WhisperConfig, GgmlAlignmentHeadPresets) {
    RawModel raw;
    raw.label = "header";
    const int base[11] = {51865, 1500, 512, 8, 6, 448, 512, 8, 6, 80, 1};
    std::copy(base, base + 11, raw.ggml_hparams);
    auto c = config_from_ggml(raw);
    ASSERT_TRUE(c.ok()) << c.error().message();
    EXPECT_EQ(c->alignment_heads, (std::vector<std::pair<int, int>>{{3, 1}, {4, 2}, {4, 3}, {4, 7}, {5, 1}, {5, 2}, {5, 4}, {5, 6}}));
    const int turbo[11] = {51866, 1500, 1280, 20, 32, 448, 1280, 20, 4, 128, 1};
    std::copy(turbo, turbo + 11, raw.ggml_hparams);
    c = config_from_ggml(raw);
    ASSERT_TRUE(c.ok()) << c.error().message();
    EXPECT_EQ(c->alignment_heads, (std::vector<std::pair<int, int>>{{2, 4}, {2, 11}, {3, 3}, {3, 6}, {3, 11}, {3, 14}}));
    const int large_v2[11] = {51865, 1500, 1280, 20, 32, 448, 1280, 20, 32, 80, 1};  // v1 and v2 look alike
    std::copy(large_v2, large_v2 + 11, raw.ggml_hparams);
    c = config_from_ggml(raw);
    ASSERT_TRUE(c.ok()) << c.error().message();
    EXPECT_TRUE(c->alignment_heads.empty());
    raw.ggml_hparams[9] = 40;  // 40 mels: not Whisper
    EXPECT_EQ(config_from_ggml(raw).error().code, ErrorCode::ModelUnsupported);
}

TEST(WhisperEncoder, MatchesTransformers) {
    auto s = session();
    for (const char* name : kModels) {
        auto m = load_or_fail(tiny_dir() / name);
        ASSERT_TRUE(m);
        auto enc = encode_or_fail(*m, mel_of(name), *s);
        ASSERT_TRUE(enc);
        NpyArray g = golden(name, "encoder.npy");
        const int64_t d = enc->n_state;
        ASSERT_EQ(g.shape, (std::vector<int64_t>{150, d}));
        std::vector<float> rows;
        for (int64_t r = 0; r < 1500; r += 10)
            rows.insert(rows.end(), enc->hidden.begin() + r * d, enc->hidden.begin() + (r + 1) * d);
        const double err = max_abs_diff(rows, g.f32());
        RecordProperty(std::string("encoder_max_abs_") + name, fmt_g(err));
        EXPECT_LT(err, 5e-5) << name;
    }
}

// The f32 .bin holds the same values as the safetensors: outputs must be identical, bit for bit.
TEST(WhisperFormats, GgmlBinMatchesSafetensors) {
    auto s = session();
    for (const char* name : kModels) {
        auto hf = load_or_fail(tiny_dir() / name);
        auto bin = load_or_fail(tiny_dir() / (std::string(name) + ".bin"));
        ASSERT_TRUE(hf && bin);
        const auto mel = mel_of(name);
        auto e1 = encode_or_fail(*hf, mel, *s);
        auto e2 = encode_or_fail(*bin, mel, *s);
        ASSERT_TRUE(e1 && e2);
        EXPECT_EQ(e1->hidden, e2->hidden) << name;
        NpyArray prefix = golden(name, "prefix.npy");
        auto d1 = hf->new_decoder(e1);
        auto d2 = bin->new_decoder(e2);
        ASSERT_TRUE(d1.ok() && d2.ok());
        EXPECT_EQ(feed_all(*hf, **d1, prefix.i32(), *s), feed_all(*bin, **d2, prefix.i32(), *s)) << name;
    }
}

// The f16 and q8_0 .bin files: weights rounded, so close to transformers' f64 run but not identical.
TEST(WhisperFormats, GgmlF16AndQ8BinsAreClose) {
    auto s = session();
    for (auto [file, tol] : {std::pair{"tiny-80-f16.bin", 0.05}, std::pair{"tiny-80-q8_0.bin", 0.5}}) {
        auto m = load_or_fail(tiny_dir() / file);
        ASSERT_TRUE(m);
        auto enc = encode_or_fail(*m, mel_of("tiny-80"), *s);
        ASSERT_TRUE(enc);
        auto st = m->new_decoder(enc);
        ASSERT_TRUE(st.ok());
        NpyArray prefix = golden("tiny-80", "prefix.npy");
        const double err = logits_err("tiny-80", feed_all(*m, **st, prefix.i32(), *s), m->config().n_vocab);
        RecordProperty(std::string("logits_max_abs_") + file, fmt_g(err));
        EXPECT_LT(err, tol) << file;
        EXPECT_GT(err, 0.0) << file;  // it really is the rounded copy
    }
}

// A checkpoint that stores proj_out (untied) uses it: the fixture's is minus the embedding.
TEST(WhisperFormats, StoredProjOutIsUsed) {
    auto s = session();
    auto tied = load_or_fail(tiny_dir() / "tiny-80");
    auto untied = load_or_fail(tiny_dir() / "tiny-80-untied");
    ASSERT_TRUE(tied && untied);
    const auto mel = mel_of("tiny-80");
    auto e1 = encode_or_fail(*tied, mel, *s);
    auto e2 = encode_or_fail(*untied, mel, *s);
    ASSERT_TRUE(e1 && e2);
    NpyArray prefix = golden("tiny-80", "prefix.npy");
    auto d1 = tied->new_decoder(e1);
    auto d2 = untied->new_decoder(e2);
    ASSERT_TRUE(d1.ok() && d2.ok());
    auto l1 = feed_all(*tied, **d1, prefix.i32(), *s);
    const auto l2 = feed_all(*untied, **d2, prefix.i32(), *s);
    for (float& v : l1) v = -v;
    EXPECT_EQ(l1, l2);
}

void write_bytes(const std::filesystem::path& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

std::filesystem::path scratch(const std::string& name) {
    auto p = std::filesystem::path(ATELIER_BINARY_DIR) / "whisper-bad" / name;
    std::filesystem::create_directories(p.parent_path());
    return p;
}

TEST(WhisperBadModels, TruncatedBin) {
    const std::string full = read_bytes(tiny_dir() / "tiny-80.bin");
    ASSERT_GT(full.size(), 100000u);
    for (size_t cut : {size_t{20}, size_t{2000}, full.size() / 2, full.size() - 3}) {
        auto p = scratch("cut.bin");
        write_bytes(p, full.substr(0, cut));
        auto m = WhisperModel::load(p);
        ASSERT_FALSE(m.ok()) << cut;
        EXPECT_EQ(m.error().code, ErrorCode::ModelTruncated) << cut << ": " << m.error().message();
        EXPECT_NE(m.error().detail.find(p.string()), std::string::npos) << m.error().detail;
    }
}

TEST(WhisperBadModels, WrongTensorShapeNamesTensor) {
    auto dir = scratch("shape");
    std::filesystem::create_directories(dir);
    std::filesystem::copy_file(tiny_dir() / "tiny-80/model.safetensors", dir / "model.safetensors",
                               std::filesystem::copy_options::overwrite_existing);
    std::string cfg = read_bytes(tiny_dir() / "tiny-80/config.json");
    const auto at = cfg.find("\"num_mel_bins\": 80");
    ASSERT_NE(at, std::string::npos);
    cfg.replace(at, 18, "\"num_mel_bins\": 128");
    write_bytes(dir / "config.json", cfg);
    auto m = WhisperModel::load(dir);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, ErrorCode::ModelFormat);
    EXPECT_NE(m.error().detail.find("encoder.conv1.weight"), std::string::npos) << m.error().detail;
    EXPECT_NE(m.error().detail.find("[3, 128, 64]"), std::string::npos) << m.error().detail;
}

TEST(WhisperBadModels, NotWhisper) {
    // A safetensors folder of another architecture.
    auto dir = scratch("llama");
    std::filesystem::create_directories(dir);
    std::filesystem::copy_file(tiny_dir() / "tiny-80/model.safetensors", dir / "model.safetensors",
                               std::filesystem::copy_options::overwrite_existing);
    write_bytes(dir / "config.json", R"({"model_type": "llama", "vocab_size": 51865})");
    auto m = WhisperModel::load(dir);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, ErrorCode::ModelUnsupported);
    EXPECT_NE(m.error().detail.find("not a Whisper model"), std::string::npos) << m.error().detail;
    // A GGUF language model.
    auto g = WhisperModel::load(std::filesystem::path(ATELIER_TEST_DATA_DIR) / "inference/tokenizer/fixtures/tokenizer.gguf");
    ASSERT_FALSE(g.ok());
    EXPECT_NE(g.error().detail.find("not Whisper"), std::string::npos) << g.error().detail;
    // Something else entirely.
    auto txt = scratch("notes.bin");
    write_bytes(txt, "hello, this is not a model at all");
    auto t = WhisperModel::load(txt);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().code, ErrorCode::ModelFormat);
    auto none = WhisperModel::load(scratch("missing.bin"));
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().code, ErrorCode::NotFound);
}

// Malformed values in the JSON files give errors (never exceptions), naming the file and key.
TEST(WhisperBadModels, BadConfigValues) {
    auto dir = scratch("badcfg");
    std::filesystem::create_directories(dir);
    std::filesystem::copy_file(tiny_dir() / "tiny-80/model.safetensors", dir / "model.safetensors",
                               std::filesystem::copy_options::overwrite_existing);
    const std::string cfg = read_bytes(tiny_dir() / "tiny-80/config.json");
    write_bytes(dir / "config.json", cfg);
    struct Case {
        const char* generation_config;
        ErrorCode code;
        const char* says;
    };
    for (const Case& k : {Case{R"({"task_to_id": {"transcribe": "x"}})", ErrorCode::ModelFormat, "task_to_id"},
                          Case{R"({"eos_token_id": 99999999})", ErrorCode::ModelFormat, "eos_token_id"},
                          Case{R"({"lang_to_id": {"<|en|>": -4}})", ErrorCode::ModelFormat, "lang_to_id"},
                          Case{R"({"alignment_heads": [[9, 0]]})", ErrorCode::ModelUnsupported, "alignment head"},
                          Case{R"({"no_timestamps_token_id": 51864})", ErrorCode::ModelUnsupported, "special token id"},
                          Case{R"({"suppress_tokens": [1, "a"]})", ErrorCode::ModelFormat, "suppress_tokens"},
                          Case{"{not json", ErrorCode::ModelFormat, "not valid JSON"}}) {
        write_bytes(dir / "generation_config.json", k.generation_config);
        auto m = WhisperModel::load(dir);
        ASSERT_FALSE(m.ok()) << k.generation_config;
        EXPECT_EQ(m.error().code, k.code) << k.generation_config << ": " << m.error().message();
        EXPECT_NE(m.error().detail.find(k.says), std::string::npos) << m.error().detail;
    }
    std::filesystem::remove(dir / "generation_config.json");
    std::string typed = cfg;
    typed.replace(typed.find("\"model_type\": \"whisper\""), 23, "\"model_type\": 5");
    write_bytes(dir / "config.json", typed);
    auto m = WhisperModel::load(dir);
    ASSERT_FALSE(m.ok());
    EXPECT_NE(m.error().detail.find("not a Whisper model"), std::string::npos) << m.error().detail;
}

TEST(WhisperEncoder, BadMelAndCancel) {
    auto m = load_or_fail(tiny_dir() / "tiny-80");
    ASSERT_TRUE(m);
    auto s = session();
    std::vector<float> short_mel(80 * 100);
    auto r = m->encode(short_mel, *s, {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    std::stop_source stop;
    stop.request_stop();
    auto c = m->encode(mel_of("tiny-80"), *s, stop.get_token());
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().code, ErrorCode::Cancelled);
}

}  // namespace
}  // namespace atelier::infer::whisper::test
