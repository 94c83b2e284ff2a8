// Result<T> and Error: the return type of every public function in the Qt-free libraries.
// An Error carries a code from the owning library's range, a technical detail and a hint that
// says what the user can do. Exceptions never cross a library boundary; this type does.
// Thread-safety: plain values, safe to move between threads.
#pragma once

#include <cstdint>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace atelier {

// Each library owns a range (STYLE §4): core 1000-1999, inference 2000-2999, media 3000-3999,
// projects 4000-4999, pipelines 5000-5999. Codes are stable: they appear in CLI --json output.
enum class ErrorCode : int32_t {
    Invalid = 0,  // never a real error; a default-constructed Error has it

    // core
    Unknown = 1000,
    Cancelled = 1001,  // not an error for the user: UIs handle it quietly
    InvalidArgument = 1002,
    IoError = 1003,
    NotFound = 1004,
    OutOfMemory = 1005,
    Unsupported = 1006,
    Internal = 1007,
    AlreadyExists = 1008,
    PermissionDenied = 1009,
    DiskFull = 1010,
    Timeout = 1011,

    // inference
    ModelFormat = 2000,
    ModelTruncated = 2001,
    ModelUnsupported = 2002,
    DeviceFailed = 2003,
    ContextFull = 2004,  // a sequence reached its context length

    // media
    MediaOpenFailed = 3000,
    MediaNoStream = 3001,
    MediaDecodeFailed = 3002,
    MediaEncodeFailed = 3003,
    MediaUnsupported = 3004,
    AudioDeviceFailed = 3005,

    // projects
    ProjectNotAtelier = 4000,   // a foreign file (not SQLite, or another application's SQLite)
    ProjectTooNew = 4001,       // made by a newer Atelier
    ProjectCorrupt = 4002,      // SQLite says the file is damaged
    ProjectReadOnly = 4003,     // the file or its folder cannot be written
    ProjectBusy = 4004,         // locked by another process
    ProjectSql = 4005,          // an unexpected SQLite error (a bug, or a damaged file)
    ProjectMigrationFailed = 4006,
    ProjectNotFound = 4007,
    ProjectObjectNotFound = 4008,  // an asset, chat, job... with that UUID does not exist

    // pipelines
    PipelineFailed = 5000,
    ImportFailed = 5001,
    ExportFailed = 5002,
};

// Stable machine name of a code ("project_too_new"); never user prose.
const char* error_code_name(ErrorCode code);

struct Error {
    ErrorCode code = ErrorCode::Invalid;
    std::string detail;  // technical: what failed, with the file/object named
    std::string hint;    // what to do about it; may be empty

    // "detail (hint)" for logs and the CLI.
    std::string message() const;
};

inline Error make_error(ErrorCode code, std::string detail, std::string hint = {}) {
    return Error{code, std::move(detail), std::move(hint)};
}

template <class T>
class [[nodiscard]] Result {
public:
    Result(const T& v) : v_(std::in_place_index<0>, v) {}
    Result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}
    template <class U, class = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                                !std::is_same_v<std::decay_t<U>, Error> &&
                                                !std::is_same_v<std::decay_t<U>, Result<T>>>>
    Result(U&& v) : v_(std::in_place_index<0>, T(std::forward<U>(v))) {}
    Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const& { return std::get<1>(v_); }
    Error&& error() && { return std::get<1>(std::move(v_)); }

    T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error e) : err_(std::move(e)), failed_(true) {}

    bool ok() const { return !failed_; }
    explicit operator bool() const { return ok(); }
    const Error& error() const& { return err_; }
    Error&& error() && { return std::move(err_); }

private:
    Error err_;
    bool failed_ = false;
};

using Status = Result<void>;

inline Status ok_status() { return Status{}; }

inline bool is_cancelled(const Error& e) { return e.code == ErrorCode::Cancelled; }

}  // namespace atelier

// Propagate an error from an expression returning Result<...>.
#define ATELIER_TRY(expr)                                   \
    do {                                                    \
        auto&& atelier_try_r_ = (expr);                     \
        if (!atelier_try_r_.ok()) return std::move(atelier_try_r_).error(); \
    } while (0)

#define ATELIER_CONCAT_INNER_(a, b) a##b
#define ATELIER_CONCAT_(a, b) ATELIER_CONCAT_INNER_(a, b)

// ATELIER_TRY_ASSIGN(auto x, f()); declares x with the value, or returns the error.
#define ATELIER_TRY_ASSIGN(decl, expr) \
    ATELIER_TRY_ASSIGN_IMPL_(ATELIER_CONCAT_(atelier_tmp_, __LINE__), decl, expr)
#define ATELIER_TRY_ASSIGN_IMPL_(tmp, decl, expr)         \
    auto tmp = (expr);                                    \
    if (!tmp.ok()) return std::move(tmp).error();         \
    decl = std::move(tmp).value()
