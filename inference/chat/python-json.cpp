// Python-style JSON output (python-json.h). Numbers use nlohmann's shortest round-trip form,
// which matches Python's repr for the values JSON parsing yields (1.0, 1e-05, 1e+16).
// Thread-safety: pure functions.
#include "inference/chat/python-json.h"

namespace atelier::infer {

namespace {

void append(const ojson& v, std::string& out) {
    if (v.is_object()) {
        out += '{';
        bool first = true;
        for (const auto& [k, item] : v.items()) {
            if (!first) out += ", ";
            first = false;
            python_json_string(k, out);
            out += ": ";
            append(item, out);
        }
        out += '}';
    } else if (v.is_array()) {
        out += '[';
        for (size_t i = 0; i < v.size(); ++i) {
            if (i) out += ", ";
            append(v[i], out);
        }
        out += ']';
    } else if (v.is_string()) {
        python_json_string(v.get_ref<const std::string&>(), out);
    } else {
        out += v.dump();  // numbers, true, false, null: no strings, so dump cannot throw
    }
}

}  // namespace

void python_json_string(std::string_view s, std::string& out) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out += kHex[c >> 4];
                    out += kHex[c & 15];
                } else {
                    out += ch;
                }
        }
    }
    out += '"';
}

std::string python_json(const ojson& value) {
    std::string s;
    append(value, s);
    return s;
}

std::optional<ojson> parse_json_ordered(std::string_view text) {
    ojson v = ojson::parse(text, nullptr, /*allow_exceptions=*/false);
    if (v.is_discarded()) return std::nullopt;
    return v;
}

}  // namespace atelier::infer
