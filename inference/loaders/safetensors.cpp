// safetensors header and index parsing (format in safetensors.h). nlohmann::json is used in its
// non-throwing mode for parsing; value access that could throw is guarded by type checks, and
// a catch at each public function keeps any exception inside this file.
#include "inference/loaders/safetensors.h"

#include <algorithm>
#include <cstring>
#include <new>

#include <nlohmann/json.hpp>

namespace atelier::infer {
namespace {

using nlohmann::json;

struct NameRow {
    const char* name;
    DType type;
};
constexpr NameRow kNames[] = {
    {"F32", DType::F32}, {"F16", DType::F16}, {"BF16", DType::BF16}, {"F64", DType::F64},
    {"I8", DType::I8},   {"I16", DType::I16}, {"I32", DType::I32},   {"I64", DType::I64},
    {"U8", DType::U8},   {"F8_E4M3", DType::F8_E4M3}, {"F8_E8M0", DType::F8_E8M0},
};

constexpr int kMaxJsonDepth = 64;

Error format_error(const std::string& label, const std::string& what, std::string hint = {}) {
    return make_error(ErrorCode::ModelFormat, label + ": " + what, std::move(hint));
}

// Deep nesting is refused before nlohmann sees it (a safetensors header nests 3 levels).
bool nesting_ok(std::string_view s) {
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < s.size(); ++i) {
        const char ch = s[i];
        if (in_string) {
            if (ch == '\\') ++i;
            else if (ch == '"') in_string = false;
        } else if (ch == '"') {
            in_string = true;
        } else if (ch == '{' || ch == '[') {
            if (++depth > kMaxJsonDepth) return false;
        } else if (ch == '}' || ch == ']') {
            --depth;
        }
    }
    return true;
}

Result<json> parse_json_object(std::string_view text, const std::string& label, const char* what) {
    if (!nesting_ok(text)) return format_error(label, std::string(what) + " nests deeper than 64 levels");
    json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return format_error(label, std::string(what) + " is not valid JSON");
    if (!j.is_object()) return format_error(label, std::string(what) + " is not a JSON object");
    return j;
}

// One tensor entry: dtype, shape, offsets (relative to the data buffer of `buffer_bytes`).
Result<SafetensorsTensorInfo> parse_entry(const std::string& name, const json& e, uint64_t data_offset,
                                          uint64_t buffer_bytes, const std::string& label) {
    const std::string what = "tensor " + name;
    if (!e.is_object()) return format_error(label, what + " is not an object (expected dtype, shape, data_offsets)");
    SafetensorsTensorInfo t;
    t.name = name;
    auto dt = e.find("dtype");
    if (dt == e.end() || !dt->is_string()) return format_error(label, what + " has no dtype string");
    const auto type = dtype_from_safetensors(dt->get_ref<const std::string&>());
    if (!type)
        return make_error(ErrorCode::ModelUnsupported, label + ": " + what + " has dtype " + dt->get<std::string>() +
                                                           ", which Atelier does not load",
                          "supported: F32 F16 BF16 F64 I8 I16 I32 I64 U8 F8_E4M3 F8_E8M0");
    t.type = *type;
    auto sh = e.find("shape");
    if (sh == e.end() || !sh->is_array()) return format_error(label, what + " has no shape array");
    if (sh->size() > 4)
        return make_error(ErrorCode::ModelUnsupported, label + ": " + what + " has " + std::to_string(sh->size()) +
                                                           " dimensions (Atelier supports up to 4)");
    t.n_dims = static_cast<int>(sh->size());
    int64_t n_elems = 1;
    for (size_t i = 0; i < sh->size(); ++i) {
        const json& d = (*sh)[i];
        if (!d.is_number_unsigned() || d.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
            return format_error(label, what + " has a shape entry that is not a non-negative integer");
        const int64_t v = static_cast<int64_t>(d.get<uint64_t>());
        // Non-zero dims only: a zero dim must not hide an overflowing product of the others.
        if (__builtin_mul_overflow(n_elems, v ? v : 1, &n_elems))
            return format_error(label, what + " has a shape whose size overflows");
        t.ne[sh->size() - 1 - i] = v;
    }
    auto row = dtype_row_bytes(t.type, t.ne[0]);
    int64_t bytes = 0;
    if (!row.ok() || __builtin_mul_overflow(*row, t.ne[1] * t.ne[2] * t.ne[3], &bytes))
        return format_error(label, what + " has a shape whose byte size overflows");
    t.size_bytes = static_cast<uint64_t>(bytes);
    auto off = e.find("data_offsets");
    if (off == e.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned())
        return format_error(label, what + " has no data_offsets [begin, end] of non-negative integers");
    const uint64_t begin = (*off)[0].get<uint64_t>(), end = (*off)[1].get<uint64_t>();
    if (end < begin || end - begin != t.size_bytes)
        return format_error(label, what + " has data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                                       "] but its dtype " + dt->get<std::string>() + " and shape need " +
                                       std::to_string(t.size_bytes) + " bytes");
    if (end > buffer_bytes)
        return make_error(ErrorCode::ModelTruncated,
                          label + ": model file truncated? " + what + " needs bytes " + std::to_string(data_offset + begin) +
                              ".." + std::to_string(data_offset + end) + " but the file has " +
                              std::to_string(data_offset + buffer_bytes),
                          "the download may be incomplete: fetch the file again");
    t.file_offset = data_offset + begin;
    return t;
}

Status check_overlaps(const std::vector<SafetensorsTensorInfo>& tensors, const std::string& label) {
    std::vector<const SafetensorsTensorInfo*> order;
    for (const auto& t : tensors)
        if (t.size_bytes) order.push_back(&t);
    std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->file_offset < b->file_offset; });
    for (size_t i = 1; i < order.size(); ++i)
        if (order[i - 1]->file_offset + order[i - 1]->size_bytes > order[i]->file_offset)
            return format_error(label, "tensors " + order[i - 1]->name + " and " + order[i]->name + " overlap");
    return ok_status();
}

Result<SafetensorsHeader> parse_header_json(const json& j, uint64_t data_offset, uint64_t buffer_bytes,
                                            const std::string& label) {
    SafetensorsHeader h;
    h.data_offset = data_offset;
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (it.key() == "__metadata__") {
            if (!it->is_object()) return format_error(label, "__metadata__ is not an object");
            for (auto m = it->begin(); m != it->end(); ++m)
                h.metadata[m.key()] = m->is_string() ? m->get<std::string>() : m->dump();
            continue;
        }
        ATELIER_TRY_ASSIGN(auto t, parse_entry(it.key(), *it, data_offset, buffer_bytes, label));
        h.tensors.push_back(std::move(t));  // the json object iterates keys sorted: tensors come out sorted
    }
    ATELIER_TRY(check_overlaps(h.tensors, label));
    return h;
}

}  // namespace

std::optional<DType> dtype_from_safetensors(std::string_view name) {
    for (const auto& r : kNames)
        if (name == r.name) return r.type;
    return std::nullopt;
}

const char* dtype_safetensors_name(DType t) {
    for (const auto& r : kNames)
        if (r.type == t) return r.name;
    return nullptr;
}

Result<SafetensorsHeader> parse_safetensors(const uint8_t* data, uint64_t size, const std::string& label) {
    try {
        if (size < 8)
            return make_error(ErrorCode::ModelTruncated,
                              label + ": model file truncated? a safetensors file starts with an 8-byte header length but the file has " +
                                  std::to_string(size) + " bytes");
        uint64_t n = 0;
        std::memcpy(&n, data, 8);
        if (n > kSafetensorsMaxHeaderBytes)
            return format_error(label, "the header length is " + std::to_string(n) + " bytes (expected at most " +
                                           std::to_string(kSafetensorsMaxHeaderBytes) + "): not a safetensors file?");
        if (n > size - 8)
            return make_error(ErrorCode::ModelTruncated, label + ": model file truncated? the JSON header needs bytes 8.." +
                                                             std::to_string(8 + n) + " but the file has " + std::to_string(size),
                              "the download may be incomplete: fetch the file again");
        const std::string_view text(reinterpret_cast<const char*>(data) + 8, n);
        ATELIER_TRY_ASSIGN(json j, parse_json_object(text, label, "the safetensors header"));
        return parse_header_json(j, 8 + n, size - 8 - n, label);
    } catch (const std::bad_alloc&) {
        return make_error(ErrorCode::OutOfMemory, label + ": out of memory while reading the safetensors header");
    } catch (const std::exception& e) {
        return format_error(label, std::string("bad safetensors header: ") + e.what());
    }
}

Result<SafetensorsIndex> parse_safetensors_index(std::string_view text, const std::string& label) {
    try {
        ATELIER_TRY_ASSIGN(json j, parse_json_object(text, label, "the shard index"));
        auto wm = j.find("weight_map");
        if (wm == j.end() || !wm->is_object())
            return format_error(label, "the shard index has no \"weight_map\" object (tensor name -> shard file)");
        SafetensorsIndex idx;
        for (auto it = wm->begin(); it != wm->end(); ++it) {
            if (!it->is_string()) return format_error(label, "weight_map entry " + it.key() + " is not a file name");
            const std::string& shard = it->get_ref<const std::string&>();
            if (shard.empty() || shard == "." || shard == ".." || shard.find('/') != std::string::npos ||
                shard.find('\\') != std::string::npos || shard.find('\0') != std::string::npos)
                return format_error(label, "weight_map entry " + it.key() + " names shard '" + shard +
                                               "' (expected a file name in the same folder)");
            idx.weight_map[it.key()] = shard;
            idx.shards.push_back(shard);
        }
        std::sort(idx.shards.begin(), idx.shards.end());
        idx.shards.erase(std::unique(idx.shards.begin(), idx.shards.end()), idx.shards.end());
        return idx;
    } catch (const std::bad_alloc&) {
        return make_error(ErrorCode::OutOfMemory, label + ": out of memory while reading the shard index");
    } catch (const std::exception& e) {
        return format_error(label, std::string("bad shard index: ") + e.what());
    }
}

}  // namespace atelier::infer
