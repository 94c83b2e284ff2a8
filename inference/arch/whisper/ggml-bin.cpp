// whisper.cpp's ggml .bin reader: magic 0x67676d6c, eleven int32 hyper-parameters, the mel filter
// bank (int32 n_mel, int32 n_fft, f32 values), the byte vocabulary (int32 count, then int32 length
// + bytes per token), then tensors until the end of the file (int32 n_dims, int32 name length,
// int32 ggml type, int32 ne[n_dims] innermost first, the name, the data, unpadded). Facts read
// from whisper.cpp's models/convert-pt-to-ggml.py and whisper_model_load; no code copied.
// Every count and size is checked against the file before use. Thread-safety: pure function.
#include <cstring>

#include "inference/arch/whisper/whisper-internal.h"

namespace atelier::infer::whisper {
namespace {

constexpr uint32_t kGgmlMagic = 0x67676d6c;

class Cursor {
public:
    Cursor(const MappedFile& f) : p_(f.data()), end_(f.data() + f.size()), label_(f.path().string()) {}
    uint64_t left() const { return static_cast<uint64_t>(end_ - p_); }
    uint64_t offset(const MappedFile& f) const { return static_cast<uint64_t>(p_ - f.data()); }
    Result<int32_t> i32(const char* what) {
        if (left() < 4) return truncated(what);
        int32_t v;
        std::memcpy(&v, p_, 4);
        p_ += 4;
        return v;
    }
    Result<const uint8_t*> bytes(uint64_t n, const char* what) {
        if (left() < n) return truncated(what);
        const uint8_t* at = p_;
        p_ += n;
        return at;
    }
    Error truncated(const std::string& what) const {
        return make_error(ErrorCode::ModelTruncated, label_ + ": the file ends inside " + what,
                          "the download or copy was cut short; fetch the model again");
    }
    const std::string& label() const { return label_; }

private:
    const uint8_t* p_;
    const uint8_t* end_;
    std::string label_;
};

// whisper.cpp (openai) tensor name -> the canonical HF name (without "model.").
std::string canonical_name(std::string n) {
    auto rep = [&](const std::string& a, const std::string& b) {
        for (size_t pos = n.find(a); pos != std::string::npos; pos = n.find(a, pos + b.size())) n.replace(pos, a.size(), b);
    };
    if (n == "encoder.positional_embedding") return "encoder.embed_positions.weight";
    if (n == "decoder.positional_embedding") return "decoder.embed_positions.weight";
    if (n == "decoder.token_embedding.weight") return "decoder.embed_tokens.weight";
    rep("encoder.ln_post.", "encoder.layer_norm.");
    rep("decoder.ln.", "decoder.layer_norm.");
    rep(".blocks.", ".layers.");
    rep(".cross_attn_ln.", ".encoder_attn_layer_norm.");
    rep(".attn_ln.", ".self_attn_layer_norm.");
    rep(".mlp_ln.", ".final_layer_norm.");
    rep(".cross_attn.", ".encoder_attn.");
    rep(".attn.", ".self_attn.");
    rep(".query.", ".q_proj.");
    rep(".key.", ".k_proj.");
    rep(".value.", ".v_proj.");
    rep(".out.", ".out_proj.");
    rep(".mlp.0.", ".fc1.");
    rep(".mlp.2.", ".fc2.");
    return n;
}

Status read_tensor(Cursor& c, const MappedFile& f, RawModel& raw) {
    ATELIER_TRY_ASSIGN(int32_t n_dims, c.i32("a tensor header"));
    ATELIER_TRY_ASSIGN(int32_t name_len, c.i32("a tensor header"));
    ATELIER_TRY_ASSIGN(int32_t ttype, c.i32("a tensor header"));
    if (n_dims < 1 || n_dims > kMaxDims || name_len < 1 || name_len > 512)
        return make_error(ErrorCode::ModelFormat,
                          c.label() + ": bad tensor header at byte " + std::to_string(c.offset(f) - 12) + " (dims " +
                              std::to_string(n_dims) + ", name length " + std::to_string(name_len) + ")",
                          "the file is damaged or not a whisper.cpp model");
    Tensor t;
    t.n_dims = n_dims;
    for (int i = 0; i < n_dims; ++i) {
        ATELIER_TRY_ASSIGN(int32_t ne, c.i32("a tensor shape"));
        if (ne <= 0) return make_error(ErrorCode::ModelFormat, c.label() + ": a tensor has a dimension of " + std::to_string(ne));
        t.ne[static_cast<size_t>(i)] = ne;
    }
    ATELIER_TRY_ASSIGN(const uint8_t* name, c.bytes(static_cast<uint64_t>(name_len), "a tensor name"));
    t.name.assign(reinterpret_cast<const char*>(name), static_cast<size_t>(name_len));
    auto dt = dtype_from_gguf(static_cast<uint32_t>(ttype));
    if (!dt || *dt == DType::F64 || *dt == DType::I8 || *dt == DType::I16 || *dt == DType::I32 || *dt == DType::I64)
        return make_error(ErrorCode::ModelUnsupported,
                          c.label() + ": tensor " + t.name + " has ggml type " + std::to_string(ttype) + ", which the engine does not read",
                          "use an f16, f32 or q8_0 whisper.cpp file (or the HF safetensors folder)");
    t.type = *dt;
    auto row = dtype_row_bytes(t.type, t.ne[0]);
    if (!row) return make_error(ErrorCode::ModelFormat, c.label() + ": tensor " + t.name + ": " + row.error().detail);
    t.nb[0] = dtype_traits(t.type).block_bytes;
    t.nb[1] = *row;
    // Strides and size with overflow checks: the dims come from the file (up to 2^31 each).
    for (int i = 2; i < kMaxDims; ++i)
        if (__builtin_mul_overflow(t.nb[static_cast<size_t>(i) - 1], t.ne[static_cast<size_t>(i) - 1], &t.nb[static_cast<size_t>(i)]))
            return make_error(ErrorCode::ModelFormat, c.label() + ": tensor " + t.name + " is larger than any file can hold",
                              "the file is damaged; download the model again");
    uint64_t size = 0;
    if (t.nb[3] < 0 || __builtin_mul_overflow(static_cast<uint64_t>(t.nb[3]), static_cast<uint64_t>(t.ne[3]), &size))
        return make_error(ErrorCode::ModelFormat, c.label() + ": tensor " + t.name + " is larger than any file can hold",
                          "the file is damaged; download the model again");
    ATELIER_TRY_ASSIGN(const uint8_t* data, c.bytes(size, ("the data of tensor " + t.name).c_str()));
    t.data = const_cast<uint8_t*>(data);
    const std::string key = canonical_name(t.name);
    if (!raw.tensors.emplace(key, std::move(t)).second)
        return make_error(ErrorCode::ModelFormat, c.label() + ": tensor " + key + " appears twice", "the file is damaged");
    return ok_status();
}

}  // namespace

Result<RawModel> read_ggml_bin(const std::filesystem::path& path, const LoadOptions& options) {
    ATELIER_TRY_ASSIGN(auto file, MappedFile::open(path));
    RawModel raw;
    raw.label = path.string();
    raw.bin = file;
    raw.from_ggml = true;
    Cursor c(*file);
    ATELIER_TRY_ASSIGN(int32_t magic, c.i32("the header"));
    if (static_cast<uint32_t>(magic) != kGgmlMagic)
        return make_error(ErrorCode::ModelFormat, raw.label + ": not a whisper.cpp ggml file (bad magic)",
                          "use a ggml-*.bin from whisper.cpp or an openai/whisper-* folder");
    for (int& h : raw.ggml_hparams) {
        ATELIER_TRY_ASSIGN(h, c.i32("the header"));
    }
    ATELIER_TRY_ASSIGN(int32_t n_mel, c.i32("the mel filters"));
    ATELIER_TRY_ASSIGN(int32_t n_fft, c.i32("the mel filters"));
    if (n_mel <= 0 || n_fft <= 0 || n_mel > 1024 || n_fft > 65536)
        return make_error(ErrorCode::ModelFormat, raw.label + ": bad mel filter bank size " + std::to_string(n_mel) + " x " + std::to_string(n_fft));
    ATELIER_TRY(c.bytes(static_cast<uint64_t>(n_mel) * static_cast<uint64_t>(n_fft) * 4, "the mel filters"));
    ATELIER_TRY_ASSIGN(int32_t n_words, c.i32("the vocabulary"));
    if (n_words < 0 || n_words > (1 << 20)) return make_error(ErrorCode::ModelFormat, raw.label + ": bad vocabulary size " + std::to_string(n_words));
    raw.ggml_vocab.reserve(static_cast<size_t>(n_words));
    for (int32_t i = 0; i < n_words; ++i) {
        ATELIER_TRY_ASSIGN(int32_t len, c.i32("the vocabulary"));
        if (len < 0 || len > 4096) return make_error(ErrorCode::ModelFormat, raw.label + ": vocabulary entry " + std::to_string(i) + " has length " + std::to_string(len));
        ATELIER_TRY_ASSIGN(const uint8_t* w, c.bytes(static_cast<uint64_t>(len), "the vocabulary"));
        raw.ggml_vocab.emplace_back(reinterpret_cast<const char*>(w), static_cast<size_t>(len));
    }
    while (c.left() > 0) {
        if (options.stop.stop_requested()) return make_error(ErrorCode::Cancelled, raw.label + ": loading cancelled");
        ATELIER_TRY(read_tensor(c, *file, raw));
    }
    for (auto& [name, t] : raw.tensors) t.storage = std::shared_ptr<void>(file, const_cast<uint8_t*>(file->data()));
    return raw;
}

}  // namespace atelier::infer::whisper
