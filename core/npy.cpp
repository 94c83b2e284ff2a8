// .npy reading and writing (see npy.h). The header is a Python dict literal; we parse the subset
// NumPy writes (quoted strings, True/False, tuples of integers) and reject anything else.
// Invariant: a parsed NpyArray's byte count always equals n_elements * item bytes.
// Thread-safety: pure functions; NpyRowWriter is single-threaded.
#include "core/npy.h"

#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>

namespace atelier {
namespace {

static_assert(std::endian::native == std::endian::little, "npy I/O assumes a little-endian host");

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

Error bad(std::string_view label, const std::string& what) {
    return make_error(ErrorCode::InvalidArgument, std::string(label) + ": not a valid .npy file: " + what,
                      "write it with numpy.save (or atelier's npy writer)");
}

// A cursor over the header text.
struct Cursor {
    std::string_view s;
    size_t i = 0;
    void ws() {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    }
    bool eat(char c) {
        ws();
        if (i < s.size() && s[i] == c) {
            ++i;
            return true;
        }
        return false;
    }
    std::optional<std::string> str() {
        ws();
        if (i >= s.size() || (s[i] != '\'' && s[i] != '"')) return std::nullopt;
        const char q = s[i++];
        const size_t end = s.find(q, i);
        if (end == std::string_view::npos) return std::nullopt;
        std::string out(s.substr(i, end - i));
        i = end + 1;
        return out;
    }
    std::optional<bool> boolean() {
        ws();
        if (s.substr(i, 4) == "True") return i += 4, true;
        if (s.substr(i, 5) == "False") return i += 5, false;
        return std::nullopt;
    }
    std::optional<int64_t> integer() {
        ws();
        size_t j = i;
        int64_t v = 0;
        while (j < s.size() && s[j] >= '0' && s[j] <= '9') {
            if (v > (std::numeric_limits<int64_t>::max() - 9) / 10) return std::nullopt;
            v = v * 10 + (s[j] - '0');
            ++j;
        }
        if (j == i) return std::nullopt;
        if (j < s.size() && s[j] == 'L') ++j;  // Python 2 longs in old files
        i = j;
        return v;
    }
    // "(a, b, ...)" with an optional trailing comma; "()" is a scalar.
    std::optional<std::vector<int64_t>> tuple() {
        if (!eat('(')) return std::nullopt;
        std::vector<int64_t> out;
        if (eat(')')) return out;
        for (;;) {
            auto v = integer();
            if (!v) return std::nullopt;
            out.push_back(*v);
            const bool comma = eat(',');
            if (eat(')')) {
                if (out.size() == 1 && !comma) return std::nullopt;  // "(3)" is not a tuple
                return out;
            }
            if (!comma) return std::nullopt;
        }
    }
};

NpyType type_from_descr(std::string_view d) {
    for (NpyType t : {NpyType::F32, NpyType::F64, NpyType::I32, NpyType::I64, NpyType::U16})
        if (d == npy_descr(t)) return t;
    return NpyType::Invalid;
}

struct Header {
    NpyType type = NpyType::Invalid;
    std::vector<int64_t> shape;
};

Result<Header> parse_header(std::string_view h, std::string_view label) {
    if (h.empty() || h.back() != '\n') return bad(label, "the header does not end with a newline");
    Cursor c{h.substr(0, h.size() - 1)};
    if (!c.eat('{')) return bad(label, "the header is not a dict");
    Header out;
    bool seen_descr = false, seen_order = false, seen_shape = false;
    while (!c.eat('}')) {
        auto key = c.str();
        if (!key || !c.eat(':')) return bad(label, "malformed header dict near byte " + std::to_string(c.i));
        if (*key == "descr" && !seen_descr) {
            auto d = c.str();
            if (!d) return bad(label, "descr is not a string");
            out.type = type_from_descr(*d);
            if (out.type == NpyType::Invalid)
                return make_error(ErrorCode::Unsupported, std::string(label) + ": .npy dtype '" + *d + "' is not supported",
                                  "save as little-endian float32, float64, int32, int64 or uint16");
            seen_descr = true;
        } else if (*key == "fortran_order" && !seen_order) {
            auto f = c.boolean();
            if (!f) return bad(label, "fortran_order is not True or False");
            if (*f)
                return make_error(ErrorCode::Unsupported, std::string(label) + ": Fortran-order .npy arrays are not supported",
                                  "save a C-order array (numpy.ascontiguousarray)");
            seen_order = true;
        } else if (*key == "shape" && !seen_shape) {
            auto s = c.tuple();
            if (!s) return bad(label, "shape is not a tuple of non-negative integers");
            out.shape = std::move(*s);
            seen_shape = true;
        } else {
            return bad(label, "unexpected or repeated header key '" + *key + "'");
        }
        if (!c.eat(',')) {
            if (!c.eat('}')) return bad(label, "expected ',' or '}' in the header");
            break;
        }
    }
    c.ws();
    if (c.i != c.s.size()) return bad(label, "unexpected text after the header dict");
    if (!seen_descr || !seen_order || !seen_shape) return bad(label, "the header lacks descr, fortran_order or shape");
    return out;
}

std::string header_text(NpyType type, std::span<const int64_t> shape, size_t min_len = 0) {
    std::string s = "{'descr': '";
    s += npy_descr(type);
    s += "', 'fortran_order': False, 'shape': (";
    for (size_t i = 0; i < shape.size(); ++i) {
        s += std::to_string(shape[i]);
        if (shape.size() == 1 || i + 1 < shape.size()) s += shape.size() == 1 ? "," : ", ";
    }
    s += "), }";
    const size_t prefix = kMagicLen + 2 + 2;  // magic, version, u16 length (version 1.0)
    size_t total = prefix + s.size() + 1;
    if (total < min_len) total = min_len;
    total = (total + 63) / 64 * 64;
    s.append(total - prefix - s.size() - 1, ' ');
    s += '\n';
    return s;
}

Result<int64_t> element_count(std::span<const int64_t> shape) {
    int64_t n = 1;
    for (int64_t d : shape) {
        if (d < 0) return make_error(ErrorCode::InvalidArgument, "npy: negative dimension");
        if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
            return make_error(ErrorCode::InvalidArgument, "npy: shape overflows");
        n *= d;
    }
    return n;
}

Error io_error(const std::filesystem::path& p, const char* what) {
    const int err = errno;
    return make_error(err == ENOENT ? ErrorCode::NotFound : ErrorCode::IoError,
                      std::string("cannot ") + what + " " + p.string() + ": " + std::strerror(err),
                      "check the path and its permissions");
}

}  // namespace

const char* npy_descr(NpyType t) {
    switch (t) {
        case NpyType::F32: return "<f4";
        case NpyType::F64: return "<f8";
        case NpyType::I32: return "<i4";
        case NpyType::I64: return "<i8";
        case NpyType::U16: return "<u2";
        default: return "";
    }
}

size_t npy_item_bytes(NpyType t) {
    switch (t) {
        case NpyType::F32: case NpyType::I32: return 4;
        case NpyType::F64: case NpyType::I64: return 8;
        case NpyType::U16: return 2;
        default: return 0;
    }
}

int64_t NpyArray::n_elements() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

namespace {
template <class T>
std::span<const T> typed(const NpyArray& a, NpyType want) {
    if (a.type != want) return {};
    return {reinterpret_cast<const T*>(a.bytes.data()), a.bytes.size() / sizeof(T)};
}
}  // namespace

std::span<const float> NpyArray::f32() const { return typed<float>(*this, NpyType::F32); }
std::span<const double> NpyArray::f64() const { return typed<double>(*this, NpyType::F64); }
std::span<const int32_t> NpyArray::i32() const { return typed<int32_t>(*this, NpyType::I32); }
std::span<const int64_t> NpyArray::i64() const { return typed<int64_t>(*this, NpyType::I64); }
std::span<const uint16_t> NpyArray::u16() const { return typed<uint16_t>(*this, NpyType::U16); }

Result<NpyArray> parse_npy(std::span<const uint8_t> file, std::string_view label) {
    if (file.size() < kMagicLen + 4 || std::memcmp(file.data(), kMagic, kMagicLen) != 0)
        return bad(label, "no \\x93NUMPY magic");
    const uint8_t major = file[6], minor = file[7];
    if (major < 1 || major > 3 || minor != 0)
        return make_error(ErrorCode::Unsupported, std::string(label) + ": .npy format version " + std::to_string(major) +
                                                      "." + std::to_string(minor) + " is not supported",
                          "save with numpy (format 1.0, 2.0 or 3.0)");
    size_t pos = 8, hlen = 0;
    if (major == 1) {
        hlen = file[8] | (size_t{file[9]} << 8);
        pos = 10;
    } else {
        if (file.size() < 12) return bad(label, "truncated header length");
        hlen = file[8] | (size_t{file[9]} << 8) | (size_t{file[10]} << 16) | (size_t{file[11]} << 24);
        pos = 12;
    }
    if (hlen > file.size() - pos) return bad(label, "the header runs past the end of the file");
    const std::string_view htext(reinterpret_cast<const char*>(file.data() + pos), hlen);
    ATELIER_TRY_ASSIGN(Header h, parse_header(htext, label));
    pos += hlen;
    auto n = element_count(h.shape);
    if (!n.ok()) return bad(label, n.error().detail);
    const size_t item = npy_item_bytes(h.type);
    if (static_cast<uint64_t>(*n) > (std::numeric_limits<uint64_t>::max() / item))
        return bad(label, "the shape is too large");
    const uint64_t want = static_cast<uint64_t>(*n) * item;
    const uint64_t have = file.size() - pos;
    if (have != want)
        return bad(label, "the shape needs " + std::to_string(want) + " data bytes but the file holds " + std::to_string(have));
    NpyArray out;
    out.type = h.type;
    out.shape = std::move(h.shape);
    out.bytes.assign(file.begin() + static_cast<std::ptrdiff_t>(pos), file.end());
    return out;
}

Result<NpyArray> read_npy(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return io_error(path, "open");
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return io_error(path, "read");
    return parse_npy(bytes, path.string());
}

Result<std::vector<uint8_t>> encode_npy(NpyType type, std::span<const int64_t> shape, const void* data) {
    if (npy_item_bytes(type) == 0) return make_error(ErrorCode::InvalidArgument, "npy: invalid element type");
    ATELIER_TRY_ASSIGN(const int64_t n, element_count(shape));
    const std::string h = header_text(type, shape);
    if (h.size() > 65535) return make_error(ErrorCode::InvalidArgument, "npy: too many dimensions for a header");
    const size_t data_bytes = static_cast<size_t>(n) * npy_item_bytes(type);
    std::vector<uint8_t> out;
    out.reserve(kMagicLen + 4 + h.size() + data_bytes);
    out.insert(out.end(), kMagic, kMagic + kMagicLen);
    out.push_back(1);
    out.push_back(0);
    out.push_back(static_cast<uint8_t>(h.size() & 0xFF));
    out.push_back(static_cast<uint8_t>(h.size() >> 8));
    out.insert(out.end(), h.begin(), h.end());
    if (data_bytes) {
        if (!data) return make_error(ErrorCode::InvalidArgument, "npy: null data for a non-empty array");
        const auto* p = static_cast<const uint8_t*>(data);
        out.insert(out.end(), p, p + data_bytes);
    }
    return out;
}

Status write_npy(const std::filesystem::path& path, NpyType type, std::span<const int64_t> shape, const void* data) {
    ATELIER_TRY_ASSIGN(const std::vector<uint8_t> bytes, encode_npy(type, shape, data));
    std::filesystem::path tmp = path;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) return io_error(tmp, "create");
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        if (!out) return io_error(tmp, "write");
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec)
        return make_error(ErrorCode::IoError, "cannot rename " + tmp.string() + " to " + path.string() + ": " + ec.message(),
                          "check the folder's permissions");
    return ok_status();
}

// ---- NpyRowWriter ----

namespace {
// Every header of this writer has the length of the widest possible row count, so finish() can
// rewrite it in place.
std::string row_header(NpyType type, int64_t rows, const std::vector<int64_t>& row_shape) {
    std::vector<int64_t> widest{std::numeric_limits<int64_t>::max()};
    widest.insert(widest.end(), row_shape.begin(), row_shape.end());
    const size_t len = kMagicLen + 4 + header_text(type, widest).size();
    std::vector<int64_t> shape{rows};
    shape.insert(shape.end(), row_shape.begin(), row_shape.end());
    return header_text(type, shape, len);
}

Status write_header(FILE* f, const std::filesystem::path& path, NpyType type, int64_t rows,
                    const std::vector<int64_t>& row_shape) {
    const std::string h = row_header(type, rows, row_shape);
    const uint8_t pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<uint8_t>(h.size() & 0xFF),
                             static_cast<uint8_t>(h.size() >> 8)};
    if (std::fseek(f, 0, SEEK_SET) != 0 || std::fwrite(pre, 1, sizeof pre, f) != sizeof pre ||
        std::fwrite(h.data(), 1, h.size(), f) != h.size())
        return io_error(path, "write");
    return ok_status();
}
}  // namespace

Result<std::unique_ptr<NpyRowWriter>> NpyRowWriter::create(const std::filesystem::path& path, NpyType type,
                                                           std::vector<int64_t> row_shape) {
    if (npy_item_bytes(type) == 0) return make_error(ErrorCode::InvalidArgument, "npy: invalid element type");
    ATELIER_TRY(element_count(row_shape));
    std::unique_ptr<NpyRowWriter> w(new NpyRowWriter());
    w->path_ = path;
    w->type_ = type;
    w->row_shape_ = std::move(row_shape);
    w->f_ = std::fopen(path.c_str(), "wb");
    if (!w->f_) return io_error(path, "create");
    ATELIER_TRY(write_header(w->f_, path, type, 0, w->row_shape_));
    return w;
}

NpyRowWriter::~NpyRowWriter() { (void)finish(); }

int64_t NpyRowWriter::row_elements() const {
    int64_t n = 1;
    for (int64_t d : row_shape_) n *= d;
    return n;
}

Status NpyRowWriter::append(const void* row) {
    if (!f_) return make_error(ErrorCode::InvalidArgument, "npy: append after finish on " + path_.string());
    const size_t bytes = static_cast<size_t>(row_elements()) * npy_item_bytes(type_);
    if (std::fseek(f_, 0, SEEK_END) != 0 || std::fwrite(row, 1, bytes, f_) != bytes) return io_error(path_, "write");
    ++rows_;
    return ok_status();
}

Status NpyRowWriter::append(std::span<const float> row) {
    if (type_ != NpyType::F32 || static_cast<int64_t>(row.size()) != row_elements())
        return make_error(ErrorCode::InvalidArgument,
                          "npy: row of " + std::to_string(row.size()) + " floats for " + path_.string() + ", expected " +
                              std::to_string(row_elements()) + (type_ == NpyType::F32 ? "" : " (the file is not float32)"));
    return append(static_cast<const void*>(row.data()));
}

Status NpyRowWriter::finish() {
    if (!f_) return ok_status();
    Status s = write_header(f_, path_, type_, rows_, row_shape_);
    if (std::fclose(f_) != 0 && s.ok()) s = io_error(path_, "close");
    f_ = nullptr;
    return s;
}

}  // namespace atelier
