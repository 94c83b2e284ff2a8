// load_model: detects the format, maps every file once, validates the headers (loaders/), and
// builds tensor views into the mappings (no tensor bytes are read). Also the Model accessors and
// the summary the memory plan works from.
#include "inference/model.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <span>
#include <sstream>

#include "inference/loaders/gguf.h"
#include "inference/loaders/safetensors.h"

namespace atelier::infer {
namespace fs = std::filesystem;
using nlohmann::json;

// Small text files beside a model (config.json etc.) larger than this are refused: real ones are
// well under 50 MB (a 256k-vocab tokenizer.json is ~20 MB).
constexpr uint64_t kMaxSidecarBytes = 256ull << 20;

struct ModelBuilder {
    std::shared_ptr<Model> m{new Model()};
    const LoadOptions& opts;
    size_t placed = 0, total = 0;
    static constexpr double kReadShare = 0.9;  // of the progress, when files are read into RAM
    double read_share = 0.0;                   // kReadShare once a file was read, else 0

    explicit ModelBuilder(const LoadOptions& o) : opts(o) {}

    // One tensor view over `file`; checks stop and reports progress.
    Status place(const std::shared_ptr<const MappedFile>& file, std::string name, DType type, int n_dims,
                 const std::array<int64_t, 4>& ne, uint64_t file_offset) {
        if (opts.stop.stop_requested())
            return make_error(ErrorCode::Cancelled, "loading " + file->path().string() + " was cancelled");
        Tensor t;
        t.name = std::move(name);
        t.type = type;
        t.n_dims = n_dims;
        t.ne = ne;
        t.nb[0] = dtype_traits(type).block_bytes;
        t.nb[1] = dtype_row_bytes(type, ne[0]).value_or(0);  // validated by the loader
        // The loaders check the tensor's total size, but a zero dimension makes that 0 while the
        // strides of the dimensions before it can still overflow.
        for (size_t d = 2; d < 4; ++d)
            if (__builtin_mul_overflow(t.nb[d - 1], ne[d - 1], &t.nb[d]))
                return make_error(ErrorCode::ModelFormat,
                                  file->path().string() + ": tensor " + t.name + " has dimensions whose strides overflow",
                                  "the file is damaged; download the model again");
        t.data = const_cast<uint8_t*>(file->data()) + file_offset;  // read-only mapping: kernels never write weights
        t.storage = std::shared_ptr<void>(file, const_cast<uint8_t*>(file->data()));
        ++placed;
        if (opts.progress)
            opts.progress(read_share + (1.0 - read_share) * (total ? static_cast<double>(placed) / static_cast<double>(total) : 1.0),
                          t.name);
        m->tensors_.push_back(std::move(t));
        return ok_status();
    }

    Result<std::shared_ptr<const MappedFile>> map(const fs::path& path) {
        ATELIER_TRY_ASSIGN(auto f, MappedFile::open(path));
        m->files_.push_back(path);
        m->mappings_.push_back(f);
        return f;
    }

    // After the headers are validated from the mappings: reads the files LoadOptions::residency
    // wants in RAM and puts the resident copies in their place (same bytes, same offsets). Auto
    // decides file by file on what is already resident, so a sharded model that outgrows the
    // budget keeps its remaining shards mapped.
    Status hold(std::span<std::shared_ptr<const MappedFile>* const> files) {
        if (opts.residency == Residency::Mapped) return ok_status();
        std::vector<bool> want(files.size());
        uint64_t planned = 0;
        const uint64_t available = system_info().available_ram_bytes;
        const bool huge = transparent_huge_pages_available();
        for (size_t i = 0; i < files.size(); ++i) {
            const uint64_t bytes = (*files[i])->size();
            want[i] = opts.residency == Residency::Resident || auto_resident(planned, bytes, available, huge);
            if (want[i]) planned += bytes;
        }
        if (opts.residency == Residency::Resident && planned > available)  // asked for, cannot be had
            return make_error(ErrorCode::OutOfMemory,
                              "the model's files (" + std::to_string(planned >> 20) + " MiB) do not fit in the " +
                                  std::to_string(available >> 20) + " MiB of memory available",
                              "load it mapped (--weights mapped or auto), or close other programs");
        uint64_t read_before = 0;
        for (size_t i = 0; i < files.size(); ++i) {
            if (!want[i]) continue;
            const std::shared_ptr<const MappedFile> mapped = *files[i];
            OpenFileOptions o;
            o.resident = true;
            o.stop = opts.stop;
            const std::string shown = mapped->path().filename().string();
            if (opts.progress)
                o.progress = [&](uint64_t done, uint64_t) {
                    opts.progress(kReadShare * static_cast<double>(read_before + done) / static_cast<double>(planned), shown);
                };
            ATELIER_TRY_ASSIGN(auto held, MappedFile::open(mapped->path(), o));
            if (held->size() != mapped->size())
                return make_error(ErrorCode::IoError,
                                  mapped->path().string() + " changed size while loading (" + std::to_string(mapped->size()) +
                                      " -> " + std::to_string(held->size()) + " bytes)",
                                  "something is writing the file; wait until it is done and load it again");
            std::replace(m->mappings_.begin(), m->mappings_.end(), mapped, held);
            *files[i] = std::move(held);
            read_before += mapped->size();
        }
        read_share = planned ? kReadShare : 0.0;
        return ok_status();
    }

    Status load_gguf(const fs::path& path) {
        ATELIER_TRY_ASSIGN(auto f, map(path));
        ATELIER_TRY_ASSIGN(GgufHeader h, parse_gguf(f->data(), f->size(), path.string()));
        std::shared_ptr<const MappedFile>* one[1] = {&f};
        ATELIER_TRY(hold(one));
        m->format_ = ModelFormat::Gguf;
        total = h.tensors.size();
        for (auto& t : h.tensors) ATELIER_TRY(place(f, std::move(t.name), t.type, t.n_dims, t.ne, t.file_offset));
        m->gguf_metadata_ = std::move(h.metadata);
        if (const GgufValue* a = m->gguf_value("general.architecture"); a && a->as_string())
            m->architecture_ = *a->as_string();
        return ok_status();
    }

    // Maps and validates each file; with an index, also checks every listed tensor is in its shard.
    Status load_safetensors(const fs::path& dir, const std::vector<std::string>& names, const SafetensorsIndex* index,
                            const fs::path& index_path) {
        m->format_ = ModelFormat::Safetensors;
        std::vector<std::pair<std::shared_ptr<const MappedFile>, SafetensorsHeader>> parsed;
        for (const auto& name : names) {
            const fs::path p = dir / name;
            std::error_code ec;
            if (index && !fs::exists(p, ec))
                return make_error(ErrorCode::ModelTruncated,
                                  index_path.string() + ": shard " + name + " is listed in the index but " + p.string() +
                                      " does not exist",
                                  "the download may be incomplete: fetch the missing shard");
            ATELIER_TRY_ASSIGN(auto f, map(p));
            ATELIER_TRY_ASSIGN(auto h, parse_safetensors(f->data(), f->size(), p.string()));
            total += h.tensors.size();
            for (auto& [k, v] : h.metadata) m->st_metadata_[k] = v;
            parsed.emplace_back(std::move(f), std::move(h));
        }
        std::vector<std::shared_ptr<const MappedFile>*> files;
        for (auto& [f, h] : parsed) files.push_back(&f);
        ATELIER_TRY(hold(files));
        std::map<std::string, std::string> owner;  // tensor -> shard it was found in
        for (auto& [f, h] : parsed)
            for (auto& t : h.tensors) {
                const std::string shard = f->path().filename().string();
                if (auto [it, fresh] = owner.emplace(t.name, shard); !fresh)
                    return make_error(ErrorCode::ModelFormat, f->path().string() + ": tensor " + t.name +
                                                                  " is also in " + it->second + " (names must be unique)");
                ATELIER_TRY(place(f, std::move(t.name), t.type, t.n_dims, t.ne, t.file_offset));
            }
        if (index)
            for (const auto& [tensor, shard] : index->weight_map) {
                auto it = owner.find(tensor);
                if (it == owner.end() || it->second != shard)
                    return make_error(ErrorCode::ModelTruncated,
                                      index_path.string() + ": tensor " + tensor + " is listed in shard " + shard +
                                          (it == owner.end() ? " but no shard contains it" : " but is in " + it->second),
                                      "the shard may be incomplete or from another model: fetch the model again");
            }
        return ok_status();
    }

    Status read_sidecars(const fs::path& dir);
    void finish() {
        std::sort(m->tensors_.begin(), m->tensors_.end(), [](const Tensor& x, const Tensor& y) { return x.name < y.name; });
    }
    Status load_dir(const fs::path& dir);
    Status load_path(const fs::path& path);
};

namespace {

Result<std::string> read_small_file(const fs::path& p) {
    std::error_code ec;
    const auto size = fs::file_size(p, ec);
    if (ec) return make_error(ErrorCode::IoError, "cannot read " + p.string() + ": " + ec.message());
    if (size > kMaxSidecarBytes)
        return make_error(ErrorCode::ModelFormat, p.string() + " is " + std::to_string(size) + " bytes (expected at most " +
                                                      std::to_string(kMaxSidecarBytes) + ")");
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (!in && !in.eof()) return make_error(ErrorCode::IoError, "cannot read " + p.string());
    return ss.str();
}

Result<json> read_json_file(const fs::path& p) {
    ATELIER_TRY_ASSIGN(std::string text, read_small_file(p));
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object())
        return make_error(ErrorCode::ModelFormat, p.string() + " is not a JSON object", "fetch the model again");
    return j;
}

std::vector<std::string> files_with_extension(const fs::path& dir, const char* ext) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.is_regular_file(ec) && e.path().extension() == ext) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

bool looks_like_safetensors(const MappedFile& f) {
    return f.size() >= 9 && f.data()[8] == '{';
}

}  // namespace

Status ModelBuilder::read_sidecars(const fs::path& dir) {
    std::error_code ec;
    if (fs::exists(dir / "config.json", ec)) {
        ATELIER_TRY_ASSIGN(json c, read_json_file(dir / "config.json"));
        if (auto mt = c.find("model_type"); mt != c.end() && mt->is_string()) m->architecture_ = mt->get<std::string>();
        else if (auto ar = c.find("architectures"); ar != c.end() && ar->is_array() && !ar->empty() && (*ar)[0].is_string())
            m->architecture_ = (*ar)[0].get<std::string>();
        m->config_ = std::move(c);
    }
    if (fs::exists(dir / "tokenizer_config.json", ec)) {
        ATELIER_TRY_ASSIGN(json c, read_json_file(dir / "tokenizer_config.json"));
        m->tokenizer_config_ = std::move(c);
    }
    if (fs::exists(dir / "tokenizer.json", ec)) {
        ATELIER_TRY_ASSIGN(m->tokenizer_json_, read_small_file(dir / "tokenizer.json"));
    }
    return ok_status();
}

Status ModelBuilder::load_dir(const fs::path& dir) {
    std::error_code ec;
    const fs::path index_path = dir / "model.safetensors.index.json";
    if (fs::exists(index_path, ec)) {
        ATELIER_TRY_ASSIGN(std::string text, read_small_file(index_path));
        ATELIER_TRY_ASSIGN(SafetensorsIndex index, parse_safetensors_index(text, index_path.string()));
        ATELIER_TRY(load_safetensors(dir, index.shards, &index, index_path));
        return read_sidecars(dir);
    }
    if (auto st = files_with_extension(dir, ".safetensors"); !st.empty()) {
        ATELIER_TRY(load_safetensors(dir, st, nullptr, {}));
        return read_sidecars(dir);
    }
    const auto gg = files_with_extension(dir, ".gguf");
    if (gg.size() == 1) return load_gguf(dir / gg[0]);
    if (gg.size() > 1)
        return make_error(ErrorCode::InvalidArgument, dir.string() + " holds several GGUF files", "give one of them");
    return make_error(ErrorCode::NotFound, dir.string() + " holds no model (expected .gguf or .safetensors files)",
                      "give a model file or its folder");
}

Status ModelBuilder::load_path(const fs::path& path) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) return load_dir(path);
    if (path.filename() == "model.safetensors.index.json") return load_dir(path.parent_path());
    if (path.extension() == ".gguf") return load_gguf(path);
    if (path.extension() == ".safetensors") {
        ATELIER_TRY(load_safetensors(path.parent_path().empty() ? "." : path.parent_path(),
                                     {path.filename().string()}, nullptr, {}));
        return read_sidecars(path.parent_path().empty() ? "." : path.parent_path());
    }
    ATELIER_TRY_ASSIGN(auto probe, MappedFile::open(path));  // sniff an unnamed file
    if (looks_like_gguf(probe->data(), probe->size())) return load_gguf(path);
    if (looks_like_safetensors(*probe)) return load_safetensors(path.parent_path().empty() ? "." : path.parent_path(),
                                                                {path.filename().string()}, nullptr, {});
    return make_error(ErrorCode::ModelFormat,
                      path.string() + " is neither GGUF (magic \"GGUF\") nor safetensors (length + JSON header)",
                      "give a .gguf or .safetensors model file");
}

Result<std::shared_ptr<const Model>> load_model(const fs::path& path, const LoadOptions& options) {
    try {
        ModelBuilder b(options);
        ATELIER_TRY(b.load_path(path));
        b.finish();
        return std::shared_ptr<const Model>(std::move(b.m));
    } catch (const std::bad_alloc&) {
        return make_error(ErrorCode::OutOfMemory, "out of memory while loading " + path.string(), "close other programs");
    } catch (const std::exception& e) {
        return make_error(ErrorCode::Internal, "loading " + path.string() + ": " + e.what());
    }
}

const char* model_format_name(ModelFormat f) {
    switch (f) {
        case ModelFormat::Gguf: return "gguf";
        case ModelFormat::Safetensors: return "safetensors";
        default: return "invalid";
    }
}

const Tensor* Model::find_tensor(std::string_view name) const {
    auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name, [](const Tensor& t, std::string_view n) { return t.name < n; });
    return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

int64_t Model::parameter_count() const {
    int64_t n = 0;
    for (const auto& t : tensors_) n += t.n_elements();
    return n;
}

uint64_t Model::resident_bytes() const {
    uint64_t n = 0;
    for (const auto& f : mappings_)
        if (f->resident()) n += f->size();
    return n;
}

namespace {
const MappedFile* file_holding(const std::vector<std::shared_ptr<const MappedFile>>& files, const void* data, uint64_t bytes) {
    const auto* p = static_cast<const uint8_t*>(data);
    for (const auto& f : files)
        if (f->data() && p >= f->data() && p + bytes <= f->data() + f->size()) return f.get();
    return nullptr;
}
}  // namespace

bool Model::is_resident(const Tensor& t) const {
    const MappedFile* f = file_holding(mappings_, t.data, static_cast<uint64_t>(t.n_bytes()));
    return f && f->resident();
}

void Model::release_resident(const void* data, uint64_t bytes) const {
    const MappedFile* f = file_holding(mappings_, data, bytes);
    if (!f || !f->resident()) return;
    released_.store(true, std::memory_order_release);
    f->release(static_cast<uint64_t>(static_cast<const uint8_t*>(data) - f->data()), bytes);
}

uint64_t Model::total_bytes() const {
    uint64_t n = 0;
    for (const auto& t : tensors_) n += static_cast<uint64_t>(t.n_bytes());
    return n;
}

std::map<DType, uint64_t> Model::bytes_by_type() const {
    std::map<DType, uint64_t> out;
    for (const auto& t : tensors_) out[t.type] += static_cast<uint64_t>(t.n_bytes());
    return out;
}

const GgufValue* Model::gguf_value(std::string_view key) const {
    for (const auto& [k, v] : gguf_metadata_)
        if (k == key) return &v;
    return nullptr;
}

std::optional<int64_t> Model::hparam(std::string_view gguf_suffix, std::initializer_list<std::string_view> config_keys) const {
    if (format_ == ModelFormat::Gguf) {
        const GgufValue* v = gguf_value(architecture_ + "." + std::string(gguf_suffix));
        if (!v) return std::nullopt;
        if (auto i = v->as_int()) return i;
        if (auto arr = v->as_ints(); arr && !arr->empty()) return *std::max_element(arr->begin(), arr->end());  // per-layer
        return std::nullopt;
    }
    if (!config_) return std::nullopt;
    for (const json* c : {&*config_, config_->contains("text_config") ? &(*config_)["text_config"] : nullptr}) {
        if (!c || !c->is_object()) continue;
        for (std::string_view key : config_keys)
            if (auto it = c->find(std::string(key)); it != c->end() && it->is_number_integer()) return it->get<int64_t>();
    }
    return std::nullopt;
}

ModelSummary Model::summary() const {
    ModelSummary s;
    s.architecture = architecture_;
    s.n_tensors = static_cast<int64_t>(tensors_.size());
    s.n_params = parameter_count();
    for (const auto& t : tensors_) {
        const auto b = static_cast<uint64_t>(t.n_bytes());
        s.weight_bytes += b;
        if (is_routed_expert_tensor(t.name)) s.expert_bytes += b;
    }
    auto get = [&](std::string_view suffix, std::initializer_list<std::string_view> keys) { return hparam(suffix, keys).value_or(0); };
    s.n_layer = get("block_count", {"num_hidden_layers", "n_layer", "num_layers"});
    s.n_embd = get("embedding_length", {"hidden_size", "n_embd", "d_model"});
    s.n_head = get("attention.head_count", {"num_attention_heads", "n_head"});
    s.n_head_kv = get("attention.head_count_kv", {"num_key_value_heads"});
    s.n_embd_head_k = get("attention.key_length", {"head_dim"});
    s.n_embd_head_v = get("attention.value_length", {"v_head_dim", "head_dim"});
    s.kv_lora_rank = get("attention.kv_lora_rank", {"kv_lora_rank"});
    s.n_rot = get("rope.dimension_count", {"qk_rope_head_dim"});
    s.n_expert = get("expert_count", {"n_routed_experts", "num_local_experts", "num_experts"});
    s.n_expert_used = get("expert_used_count", {"num_experts_per_tok"});
    s.n_vocab = get("vocab_size", {"vocab_size"});
    if (const GgufValue* toks = gguf_value("tokenizer.ggml.tokens"); toks && s.n_vocab == 0)
        s.n_vocab = static_cast<int64_t>(toks->array_size());
    s.n_ctx_train = get("context_length", {"max_position_embeddings"});
    return s;
}

}  // namespace atelier::infer
