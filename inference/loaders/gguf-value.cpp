// GgufValue: construction, typed access and display. Element bytes are little-endian; the engine
// only runs on little-endian hosts (static_assert below).
#include "inference/loaders/gguf-value.h"

#include <bit>
#include <cmath>
#include <cstring>

namespace atelier::infer {
namespace {

static_assert(std::endian::native == std::endian::little, "GGUF element bytes are read in place as little-endian");

struct TypeRow {
    GgufType type;
    uint32_t wire;
    const char* name;
    size_t size;
};
// GGUF v3 gguf_type ids (GGUF specification, "gguf_metadata_value_type").
constexpr TypeRow kTypes[] = {
    {GgufType::U8, 0, "u8", 1},     {GgufType::I8, 1, "i8", 1},          {GgufType::U16, 2, "u16", 2},
    {GgufType::I16, 3, "i16", 2},   {GgufType::U32, 4, "u32", 4},        {GgufType::I32, 5, "i32", 4},
    {GgufType::F32, 6, "f32", 4},   {GgufType::Bool, 7, "bool", 1},      {GgufType::String, 8, "string", 0},
    {GgufType::Array, 9, "array", 0}, {GgufType::U64, 10, "u64", 8},     {GgufType::I64, 11, "i64", 8},
    {GgufType::F64, 12, "f64", 8},
};

const TypeRow* row_of(GgufType t) {
    for (const auto& r : kTypes)
        if (r.type == t) return &r;
    return nullptr;
}

bool is_signed(GgufType t) { return t == GgufType::I8 || t == GgufType::I16 || t == GgufType::I32 || t == GgufType::I64; }

// Sign-extends (signed types) or zero-extends a raw element of `t` read from `p`.
uint64_t load_bits(GgufType t, const uint8_t* p) {
    switch (t) {
        case GgufType::U8: case GgufType::Bool: return p[0];
        case GgufType::I8: return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(p[0])));
        case GgufType::U16: { uint16_t v; std::memcpy(&v, p, 2); return v; }
        case GgufType::I16: { int16_t v; std::memcpy(&v, p, 2); return static_cast<uint64_t>(static_cast<int64_t>(v)); }
        case GgufType::U32: { uint32_t v; std::memcpy(&v, p, 4); return v; }
        case GgufType::I32: { int32_t v; std::memcpy(&v, p, 4); return static_cast<uint64_t>(static_cast<int64_t>(v)); }
        case GgufType::U64: case GgufType::I64: { uint64_t v; std::memcpy(&v, p, 8); return v; }
        default: return 0;
    }
}

double load_float(GgufType t, const uint8_t* p) {
    if (t == GgufType::F32) { float v; std::memcpy(&v, p, 4); return v; }
    double v;
    std::memcpy(&v, p, 8);
    return v;
}

std::string number_text(double v) {
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

}  // namespace

std::optional<GgufType> gguf_type_from_wire(uint32_t id) {
    for (const auto& r : kTypes)
        if (r.wire == id) return r.type;
    return std::nullopt;
}
uint32_t gguf_type_wire(GgufType t) { const TypeRow* r = row_of(t); return r ? r->wire : UINT32_MAX; }
const char* gguf_type_name(GgufType t) { const TypeRow* r = row_of(t); return r ? r->name : "invalid"; }
size_t gguf_type_size(GgufType t) { const TypeRow* r = row_of(t); return r ? r->size : 0; }
bool gguf_type_is_integer(GgufType t) {
    return t == GgufType::U8 || t == GgufType::I8 || t == GgufType::U16 || t == GgufType::I16 || t == GgufType::U32 ||
           t == GgufType::I32 || t == GgufType::U64 || t == GgufType::I64;
}

GgufValue GgufValue::make_uint(GgufType type, uint64_t v) {
    return gguf_type_is_integer(type) && !is_signed(type) ? make_integer(type, v) : GgufValue{};
}

GgufValue GgufValue::make_int(GgufType type, int64_t v) {
    return is_signed(type) ? make_integer(type, static_cast<uint64_t>(v)) : GgufValue{};
}

GgufValue GgufValue::make_integer(GgufType type, uint64_t bits) {
    GgufValue r;
    r.type_ = type;
    uint8_t bytes[8];
    std::memcpy(bytes, &bits, 8);
    r.u_ = load_bits(type, bytes);  // truncates to the width, sign-extends signed types
    return r;
}

GgufValue GgufValue::make_float(GgufType type, double v) {
    GgufValue r;
    if (type != GgufType::F32 && type != GgufType::F64) return r;
    r.type_ = type;
    r.f_ = type == GgufType::F32 ? static_cast<double>(static_cast<float>(v)) : v;
    return r;
}

GgufValue GgufValue::make_bool(bool v) {
    GgufValue r;
    r.type_ = GgufType::Bool;
    r.u_ = v ? 1 : 0;
    return r;
}

GgufValue GgufValue::make_string(std::string v) {
    GgufValue r;
    r.type_ = GgufType::String;
    r.str_ = std::move(v);
    return r;
}

GgufValue GgufValue::make_array_raw(GgufType elem, std::vector<uint8_t> le_bytes) {
    GgufValue r;
    const size_t es = gguf_type_size(elem);
    if (es == 0 || le_bytes.size() % es != 0) return r;
    r.type_ = GgufType::Array;
    r.elem_ = elem;
    r.raw_ = std::move(le_bytes);
    return r;
}

GgufValue GgufValue::make_array_strings(std::vector<std::string> items) {
    GgufValue r;
    r.type_ = GgufType::Array;
    r.elem_ = GgufType::String;
    r.strings_ = std::move(items);
    return r;
}

GgufValue GgufValue::make_array_arrays(std::vector<GgufValue> items) {
    GgufValue r;
    for (const auto& it : items)
        if (it.type_ != GgufType::Array) return r;
    r.type_ = GgufType::Array;
    r.elem_ = GgufType::Array;
    r.arrays_ = std::move(items);
    return r;
}

std::optional<int64_t> GgufValue::as_int() const {
    if (!gguf_type_is_integer(type_)) return std::nullopt;
    if (type_ == GgufType::U64 && u_ > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(u_);
}

std::optional<uint64_t> GgufValue::as_uint() const {
    if (!gguf_type_is_integer(type_)) return std::nullopt;
    if (is_signed(type_) && static_cast<int64_t>(u_) < 0) return std::nullopt;
    return u_;
}

std::optional<double> GgufValue::as_number() const {
    if (type_ == GgufType::F32 || type_ == GgufType::F64) return f_;
    if (!gguf_type_is_integer(type_)) return std::nullopt;
    return is_signed(type_) ? static_cast<double>(static_cast<int64_t>(u_)) : static_cast<double>(u_);
}

std::optional<bool> GgufValue::as_bool() const {
    if (type_ != GgufType::Bool) return std::nullopt;
    return u_ != 0;
}

const std::string* GgufValue::as_string() const { return type_ == GgufType::String ? &str_ : nullptr; }

size_t GgufValue::array_size() const {
    if (type_ != GgufType::Array) return 0;
    if (elem_ == GgufType::String) return strings_.size();
    if (elem_ == GgufType::Array) return arrays_.size();
    const size_t es = gguf_type_size(elem_);
    return es ? raw_.size() / es : 0;
}

const std::vector<std::string>* GgufValue::as_strings() const {
    return type_ == GgufType::Array && elem_ == GgufType::String ? &strings_ : nullptr;
}
const std::vector<GgufValue>* GgufValue::as_arrays() const {
    return type_ == GgufType::Array && elem_ == GgufType::Array ? &arrays_ : nullptr;
}
const std::vector<uint8_t>* GgufValue::raw_elements() const {
    return type_ == GgufType::Array && gguf_type_size(elem_) ? &raw_ : nullptr;
}

GgufValue GgufValue::element(size_t i) const {
    if (type_ != GgufType::Array || i >= array_size()) return GgufValue{};
    if (elem_ == GgufType::String) return make_string(strings_[i]);
    if (elem_ == GgufType::Array) return arrays_[i];
    GgufValue r;
    r.type_ = elem_;
    const uint8_t* p = raw_.data() + i * gguf_type_size(elem_);
    if (elem_ == GgufType::F32 || elem_ == GgufType::F64) r.f_ = load_float(elem_, p);
    else r.u_ = load_bits(elem_, p);
    return r;
}

std::optional<std::vector<int64_t>> GgufValue::as_ints() const {
    if (type_ != GgufType::Array || !gguf_type_is_integer(elem_)) return std::nullopt;
    std::vector<int64_t> out;
    const size_t es = gguf_type_size(elem_), n = array_size();
    out.reserve(n);  // n is bounded by bytes we already hold
    for (size_t i = 0; i < n; ++i) {
        const uint64_t b = load_bits(elem_, raw_.data() + i * es);
        if (elem_ == GgufType::U64 && b > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
        out.push_back(static_cast<int64_t>(b));
    }
    return out;
}

std::optional<std::vector<double>> GgufValue::as_numbers() const {
    if (type_ != GgufType::Array || gguf_type_size(elem_) == 0 || elem_ == GgufType::Bool) return std::nullopt;
    std::vector<double> out;
    const size_t n = array_size();
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) out.push_back(*element(i).as_number());
    return out;
}

std::string GgufValue::to_display(size_t max_items) const {
    switch (type_) {
        case GgufType::Invalid: return "<invalid>";
        case GgufType::Bool: return u_ ? "true" : "false";
        case GgufType::String: {
            std::string s = str_.size() > 80 ? str_.substr(0, 80) + "..." : str_;
            return "\"" + s + "\"";
        }
        case GgufType::Array: {
            const size_t n = array_size();
            std::string s = "[";
            for (size_t i = 0; i < n && i < max_items; ++i) s += (i ? ", " : "") + element(i).to_display(max_items);
            if (n > max_items) s += ", ... (" + std::to_string(n) + " items)";
            return s + "]";
        }
        default: return number_text(*as_number());
    }
}

bool GgufValue::operator==(const GgufValue& o) const {
    if (type_ != o.type_ || elem_ != o.elem_ || str_ != o.str_ || raw_ != o.raw_ || strings_ != o.strings_ ||
        arrays_ != o.arrays_)
        return false;
    if (type_ == GgufType::F32 || type_ == GgufType::F64)
        return std::memcmp(&f_, &o.f_, sizeof f_) == 0;  // bitwise: NaN equals itself
    return u_ == o.u_;
}

}  // namespace atelier::infer
