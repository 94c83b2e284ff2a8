// Logging: levels, one process-wide sink, printf-style formatting with file/line.
// Thread-safety: every function may be called from any thread except the audio callback.
#pragma once

#include <functional>
#include <string>

namespace atelier {

enum class LogLevel { Invalid = 0, Debug = 1, Info = 2, Warn = 3, Error = 4 };

const char* log_level_name(LogLevel level);

// The sink receives whole formatted lines. Default: stderr for Warn and above, or from
// Info when ATELIER_LOG=info/debug is set in the environment.
using LogSink = std::function<void(LogLevel, const std::string& line)>;
void log_set_sink(LogSink sink);  // empty restores the default
void log_set_level(LogLevel min_level);
LogLevel log_level();

void log_write(LogLevel level, const char* file, int line, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));

// printf into a std::string.
std::string strprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace atelier

#define ATELIER_LOG_DEBUG(...) ::atelier::log_write(::atelier::LogLevel::Debug, __FILE__, __LINE__, __VA_ARGS__)
#define ATELIER_LOG_INFO(...) ::atelier::log_write(::atelier::LogLevel::Info, __FILE__, __LINE__, __VA_ARGS__)
#define ATELIER_LOG_WARN(...) ::atelier::log_write(::atelier::LogLevel::Warn, __FILE__, __LINE__, __VA_ARGS__)
#define ATELIER_LOG_ERROR(...) ::atelier::log_write(::atelier::LogLevel::Error, __FILE__, __LINE__, __VA_ARGS__)

// Internal invariants only (never for untrusted input). Debug: log and abort. Release: log and
// evaluate to false so the caller takes its safe branch: if (!ATELIER_ALWAYS(x)) return ...;
#ifndef NDEBUG
#define ATELIER_ALWAYS(cond) \
    ((cond) ? true : (::atelier::log_write(::atelier::LogLevel::Error, __FILE__, __LINE__, "invariant failed: %s", #cond), __builtin_trap(), false))
#else
#define ATELIER_ALWAYS(cond) \
    ((cond) ? true : (::atelier::log_write(::atelier::LogLevel::Error, __FILE__, __LINE__, "invariant failed: %s", #cond), false))
#endif
