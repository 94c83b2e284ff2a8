// GGUF v3 writer. The header is built in memory (it is small), then the tensors are streamed
// from their storage with zero padding between them; temp file + fsync + rename.
#include "inference/loaders/gguf-writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace atelier::infer {
namespace {

void put_bytes(std::vector<uint8_t>& out, const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    out.insert(out.end(), b, b + n);
}
template <class T>
void put(std::vector<uint8_t>& out, T v) {
    put_bytes(out, &v, sizeof v);
}
void put_string(std::vector<uint8_t>& out, const std::string& s) {
    put<uint64_t>(out, s.size());
    put_bytes(out, s.data(), s.size());
}

// A value without its leading type id (arrays carry their element type inside).
void put_value(std::vector<uint8_t>& out, const GgufValue& v) {
    switch (v.type()) {
        case GgufType::String: put_string(out, *v.as_string()); return;
        case GgufType::Array: {
            put<uint32_t>(out, gguf_type_wire(v.elem_type()));
            put<uint64_t>(out, v.array_size());
            if (auto* s = v.as_strings()) for (const auto& x : *s) put_string(out, x);
            else if (auto* a = v.as_arrays()) for (const auto& x : *a) put_value(out, x);
            else if (auto* r = v.raw_elements()) put_bytes(out, r->data(), r->size());
            return;
        }
        case GgufType::F32: put<float>(out, static_cast<float>(*v.as_number())); return;
        case GgufType::F64: put<double>(out, *v.as_number()); return;
        case GgufType::Bool: put<uint8_t>(out, *v.as_bool() ? 1 : 0); return;
        default: {
            const uint64_t bits = v.as_uint() ? *v.as_uint() : static_cast<uint64_t>(*v.as_int());
            put_bytes(out, &bits, gguf_type_size(v.type()));  // little-endian: the low bytes
            return;
        }
    }
}

Error write_error(const std::filesystem::path& path, int err) {
    const std::string what = "cannot write " + path.string() + ": " + std::strerror(err);
    if (err == ENOSPC) return make_error(ErrorCode::DiskFull, what, "free some disk space");
    if (err == EACCES || err == EPERM || err == EROFS)
        return make_error(ErrorCode::PermissionDenied, what, "choose a folder you can write to");
    return make_error(ErrorCode::IoError, what);
}

Status write_all(std::FILE* f, const void* p, size_t n, const std::filesystem::path& path) {
    if (n && std::fwrite(p, 1, n, f) != n) return write_error(path, errno ? errno : EIO);
    return ok_status();
}

}  // namespace

GgufWriter::GgufWriter(uint32_t alignment) : alignment_(alignment && !(alignment & (alignment - 1)) ? alignment : 32) {}

Status GgufWriter::set(std::string key, GgufValue value) {
    if (value.type() == GgufType::Invalid)
        return make_error(ErrorCode::InvalidArgument, "GGUF metadata '" + key + "' has no valid value");
    for (auto& [k, v] : metadata_)
        if (k == key) return v = std::move(value), ok_status();
    metadata_.emplace_back(std::move(key), std::move(value));
    return ok_status();
}

Status GgufWriter::add_tensor(const Tensor& tensor) {
    if (dtype_traits(tensor.type).gguf_id < 0)
        return make_error(ErrorCode::Unsupported, std::string("GGUF has no type for ") + dtype_name(tensor.type) +
                                                      " (tensor " + tensor.name + ")");
    if (!tensor.is_contiguous() || (!tensor.data && tensor.n_bytes() > 0))
        return make_error(ErrorCode::InvalidArgument, "tensor " + tensor.name + " is not contiguous");
    for (const auto& e : tensors_)
        if (e.tensor.name == tensor.name) return make_error(ErrorCode::InvalidArgument, "tensor " + tensor.name + " added twice");
    tensors_.push_back(Entry{tensor, nullptr, 0});
    return ok_status();
}

Status GgufWriter::add_tensor(std::string name, DType type, std::vector<int64_t> ne, std::vector<uint8_t> bytes) {
    if (ne.empty() || ne.size() > 4) return make_error(ErrorCode::InvalidArgument, "tensor " + name + " needs 1 to 4 dimensions");
    auto owned = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
    Tensor t;
    t.name = std::move(name);
    t.type = type;
    t.n_dims = static_cast<int>(ne.size());
    for (size_t d = 0; d < ne.size(); ++d) t.ne[d] = ne[d];
    ATELIER_TRY_ASSIGN(t.nb[1], dtype_row_bytes(type, t.ne[0]));
    t.nb[0] = dtype_traits(type).block_bytes;
    for (size_t d = 2; d < 4; ++d)
        if (__builtin_mul_overflow(t.nb[d - 1], t.ne[d - 1], &t.nb[d]))
            return make_error(ErrorCode::InvalidArgument, "tensor " + t.name + " is too large");
    if (static_cast<uint64_t>(t.n_bytes()) != owned->size())
        return make_error(ErrorCode::InvalidArgument, "tensor " + t.name + " has " + std::to_string(owned->size()) +
                                                          " bytes but its type and shape need " + std::to_string(t.n_bytes()));
    t.data = owned->data();
    t.storage = owned;
    ATELIER_TRY(add_tensor(t));
    return ok_status();
}

Status GgufWriter::write(const std::filesystem::path& path) const {
    std::vector<uint8_t> head;
    put<uint32_t>(head, 0x46554747);  // "GGUF"
    put<uint32_t>(head, 3);
    put<uint64_t>(head, tensors_.size());
    auto meta = metadata_;
    bool has_align = false;
    for (auto& [k, v] : meta) has_align |= k == "general.alignment";
    if (alignment_ != 32 && !has_align) meta.emplace_back("general.alignment", GgufValue::make_uint(GgufType::U32, alignment_));
    put<uint64_t>(head, meta.size());
    for (const auto& [k, v] : meta) {
        put_string(head, k);
        put<uint32_t>(head, gguf_type_wire(v.type()));
        put_value(head, v);
    }
    uint64_t offset = 0;
    std::vector<uint64_t> offsets;
    for (const auto& e : tensors_) {
        put_string(head, e.tensor.name);
        put<uint32_t>(head, static_cast<uint32_t>(std::max(e.tensor.n_dims, 1)));
        for (int d = 0; d < std::max(e.tensor.n_dims, 1); ++d) put<uint64_t>(head, static_cast<uint64_t>(e.tensor.ne[static_cast<size_t>(d)]));
        put<uint32_t>(head, static_cast<uint32_t>(dtype_traits(e.tensor.type).gguf_id));
        put<uint64_t>(head, offset);
        offsets.push_back(offset);
        offset = (offset + static_cast<uint64_t>(e.tensor.n_bytes()) + alignment_ - 1) / alignment_ * alignment_;
    }
    head.resize((head.size() + alignment_ - 1) / alignment_ * alignment_, 0);

    const std::filesystem::path tmp = path.string() + ".tmp-" + std::to_string(::getpid());
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) return write_error(path, errno);
    Status st = write_all(f, head.data(), head.size(), path);
    static const std::vector<uint8_t> zeros(4096, 0);
    for (size_t i = 0; st.ok() && i < tensors_.size(); ++i) {
        const uint64_t n = static_cast<uint64_t>(tensors_[i].tensor.n_bytes());
        st = write_all(f, tensors_[i].tensor.data, n, path);
        const uint64_t pad = (i + 1 < tensors_.size() ? offsets[i + 1] : (offsets[i] + n + alignment_ - 1) / alignment_ * alignment_) -
                             (offsets[i] + n);
        if (st.ok()) st = write_all(f, zeros.data(), pad, path);
    }
    if (st.ok() && (std::fflush(f) != 0 || ::fsync(::fileno(f)) != 0)) st = write_error(path, errno);
    if (std::fclose(f) != 0 && st.ok()) st = write_error(path, errno);
    if (st.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) st = write_error(path, errno);
    if (!st.ok()) std::remove(tmp.c_str());
    return st;
}

}  // namespace atelier::infer
