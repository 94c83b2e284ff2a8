// POSIX mmap of a whole file, read-only. The descriptor is closed right after mapping (the
// mapping keeps the file alive).
#include "inference/loaders/mapped-file.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace atelier::infer {
namespace {

Error open_error(const std::filesystem::path& path, int err) {
    const std::string what = "cannot open model file " + path.string() + ": " + std::strerror(err);
    if (err == ENOENT) return make_error(ErrorCode::NotFound, what, "check the path");
    if (err == EACCES || err == EPERM)
        return make_error(ErrorCode::PermissionDenied, what, "make the file readable for this user");
    return make_error(ErrorCode::IoError, what);
}

}  // namespace

Result<std::shared_ptr<const MappedFile>> MappedFile::open(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return open_error(path, errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        return open_error(path, err);
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return make_error(ErrorCode::IoError, path.string() + " is not a regular file",
                          "give a model file, or a folder holding safetensors files");
    }
    std::shared_ptr<MappedFile> f(new MappedFile());
    f->path_ = path;
    f->size_ = static_cast<uint64_t>(st.st_size);
    if (f->size_ > 0) {
        void* p = ::mmap(nullptr, f->size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            const int err = errno;
            ::close(fd);
            return make_error(ErrorCode::IoError, "cannot map model file " + path.string() + ": " + std::strerror(err),
                              err == ENOMEM ? "the address space is exhausted; close other programs" : "");
        }
        f->data_ = static_cast<const uint8_t*>(p);
    }
    ::close(fd);
    return std::shared_ptr<const MappedFile>(std::move(f));
}

MappedFile::~MappedFile() {
    if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

void MappedFile::advise(MapAdvice advice, uint64_t offset, uint64_t length) const {
    if (!data_ || offset >= size_) return;
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

}  // namespace atelier::infer
