// GgufValue: one GGUF metadata value (every GGUF v3 value type, arrays of any type including
// nested arrays), owned, independent of the file it came from. Used by the GGUF reader, the
// writer and anyone reading model metadata (tokenizer.ggml.tokens, <arch>.block_count, ...).
// Numeric arrays keep their little-endian element bytes (no widening), so a huge array costs no
// more memory than the file spends on it. Thread-safety: a value; const use is thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace atelier::infer {

// Our enum (Invalid = 0); gguf_type_from_wire / gguf_type_wire map to GGUF's gguf_type ids.
enum class GgufType : uint8_t { Invalid = 0, U8, I8, U16, I16, U32, I32, F32, Bool, String, Array, U64, I64, F64 };

std::optional<GgufType> gguf_type_from_wire(uint32_t id);
uint32_t gguf_type_wire(GgufType t);
const char* gguf_type_name(GgufType t);  // "u32", "string", "array", ...
size_t gguf_type_size(GgufType t);       // bytes of a scalar on disk; 0 for string/array/invalid
bool gguf_type_is_integer(GgufType t);

class GgufValue {
public:
    GgufValue() = default;

    // Scalars. make_int/make_uint/make_float fail (return Invalid) only for a non-scalar type.
    static GgufValue make_uint(GgufType type, uint64_t v);   // U8/U16/U32/U64 (truncated to width)
    static GgufValue make_int(GgufType type, int64_t v);     // I8/I16/I32/I64 (truncated to width)
    static GgufValue make_float(GgufType type, double v);    // F32 (rounded) / F64
    static GgufValue make_bool(bool v);
    static GgufValue make_string(std::string v);
    // Arrays. Numeric/bool: elements as little-endian bytes, `n` of them. Strings. Nested arrays
    // (every item an array; item types may differ, as GGUF allows).
    static GgufValue make_array_raw(GgufType elem, std::vector<uint8_t> le_bytes);
    static GgufValue make_array_strings(std::vector<std::string> items);
    static GgufValue make_array_arrays(std::vector<GgufValue> items);
    template <class T>
    static GgufValue make_array_of(GgufType elem, const std::vector<T>& items);  // T matches elem's width

    GgufType type() const { return type_; }
    GgufType elem_type() const { return elem_; }  // arrays only

    // Scalar access. as_int: any integer type (U64 above INT64_MAX -> nullopt). as_uint: any
    // integer >= 0. as_number: integers and floats. as_bool: Bool only.
    std::optional<int64_t> as_int() const;
    std::optional<uint64_t> as_uint() const;
    std::optional<double> as_number() const;
    std::optional<bool> as_bool() const;
    const std::string* as_string() const;  // nullptr unless String

    // Arrays: element count, and typed views. Return nullopt/nullptr on a type mismatch.
    size_t array_size() const;
    const std::vector<std::string>* as_strings() const;          // array of String
    const std::vector<GgufValue>* as_arrays() const;             // array of Array
    const std::vector<uint8_t>* raw_elements() const;            // array of numbers/bools (LE bytes)
    std::optional<std::vector<int64_t>> as_ints() const;          // array of integers (U64 > INT64_MAX fails)
    std::optional<std::vector<double>> as_numbers() const;        // array of integers or floats
    GgufValue element(size_t i) const;                            // one element as a scalar/array value

    // Short human form: 42, 0.5, "text", [1, 2, 3, ... (1000 items)].
    std::string to_display(size_t max_items = 8) const;

    bool operator==(const GgufValue& o) const;

private:
    static GgufValue make_integer(GgufType type, uint64_t bits);
    GgufType type_ = GgufType::Invalid;
    GgufType elem_ = GgufType::Invalid;
    uint64_t u_ = 0;  // unsigned ints, and signed ints as two's complement; bool as 0/1
    double f_ = 0.0;  // F32 (exactly representable) and F64
    std::string str_;
    std::vector<uint8_t> raw_;
    std::vector<std::string> strings_;
    std::vector<GgufValue> arrays_;
};

template <class T>
GgufValue GgufValue::make_array_of(GgufType elem, const std::vector<T>& items) {
    std::vector<uint8_t> bytes(items.size() * sizeof(T));
    for (size_t i = 0; i < items.size(); ++i)
        for (size_t b = 0; b < sizeof(T); ++b) {
            T v = items[i];
            bytes[i * sizeof(T) + b] = reinterpret_cast<const uint8_t*>(&v)[b];  // hosts are little-endian
        }
    if (gguf_type_size(elem) != sizeof(T)) return GgufValue{};
    return make_array_raw(elem, std::move(bytes));
}

}  // namespace atelier::infer
