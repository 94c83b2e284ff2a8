// POSIX mmap of a whole file, read-only, or (resident) the file read with pread into anonymous
// memory advised for transparent huge pages. The descriptor is closed before open() returns (a
// mapping keeps the file alive).
#include "inference/loaders/mapped-file.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace atelier::infer {
namespace {

constexpr uint64_t kHugePage = 2ull << 20;
constexpr uint64_t kReadChunk = 64ull << 20;  // per pread: progress and stop checks at this grain

Error open_error(const std::filesystem::path& path, int err) {
    const std::string what = "cannot open model file " + path.string() + ": " + std::strerror(err);
    if (err == ENOENT) return make_error(ErrorCode::NotFound, what, "check the path");
    if (err == EACCES || err == EPERM)
        return make_error(ErrorCode::PermissionDenied, what, "make the file readable for this user");
    return make_error(ErrorCode::IoError, what);
}

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

const char* residency_name(Residency r) {
    switch (r) {
        case Residency::Mapped: return "mapped";
        case Residency::Resident: return "resident";
        case Residency::Auto: return "auto";
    }
    return "?";
}

bool parse_residency(std::string_view s, Residency* out) {
    for (Residency r : {Residency::Mapped, Residency::Resident, Residency::Auto})
        if (s == residency_name(r)) {
            *out = r;
            return true;
        }
    return false;
}

bool auto_resident(uint64_t already_resident, uint64_t file_bytes, uint64_t available_ram, bool huge_pages) {
    if (!huge_pages) return false;  // 4 KiB anonymous pages walk as often as the mapping's: no gain
    const uint64_t budget = available_ram / 10 * 7;
    return already_resident <= budget && file_bytes <= budget - already_resident;
}

bool transparent_huge_pages_available() {
    static const bool yes = [] {
        std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
        std::string line;
        if (!std::getline(f, line)) return false;
        return line.find("[always]") != std::string::npos || line.find("[madvise]") != std::string::npos;
    }();
    return yes;
}

Result<std::shared_ptr<const MappedFile>> MappedFile::open(const std::filesystem::path& path,
                                                           const OpenFileOptions& options) {
    Fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (fd.fd < 0) return open_error(path, errno);
    struct stat st {};
    if (::fstat(fd.fd, &st) != 0) return open_error(path, errno);
    if (!S_ISREG(st.st_mode))
        return make_error(ErrorCode::IoError, path.string() + " is not a regular file",
                          "give a model file, or a folder holding safetensors files");
    std::shared_ptr<MappedFile> f(new MappedFile());
    f->path_ = path;
    f->size_ = static_cast<uint64_t>(st.st_size);
    if (f->size_ == 0) return std::shared_ptr<const MappedFile>(std::move(f));
    if (!options.resident) {
        void* p = ::mmap(nullptr, f->size_, PROT_READ, MAP_PRIVATE, fd.fd, 0);
        if (p == MAP_FAILED) {
            const int err = errno;
            return make_error(ErrorCode::IoError, "cannot map model file " + path.string() + ": " + std::strerror(err),
                              err == ENOMEM ? "the address space is exhausted; close other programs" : "");
        }
        f->region_ = p;
        f->region_bytes_ = f->size_;
        f->data_ = static_cast<const uint8_t*>(p);
        return std::shared_ptr<const MappedFile>(std::move(f));
    }

    // Resident: read into a huge-page buffer (committed as it is read; MAP_NORESERVE is not used).
    ATELIER_TRY_ASSIGN(f->resident_buf_, HugePageBuffer::allocate(f->size_, path.string()));
    uint8_t* base = f->resident_buf_->data();  // from here the destructor releases it, on every return below
    for (uint64_t done = 0; done < f->size_;) {
        if (options.stop.stop_requested())
            return make_error(ErrorCode::Cancelled, "loading " + path.string() + " was cancelled");
        const uint64_t want = std::min(kReadChunk, f->size_ - done);
        const ssize_t got = ::pread(fd.fd, base + done, want, static_cast<off_t>(done));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0)
            return make_error(ErrorCode::IoError, "cannot read model file " + path.string() + ": " + std::strerror(errno),
                              "check the disk, or copy the model again");
        if (got == 0)
            return make_error(ErrorCode::IoError,
                              path.string() + " ended at byte " + std::to_string(done) + " while being read (it was " +
                                  std::to_string(f->size_) + " bytes when opened)",
                              "something is changing the file; wait until it is written and load it again");
        done += static_cast<uint64_t>(got);
        if (options.progress) options.progress(done, f->size_);
    }
    f->resident_buf_->seal();  // as the mapping: a stray write faults instead of corrupting weights
    f->data_ = base;
    f->resident_ = true;
    return std::shared_ptr<const MappedFile>(std::move(f));
}

MappedFile::~MappedFile() {
    if (region_) ::munmap(region_, region_bytes_);
}

void MappedFile::advise(MapAdvice advice, uint64_t offset, uint64_t length) const {
    if (!data_ || resident_ || offset >= size_) return;
    if (length > size_ - offset) length = size_ - offset;
    // madvise wants a page-aligned start.
    const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    const uint64_t start = offset / page * page;
    length += offset - start;
    int flag = MADV_NORMAL;
    switch (advice) {
        case MapAdvice::Sequential: flag = MADV_SEQUENTIAL; break;
        case MapAdvice::Random: flag = MADV_RANDOM; break;
        case MapAdvice::WillNeed: flag = MADV_WILLNEED; break;
        case MapAdvice::DontNeed: flag = MADV_DONTNEED; break;
        default: break;
    }
    ::madvise(const_cast<uint8_t*>(data_) + start, length, flag);  // a hint: failure changes nothing
}

void MappedFile::release(uint64_t offset, uint64_t length) const {
    if (!data_ || offset >= size_) return;
    if (length > size_ - offset) length = size_ - offset;
    const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    // only pages wholly inside the range: a neighbour's bytes on a shared page stay
    const uintptr_t begin = (reinterpret_cast<uintptr_t>(data_) + offset + page - 1) / page * page;
    const uintptr_t end = (reinterpret_cast<uintptr_t>(data_) + offset + length) / page * page;
    if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

Result<std::unique_ptr<HugePageBuffer>> HugePageBuffer::allocate(uint64_t bytes, const std::string& what) {
    std::unique_ptr<HugePageBuffer> b(new HugePageBuffer());
    if (bytes == 0) return b;
    const uint64_t len = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* region = ::mmap(nullptr, len + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED)
        return make_error(ErrorCode::OutOfMemory,
                          "cannot hold " + what + " (" + std::to_string(bytes >> 20) + " MiB) in memory: " + std::strerror(errno),
                          "load it mapped instead (--weights mapped), or close other programs");
    b->region_ = region;
    b->region_bytes_ = len + kHugePage;
    b->data_ = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(region) + kHugePage - 1) & ~(kHugePage - 1));
    b->size_ = bytes;
    ::madvise(b->data_, len, MADV_HUGEPAGE);  // a hint: without it the memory still works, in 4 KiB pages
    return b;
}

void HugePageBuffer::seal() {
    if (data_) ::mprotect(data_, (size_ + kHugePage - 1) / kHugePage * kHugePage, PROT_READ);
}

HugePageBuffer::~HugePageBuffer() {
    if (region_) ::munmap(region_, region_bytes_);
}

}  // namespace atelier::infer
