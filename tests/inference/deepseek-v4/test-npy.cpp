// core/npy: our writer's files load in NumPy with the same values, NumPy's files load in our
// reader (every supported dtype, 0-d, 1-d, empty), the row writer's final shape, and strict header
// validation (each malformed or unsupported header is a clear error, never a crash).
// Thread-safety: test code, main thread.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "core/npy.h"
#include "../loaders/loader-test-util.h"

namespace atelier {
namespace {
namespace fs = std::filesystem;
using infer::test::run_capture;
using infer::test::temp_dir;
using infer::test::venv_python;
using infer::test::venv_python_present;

std::string py(const std::string& code) {
    int rc = 0;
    const std::string out = run_capture(venv_python() + " -c \"" + code + "\" 2>&1", &rc);
    EXPECT_EQ(rc, 0) << out;
    return out;
}

TEST(Npy, OurF32FileLoadsInNumpyWithTheSameValues) {
    ASSERT_TRUE(venv_python_present()) << "run tools/setup-venv (the .venv is part of the dev setup)";
    const fs::path dir = temp_dir("npy-ours");
    std::vector<float> v(3 * 5);
    for (size_t i = 0; i < v.size(); ++i) v[i] = std::ldexp(static_cast<float>(i) - 7.25f, static_cast<int>(i) - 6);
    const int64_t shape[] = {3, 5};
    ASSERT_TRUE(write_npy(dir / "a.npy", shape, v).ok());
    const std::string out = py("import numpy as n; a=n.load('" + (dir / "a.npy").string() +
                               "'); print(a.dtype, a.shape, a.flags.c_contiguous); print(' '.join(float(x).hex() for x in a.ravel()))");
    std::string want = "float32 (3, 5) True\n";
    for (size_t i = 0; i < v.size(); ++i) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.13a", static_cast<double>(v[i]));
        want += (i ? " " : "") + std::string(buf);
    }
    // Python's float.hex and C's %.13a agree on normal doubles ("0x1.8000000000000p+3").
    EXPECT_EQ(out, want + "\n");
}

TEST(Npy, NumpyFilesOfEveryTypeLoad) {
    ASSERT_TRUE(venv_python_present());
    const fs::path dir = temp_dir("npy-numpy");
    py("import numpy as n; d='" + dir.string() +
       "'; n.save(d+'/f4.npy', (n.arange(24,dtype=n.float32)*0.5-3).reshape(2,3,4)); "
       "n.save(d+'/f8.npy', n.arange(5,dtype=n.float64)/3); n.save(d+'/i4.npy', -n.arange(6,dtype=n.int32).reshape(3,2)); "
       "n.save(d+'/i8.npy', n.arange(4,dtype=n.int64)*(1<<40)); n.save(d+'/u2.npy', n.arange(7,dtype=n.uint16)*9000); "
       "n.save(d+'/s.npy', n.float32(2.5)); n.save(d+'/e.npy', n.zeros((0,3),n.float32)); "
       "n.save(d+'/fo.npy', n.asfortranarray(n.ones((2,3),n.float32))); n.save(d+'/be.npy', n.ones(3,'>f4')); "
       "n.save(d+'/u8.npy', n.ones(3,n.uint8))");
    auto f4 = read_npy(dir / "f4.npy");
    ASSERT_TRUE(f4.ok()) << f4.error().message();
    EXPECT_EQ(f4->shape, (std::vector<int64_t>{2, 3, 4}));
    ASSERT_EQ(f4->f32().size(), 24u);
    for (size_t i = 0; i < 24; ++i) EXPECT_EQ(f4->f32()[i], static_cast<float>(i) * 0.5f - 3.0f);
    auto f8 = read_npy(dir / "f8.npy");
    ASSERT_TRUE(f8.ok());
    for (size_t i = 0; i < 5; ++i) EXPECT_EQ(f8->f64()[i], static_cast<double>(i) / 3.0);
    auto i4 = read_npy(dir / "i4.npy");
    ASSERT_TRUE(i4.ok());
    EXPECT_EQ(i4->shape, (std::vector<int64_t>{3, 2}));
    for (size_t i = 0; i < 6; ++i) EXPECT_EQ(i4->i32()[i], -static_cast<int32_t>(i));
    auto i8 = read_npy(dir / "i8.npy");
    ASSERT_TRUE(i8.ok());
    for (size_t i = 0; i < 4; ++i) EXPECT_EQ(i8->i64()[i], static_cast<int64_t>(i) << 40);
    auto u2 = read_npy(dir / "u2.npy");
    ASSERT_TRUE(u2.ok());
    for (size_t i = 0; i < 7; ++i) EXPECT_EQ(u2->u16()[i], i * 9000);
    EXPECT_TRUE(u2->f32().empty());  // typed views are empty for another type
    auto s = read_npy(dir / "s.npy");
    ASSERT_TRUE(s.ok());
    EXPECT_TRUE(s->shape.empty());
    EXPECT_EQ(s->n_elements(), 1);
    EXPECT_EQ(s->f32()[0], 2.5f);
    auto e = read_npy(dir / "e.npy");
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->shape, (std::vector<int64_t>{0, 3}));
    EXPECT_EQ(e->n_elements(), 0);
    for (const char* name : {"fo.npy", "be.npy", "u8.npy"}) {
        auto r = read_npy(dir / name);
        ASSERT_FALSE(r.ok()) << name;
        EXPECT_EQ(r.error().code, ErrorCode::Unsupported) << name;
        EXPECT_NE(r.error().detail.find(name), std::string::npos) << r.error().detail;
    }
    EXPECT_EQ(read_npy(dir / "missing.npy").error().code, ErrorCode::NotFound);
}

TEST(Npy, RowWriterRewritesTheShapeWhenFinished) {
    ASSERT_TRUE(venv_python_present());
    const fs::path dir = temp_dir("npy-rows");
    auto w = NpyRowWriter::create(dir / "r.npy", NpyType::F32, {4});
    ASSERT_TRUE(w.ok());
    for (int r = 0; r < 3; ++r) {
        const float row[4] = {float(r), float(r) + 0.5f, -float(r), 1e30f};
        ASSERT_TRUE((*w)->append(std::span<const float>(row, 4)).ok());
    }
    const float short_row[3] = {};
    EXPECT_FALSE((*w)->append(std::span<const float>(short_row, 3)).ok());
    ASSERT_TRUE((*w)->finish().ok());
    EXPECT_EQ(py("import numpy as n; a=n.load('" + (dir / "r.npy").string() + "'); print(a.shape, a[2].tolist())"),
              "(3, 4) [2.0, 2.5, -2.0, 1.0000000150474662e+30]\n");
    auto back = read_npy(dir / "r.npy");
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->shape, (std::vector<int64_t>{3, 4}));
}

std::vector<uint8_t> with_header(const std::string& header, size_t data_bytes) {
    std::string h = header;
    while ((10 + h.size() + 1) % 64) h += ' ';
    h += '\n';
    std::string all = "\x93NUMPY";
    all += {'\x01', '\x00', static_cast<char>(h.size()), '\x00'};
    all += h;
    all.append(data_bytes, '\0');
    return std::vector<uint8_t>(all.begin(), all.end());
}

TEST(Npy, MalformedHeadersAreClearErrors) {
    const std::string good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    ASSERT_TRUE(parse_npy(with_header(good, 24), "good").ok());
    ASSERT_TRUE(parse_npy(with_header("{'shape': (6,), 'descr': '<f4', 'fortran_order': False}", 24), "reordered").ok());
    struct Case {
        std::string header;
        size_t data;
        const char* expect;  // a phrase the error must contain
    };
    const Case cases[] = {
        {good, 20, "data bytes"},                                                          // truncated data
        {good, 28, "data bytes"},                                                          // trailing bytes
        {"{'descr': '<f4', 'shape': (2, 3), }", 24, "lacks"},                              // missing key
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", 24, "'x'"},  // extra key
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,)}", 24, "repeated"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }", 24, "shape"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (6), }", 24, "shape"},         // not a tuple
        {"{'descr': '<f4', 'fortran_order': Maybe, 'shape': (6,), }", 24, "fortran_order"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,), } junk", 24, "after"},
        {"['descr', '<f4']", 24, "dict"},
    };
    for (const Case& c : cases) {
        auto r = parse_npy(with_header(c.header, c.data), "case.npy");
        ASSERT_FALSE(r.ok()) << c.header;
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument) << c.header;
        EXPECT_NE(r.error().detail.find(c.expect), std::string::npos) << r.error().detail;
        EXPECT_NE(r.error().detail.find("case.npy"), std::string::npos);
    }
    std::vector<uint8_t> no_magic = with_header(good, 24);
    no_magic[1] = 'X';
    EXPECT_EQ(parse_npy(no_magic, "m").error().code, ErrorCode::InvalidArgument);
    std::vector<uint8_t> long_header = with_header(good, 24);
    long_header[8] = 0xFF;  // header length past the end
    EXPECT_EQ(parse_npy(long_header, "l").error().code, ErrorCode::InvalidArgument);
    std::vector<uint8_t> version9 = with_header(good, 24);
    version9[6] = 9;
    EXPECT_EQ(parse_npy(version9, "v").error().code, ErrorCode::Unsupported);
    const uint8_t tiny[3] = {0x93, 'N', 'U'};
    EXPECT_FALSE(parse_npy(tiny, "t").ok());
}

TEST(Npy, EncodeDecodeRoundTripsEveryType) {
    const int64_t shape[] = {2, 2};
    const uint16_t u[4] = {0x3f80, 0xbf80, 0x7f80, 0};
    auto bytes = encode_npy(NpyType::U16, shape, u);
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ((bytes->size() - 8) % 2, 0u);
    auto back = parse_npy(*bytes, "rt");
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(std::memcmp(back->u16().data(), u, sizeof u), 0);
    const int64_t i8[4] = {-1, 2, INT64_MIN, INT64_MAX};
    auto b2 = encode_npy(NpyType::I64, shape, i8);
    ASSERT_TRUE(b2.ok());
    EXPECT_EQ(parse_npy(*b2, "rt")->i64()[2], INT64_MIN);
    EXPECT_EQ((b2->size() - 4 * 8) % 64, 0u);  // data starts on a 64-byte boundary
}

}  // namespace
}  // namespace atelier
