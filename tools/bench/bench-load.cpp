// Load benchmark for "Loading a 10 GB GGUF to ready takes under 1 s beyond page-cache reads. Map
// it; don't copy it.": writes a ~10 GB GGUF as a sparse file (header written, data region a hole
// from ftruncate: no disk space, no write time), then times load_model to ready, summary() +
// plan_memory, and the anchor (open + mmap + madvise of the same file, nothing else). It also
// checks that loading touches no tensor-data page (page faults, and mincore of the data region).
// Usage: atelier-bench-load [--reps 5] [--layers 117]. Single-threaded; prints, never asserts.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "bench-util.h"
#include "inference/memory-plan.h"
#include "inference/model.h"

using namespace atelier;
using namespace atelier::infer;

namespace {

// GGUF v3 by the specification: little-endian, strings as u64 length + bytes.
class HeaderBytes {
public:
    void u32(uint32_t v) { raw(&v, 4); }
    void u64(uint64_t v) { raw(&v, 8); }
    void str(const std::string& s) {
        u64(s.size());
        raw(s.data(), s.size());
    }
    void kv_u32(const std::string& key, uint32_t v) {
        str(key);
        u32(4);  // GGUF_TYPE_UINT32
        u32(v);
    }
    void kv_str(const std::string& key, const std::string& v) {
        str(key);
        u32(8);  // GGUF_TYPE_STRING
        str(v);
    }
    void raw(const void* p, size_t n) { bytes.insert(bytes.end(), static_cast<const uint8_t*>(p), static_cast<const uint8_t*>(p) + n); }
    std::vector<uint8_t> bytes;
};

struct TensorSpec {
    std::string name;
    uint32_t ggml_type;  // 0 = F32, 12 = Q4_K
    std::vector<uint64_t> ne;
    uint64_t bytes() const {
        uint64_t n = 1;
        for (uint64_t d : ne) n *= d;
        return ggml_type == 0 ? 4 * n : n / 256 * 144;
    }
};

// A DeepSeek-V3-style layout (MLA attention, 3-D merged routed experts, a shared expert) in Q4_K
// with f32 norms and router; the layer count is chosen to give ~2,000 tensors and ~10 GB.
std::vector<TensorSpec> layout(int n_layer, uint32_t& n_embd, uint32_t& n_expert) {
    const uint64_t E = 2048, QA = 768, KVA = 512, ROPE = 64, HEADS = 16, FF = 256, NEXP = 88, VOCAB = 129280;
    n_embd = static_cast<uint32_t>(E);
    n_expert = static_cast<uint32_t>(NEXP);
    std::vector<TensorSpec> t{{"token_embd.weight", 12, {E, VOCAB}}, {"output_norm.weight", 0, {E}}, {"output.weight", 12, {E, VOCAB}}};
    for (int l = 0; l < n_layer; ++l) {
        const std::string p = "blk." + std::to_string(l) + ".";
        const std::vector<TensorSpec> layer = {
            {p + "attn_norm.weight", 0, {E}},
            {p + "attn_q_a.weight", 12, {E, QA}},
            {p + "attn_q_a_norm.weight", 0, {QA}},
            {p + "attn_q_b.weight", 12, {QA, HEADS * 192}},
            {p + "attn_kv_a_mqa.weight", 12, {E, KVA + ROPE}},
            {p + "attn_kv_a_norm.weight", 0, {KVA}},
            {p + "attn_kv_b.weight", 12, {KVA, HEADS * 256}},
            {p + "attn_output.weight", 12, {HEADS * 128, E}},
            {p + "ffn_norm.weight", 0, {E}},
            {p + "ffn_gate_inp.weight", 0, {E, NEXP}},
            {p + "exp_probs_b.bias", 0, {NEXP}},
            {p + "ffn_gate_exps.weight", 12, {E, FF, NEXP}},
            {p + "ffn_up_exps.weight", 12, {E, FF, NEXP}},
            {p + "ffn_down_exps.weight", 12, {FF, E, NEXP}},
            {p + "ffn_gate_shexp.weight", 12, {E, FF}},
            {p + "ffn_up_shexp.weight", 12, {E, FF}},
            {p + "ffn_down_shexp.weight", 12, {FF, E}},
        };
        t.insert(t.end(), layer.begin(), layer.end());
    }
    return t;
}

constexpr uint64_t kAlign = 32;  // GGUF default general.alignment
uint64_t align_up(uint64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

struct SparseGguf {
    uint64_t header_bytes = 0;  // where the data region starts
    uint64_t file_bytes = 0;
    size_t n_tensors = 0;
};

// Writes the header, then extends the file with ftruncate: the data region is a hole.
bool write_sparse_gguf(const std::string& path, int n_layer, SparseGguf& out) {
    uint32_t n_embd = 0, n_expert = 0;
    const std::vector<TensorSpec> ts = layout(n_layer, n_embd, n_expert);
    HeaderBytes h;
    h.raw("GGUF", 4);
    h.u32(3);
    h.u64(ts.size());
    h.u64(9);
    h.kv_str("general.architecture", "deepseek2");
    h.kv_str("general.name", "atelier-bench-load sparse layout");
    h.kv_u32("deepseek2.block_count", static_cast<uint32_t>(n_layer));
    h.kv_u32("deepseek2.embedding_length", n_embd);
    h.kv_u32("deepseek2.attention.head_count", 16);
    h.kv_u32("deepseek2.attention.kv_lora_rank", 512);
    h.kv_u32("deepseek2.rope.dimension_count", 64);
    h.kv_u32("deepseek2.expert_count", n_expert);
    h.kv_u32("deepseek2.expert_used_count", 8);
    uint64_t offset = 0;
    for (const TensorSpec& t : ts) {
        h.str(t.name);
        h.u32(static_cast<uint32_t>(t.ne.size()));
        for (uint64_t d : t.ne) h.u64(d);
        h.u32(t.ggml_type);
        h.u64(offset);
        offset = align_up(offset + t.bytes());
    }
    h.bytes.resize(align_up(h.bytes.size()), 0);
    out = {h.bytes.size(), h.bytes.size() + offset, ts.size()};
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return false;
    const bool ok = ::write(fd, h.bytes.data(), h.bytes.size()) == static_cast<ssize_t>(h.bytes.size()) &&
                    ::ftruncate(fd, static_cast<off_t>(out.file_bytes)) == 0;
    ::close(fd);
    return ok;
}

long minor_faults() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return u.ru_minflt + u.ru_majflt;
}

// Page-cache-resident pages of [from, size) of the file (mincore on a fresh mapping).
int64_t resident_pages(const std::string& path, uint64_t from, uint64_t size) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) return -1;
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) return -1;
    const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)), first = from / page, n = (size + page - 1) / page;
    std::vector<unsigned char> v(n);
    int64_t r = -1;
    if (::mincore(p, size, v.data()) == 0) {
        r = 0;
        for (uint64_t i = first; i < n; ++i) r += v[i] & 1;
    }
    ::munmap(p, size);
    return r;
}

double anchor_map_s(const std::string& path, uint64_t size) {
    const double t0 = bench::now_s();
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) return -1;
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) return -1;
    ::madvise(p, size, MADV_NORMAL);
    ::munmap(p, size);
    return bench::now_s() - t0;
}

}  // namespace

int main(int argc, char** argv) {
    const int reps = bench::arg_int(argc, argv, "--reps", 5);
    const int n_layer = bench::arg_int(argc, argv, "--layers", 117);
    bench::ScratchDir dir("load");
    if (dir.path().empty()) return 1;
    const std::string path = (dir.path() / "sparse-10gb.gguf").string();
    SparseGguf g;
    if (!write_sparse_gguf(path, n_layer, g)) {
        std::fprintf(stderr, "could not write %s\n", path.c_str());
        return 1;
    }
    struct stat st {};
    ::stat(path.c_str(), &st);
    std::vector<double> load_s, plan_s, anchor_s;
    long faults = 0;
    size_t n_loaded = 0;
    for (int r = 0; r < reps; ++r) {
        anchor_s.push_back(anchor_map_s(path, g.file_bytes));
        const long f0 = minor_faults();
        const double t0 = bench::now_s();
        auto m = load_model(path);
        const double t1 = bench::now_s();
        faults = minor_faults() - f0;
        if (!m) {
            std::fprintf(stderr, "load_model: %s\n", m.error().message().c_str());
            return 1;
        }
        n_loaded = (*m)->tensors().size();
        const double t2 = bench::now_s();
        const MemoryPlan plan = plan_memory((*m)->summary(), PlanRequest{}, system_info());
        plan_s.push_back(bench::now_s() - t2);
        load_s.push_back(t1 - t0);
        if (plan.verdict == PlanVerdict::Invalid) return 1;
    }
    const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)), data_from = (g.header_bytes + page - 1) / page * page;
    const int64_t resident = resident_pages(path, data_from, g.file_bytes);
    int64_t control = -1;  // the check itself: one data page read with pread must show up
    if (const int fd = ::open(path.c_str(), O_RDONLY); fd >= 0) {
        char byte = 0;
        if (::pread(fd, &byte, 1, static_cast<off_t>(g.file_bytes / 2)) == 1) control = resident_pages(path, data_from, g.file_bytes);
        ::close(fd);
    }
    const double bw = bench::memcpy_bandwidth();
    const double limit_s = static_cast<double>(g.header_bytes) / bw;
    const double load = bench::median(load_s), anchor = bench::median(anchor_s), plan = bench::median(plan_s);
    std::printf("# %s; %s; file %.2f GB (%zu tensors, %.2f MB header), %.1f MB on disk (sparse)\n", bench::machine_name().c_str(),
                bench::fs_type(dir.path()).c_str(), g.file_bytes / 1e9, g.n_tensors, g.header_bytes / 1e6, st.st_blocks * 512.0 / 1e6);
    std::printf("# page faults during the last load (header pages and heap): %ld; tensor-data pages in the page cache after %d "
                "loads: %lld (mincore, readahead included; control: %lld after a pread of one data byte)\n",
                faults, reps, static_cast<long long>(resident), static_cast<long long>(control));
    std::printf("| task | ours (median of %d) | anchor: open+mmap+madvise | summary+plan_memory | limit: header bytes / memcpy %.1f GB/s | ours / anchor, ours / limit |\n",
                reps, bw / 1e9);
    std::printf("|---|---|---|---|---|---|\n");
    std::printf("| load %.1f GB GGUF to ready (%zu tensors) | %.2f ms | %.3f ms | %.3f ms | %.3f ms | %.0fx anchor, %.0fx limit |\n",
                g.file_bytes / 1e9, n_loaded, load * 1e3, anchor * 1e3, plan * 1e3, limit_s * 1e3, anchor > 0 ? load / anchor : 0.0,
                limit_s > 0 ? load / limit_s : 0.0);
    return 0;
}
