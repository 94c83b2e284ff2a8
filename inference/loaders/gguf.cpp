// GGUF header parser (format in gguf.h). A Cursor reads with bounds checks; failures throw a
// private ParseFailure that parse_gguf turns into a Result at its boundary (exceptions never
// leave this file). Nothing is reserved from a count read out of the file: vectors grow as
// elements are actually read, after checking that enough bytes remain for them.
#include "inference/loaders/gguf.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <unordered_set>

namespace atelier::infer {
namespace {

struct ParseFailure {
    Error error;
};

class Cursor {
public:
    Cursor(const uint8_t* data, uint64_t size, const std::string& label) : data_(data), size_(size), label_(label) {}

    uint64_t pos() const { return pos_; }
    uint64_t left() const { return size_ - pos_; }
    const std::string& label() const { return label_; }

    [[noreturn]] void fail(ErrorCode code, const std::string& what, std::string hint = {}) const {
        throw ParseFailure{make_error(code, label_ + ": " + what, std::move(hint))};
    }
    [[noreturn]] void truncated(const std::string& what, uint64_t n) const {
        fail(ErrorCode::ModelTruncated,
             "model file truncated? " + what + " needs bytes " + std::to_string(pos_) + ".." + range_end(n) +
                 " but the file has " + std::to_string(size_),
             "the download may be incomplete: fetch the file again");
    }

    const uint8_t* take(uint64_t n, const std::string& what) {
        if (n > left()) truncated(what, n);
        const uint8_t* p = data_ + pos_;
        pos_ += n;
        return p;
    }
    template <class T>
    T read(const std::string& what) {
        T v;
        std::memcpy(&v, take(sizeof(T), what), sizeof(T));
        return v;
    }
    std::string string(const std::string& what) {
        const uint64_t n = read<uint64_t>(what + " (length)");
        if (n > left()) truncated(what + " (a string of " + std::to_string(n) + " bytes)", n);
        const uint8_t* p = take(n, what);
        return std::string(reinterpret_cast<const char*>(p), n);
    }

private:
    std::string range_end(uint64_t n) const {
        uint64_t end = 0;
        return __builtin_add_overflow(pos_, n, &end) ? "(beyond 2^64)" : std::to_string(end);
    }
    const uint8_t* data_;
    uint64_t size_;
    uint64_t pos_ = 0;
    const std::string& label_;
};

GgufType read_type(Cursor& c, const std::string& what) {
    const uint32_t id = c.read<uint32_t>(what + " (value type)");
    auto t = gguf_type_from_wire(id);
    if (!t) c.fail(ErrorCode::ModelFormat, what + " has unknown value type " + std::to_string(id) + " (expected 0..12)");
    return *t;
}

GgufValue read_value(Cursor& c, GgufType type, int depth, const std::string& what);

GgufValue read_array(Cursor& c, int depth, const std::string& what) {
    if (depth >= kGgufMaxArrayDepth)
        c.fail(ErrorCode::ModelUnsupported, what + " nests arrays deeper than " + std::to_string(kGgufMaxArrayDepth));
    const GgufType elem = read_type(c, what + " (array element type)");
    const uint64_t n = c.read<uint64_t>(what + " (array length)");
    if (const size_t es = gguf_type_size(elem)) {
        uint64_t bytes = 0;
        if (__builtin_mul_overflow(n, es, &bytes) || bytes > c.left())
            c.truncated(what + " (an array of " + std::to_string(n) + " " + gguf_type_name(elem) + ")",
                        __builtin_mul_overflow(n, es, &bytes) ? UINT64_MAX : bytes);
        const uint8_t* p = c.take(bytes, what);
        return GgufValue::make_array_raw(elem, std::vector<uint8_t>(p, p + bytes));
    }
    // Strings need >= 8 bytes each, nested arrays >= 12: refuse counts the file cannot hold.
    const uint64_t min_each = elem == GgufType::String ? 8 : 12;
    if (n > c.left() / min_each)
        c.truncated(what + " (an array of " + std::to_string(n) + " " + gguf_type_name(elem) + "s)",
                    n > UINT64_MAX / min_each ? UINT64_MAX : n * min_each);
    if (elem == GgufType::String) {
        std::vector<std::string> items;
        for (uint64_t i = 0; i < n; ++i) items.push_back(c.string(what + "[" + std::to_string(i) + "]"));
        return GgufValue::make_array_strings(std::move(items));
    }
    std::vector<GgufValue> items;
    for (uint64_t i = 0; i < n; ++i) items.push_back(read_array(c, depth + 1, what + "[" + std::to_string(i) + "]"));
    return GgufValue::make_array_arrays(std::move(items));
}

GgufValue read_value(Cursor& c, GgufType type, int depth, const std::string& what) {
    switch (type) {
        case GgufType::String: return GgufValue::make_string(c.string(what));
        case GgufType::Array: return read_array(c, depth, what);
        case GgufType::Bool: return GgufValue::make_bool(c.read<uint8_t>(what) != 0);
        case GgufType::F32: return GgufValue::make_float(type, c.read<float>(what));
        case GgufType::F64: return GgufValue::make_float(type, c.read<double>(what));
        case GgufType::I8: return GgufValue::make_int(type, c.read<int8_t>(what));
        case GgufType::I16: return GgufValue::make_int(type, c.read<int16_t>(what));
        case GgufType::I32: return GgufValue::make_int(type, c.read<int32_t>(what));
        case GgufType::I64: return GgufValue::make_int(type, c.read<int64_t>(what));
        case GgufType::U8: return GgufValue::make_uint(type, c.read<uint8_t>(what));
        case GgufType::U16: return GgufValue::make_uint(type, c.read<uint16_t>(what));
        case GgufType::U32: return GgufValue::make_uint(type, c.read<uint32_t>(what));
        case GgufType::U64: return GgufValue::make_uint(type, c.read<uint64_t>(what));
        default: c.fail(ErrorCode::ModelFormat, what + " has an invalid value type");
    }
}

void read_version_and_counts(Cursor& c, GgufHeader& h, uint64_t& n_tensors, uint64_t& n_kv) {
    if (c.left() < 4 || c.read<uint32_t>("magic") != kGgufMagic)
        c.fail(ErrorCode::ModelFormat, "not a GGUF file (expected the magic bytes \"GGUF\" at offset 0)",
               "give a .gguf model file, or a folder of .safetensors files");
    h.version = c.read<uint32_t>("version");
    const uint32_t swapped = __builtin_bswap32(h.version);
    if (h.version == 0 || (h.version > 0xFFFF && swapped >= 1 && swapped <= 3))
        c.fail(ErrorCode::ModelUnsupported, "big-endian GGUF files are not supported",
               "convert the model to a little-endian GGUF");
    if (h.version == 1)
        c.fail(ErrorCode::ModelUnsupported, "GGUF v1 is not supported (expected v2 or v3)", "convert the model again");
    if (h.version > 3)
        c.fail(ErrorCode::ModelUnsupported, "GGUF version " + std::to_string(h.version) + " is newer than v3",
               "update Atelier");
    n_tensors = c.read<uint64_t>("tensor count");
    n_kv = c.read<uint64_t>("metadata count");
    // Each key/value needs >= 13 bytes (8 key length + 4 type + 1 value); each tensor info >= 24.
    auto check = [&](uint64_t n, uint64_t min_each, const char* what) {
        if (n <= c.left() / min_each) return;
        c.fail(ErrorCode::ModelTruncated,
               "model file truncated? the header declares " + std::to_string(n) + " " + what + " (at least " +
                   std::to_string(min_each) + " bytes each from offset " + std::to_string(c.pos()) +
                   ") but the file has " + std::to_string(c.pos() + c.left()),
               "the download may be incomplete, or this is not a model file");
    };
    check(n_kv, 13, "metadata entries");
    check(n_tensors, 24, "tensor infos");
}

void read_metadata(Cursor& c, GgufHeader& h, uint64_t n_kv) {
    std::unordered_set<std::string> seen;
    for (uint64_t i = 0; i < n_kv; ++i) {
        std::string key = c.string("metadata key #" + std::to_string(i));
        const std::string what = "metadata '" + key + "'";
        if (!seen.insert(key).second) c.fail(ErrorCode::ModelFormat, what + " appears twice (keys must be unique)");
        const GgufType t = read_type(c, what);
        GgufValue v = read_value(c, t, 0, what);
        h.metadata.emplace_back(std::move(key), std::move(v));
    }
    if (const GgufValue* a = h.find("general.alignment")) {
        const auto v = a->as_uint();
        if (!v || *v == 0 || (*v & (*v - 1)) != 0 || *v > (1u << 30))
            c.fail(ErrorCode::ModelFormat, "general.alignment is " + a->to_display() +
                                               " (expected a power of two, an unsigned integer up to 2^30)");
        h.alignment = *v;
    }
}

void read_tensor_info(Cursor& c, GgufTensorInfo& t, uint64_t index) {
    t.name = c.string("tensor info #" + std::to_string(index) + " (name)");
    const std::string what = "tensor " + t.name;
    const uint32_t n_dims = c.read<uint32_t>(what + " (n_dims)");
    if (n_dims > 4) c.fail(ErrorCode::ModelFormat, what + " has " + std::to_string(n_dims) + " dimensions (expected at most 4)");
    t.n_dims = static_cast<int>(n_dims);
    // The product of the non-zero dims must fit: then every partial product of ne fits too
    // (a zero dim would otherwise hide an overflowing product of the others).
    int64_t n_elems = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
        const uint64_t ne = c.read<uint64_t>(what + " (shape)");
        const int64_t factor = ne ? static_cast<int64_t>(ne) : 1;
        if (ne > static_cast<uint64_t>(INT64_MAX) || __builtin_mul_overflow(n_elems, factor, &n_elems))
            c.fail(ErrorCode::ModelFormat, what + " has an impossible shape (its element count overflows)");
        t.ne[d] = static_cast<int64_t>(ne);
    }
    const uint32_t type_id = c.read<uint32_t>(what + " (type)");
    auto type = dtype_from_gguf(type_id);
    if (!type)
        c.fail(ErrorCode::ModelUnsupported, what + " has tensor type id " + std::to_string(type_id) + ", which Atelier does not support",
               "use a model quantised to a supported type (f32, f16, bf16, q8_0, q2_K..q6_K, iq2_xxs, iq3_xxs, mxfp4)");
    t.type = *type;
    t.offset = c.read<uint64_t>(what + " (offset)");
    auto row = dtype_row_bytes(t.type, t.ne[0]);
    if (!row.ok())
        c.fail(ErrorCode::ModelFormat, what + " has " + std::to_string(t.ne[0]) + " values per row, not a whole number of " +
                                           dtype_name(t.type) + " blocks of " + std::to_string(dtype_traits(t.type).block_elems));
    int64_t bytes = 0;
    if (__builtin_mul_overflow(*row, t.ne[1] * t.ne[2] * t.ne[3] /* fits: see above */, &bytes))
        c.fail(ErrorCode::ModelFormat, what + " has an impossible size (overflows)");
    t.size_bytes = static_cast<uint64_t>(bytes);
}

void place_tensors(Cursor& c, GgufHeader& h) {
    const uint64_t a = h.alignment;
    if (__builtin_add_overflow(c.pos(), a - 1, &h.data_offset)) c.fail(ErrorCode::ModelFormat, "header size overflows");
    h.data_offset = h.data_offset / a * a;
    for (auto& t : h.tensors) {
        if (t.offset % a != 0)
            c.fail(ErrorCode::ModelFormat, "tensor " + t.name + " starts at data offset " + std::to_string(t.offset) +
                                               ", which is not a multiple of the alignment " + std::to_string(a));
        uint64_t end = 0;
        if (__builtin_add_overflow(h.data_offset, t.offset, &t.file_offset) ||
            __builtin_add_overflow(t.file_offset, t.size_bytes, &end) || end > h.file_size)
            c.fail(ErrorCode::ModelTruncated,
                   "model file truncated? tensor " + t.name + " needs bytes " + std::to_string(t.file_offset) + ".." +
                       (end >= t.file_offset ? std::to_string(end) : std::string("(beyond 2^64)")) + " but the file has " +
                       std::to_string(h.file_size),
                   "the download may be incomplete: fetch the file again");
    }
    std::vector<const GgufTensorInfo*> order;
    for (const auto& t : h.tensors)
        if (t.size_bytes) order.push_back(&t);
    std::sort(order.begin(), order.end(), [](auto* x, auto* y) { return x->file_offset < y->file_offset; });
    for (size_t i = 1; i < order.size(); ++i)
        if (order[i - 1]->file_offset + order[i - 1]->size_bytes > order[i]->file_offset)
            c.fail(ErrorCode::ModelFormat, "tensors " + order[i - 1]->name + " and " + order[i]->name +
                                               " overlap (bytes " + std::to_string(order[i]->file_offset) + ".." +
                                               std::to_string(order[i - 1]->file_offset + order[i - 1]->size_bytes) + ")");
}

}  // namespace

const GgufValue* GgufHeader::find(std::string_view key) const {
    for (const auto& [k, v] : metadata)
        if (k == key) return &v;
    return nullptr;
}

bool looks_like_gguf(const uint8_t* data, uint64_t size) {
    uint32_t magic = 0;
    if (size < 4) return false;
    std::memcpy(&magic, data, 4);
    return magic == kGgufMagic;
}

Result<GgufHeader> parse_gguf(const uint8_t* data, uint64_t size, const std::string& file_label) {
    try {
        Cursor c(data, size, file_label);
        GgufHeader h;
        h.file_size = size;
        uint64_t n_tensors = 0, n_kv = 0;
        read_version_and_counts(c, h, n_tensors, n_kv);
        read_metadata(c, h, n_kv);
        std::unordered_set<std::string> names;
        for (uint64_t i = 0; i < n_tensors; ++i) {
            GgufTensorInfo t;
            read_tensor_info(c, t, i);
            if (!names.insert(t.name).second) c.fail(ErrorCode::ModelFormat, "tensor " + t.name + " appears twice (names must be unique)");
            h.tensors.push_back(std::move(t));
        }
        if (n_tensors > 0) place_tensors(c, h);
        else h.data_offset = c.pos();
        return h;
    } catch (const ParseFailure& f) {
        return f.error;
    } catch (const std::bad_alloc&) {
        return make_error(ErrorCode::OutOfMemory, file_label + ": out of memory while reading the GGUF header",
                          "close other programs");
    }
}

}  // namespace atelier::infer
