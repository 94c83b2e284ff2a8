// Process-wide log sink. Thread-safety: a mutex guards the sink; formatting happens outside it.
#include "core/log.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace atelier {
namespace {

std::mutex g_mutex;
LogSink g_sink;

LogLevel initial_level() {
    const char* env = std::getenv("ATELIER_LOG");
    if (!env) return LogLevel::Warn;
    if (!std::strcmp(env, "debug")) return LogLevel::Debug;
    if (!std::strcmp(env, "info")) return LogLevel::Info;
    if (!std::strcmp(env, "error")) return LogLevel::Error;
    return LogLevel::Warn;
}

LogLevel g_level = initial_level();

std::string vformat(const char* fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    char buf[512];
    int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
    std::string out;
    if (n < 0) {
        out = fmt;
    } else if (static_cast<size_t>(n) < sizeof buf) {
        out.assign(buf, static_cast<size_t>(n));
    } else {
        out.resize(static_cast<size_t>(n));
        std::vsnprintf(out.data(), out.size() + 1, fmt, ap2);
    }
    va_end(ap2);
    return out;
}

}  // namespace

const char* log_level_name(LogLevel level) {
    switch (level) {
        case LogLevel::Debug: return "debug";
        case LogLevel::Info: return "info";
        case LogLevel::Warn: return "warn";
        case LogLevel::Error: return "error";
        case LogLevel::Invalid: break;
    }
    return "?";
}

void log_set_sink(LogSink sink) {
    std::lock_guard lock(g_mutex);
    g_sink = std::move(sink);
}

void log_set_level(LogLevel min_level) {
    std::lock_guard lock(g_mutex);
    g_level = min_level;
}

LogLevel log_level() {
    std::lock_guard lock(g_mutex);
    return g_level;
}

std::string strprintf(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::string s = vformat(fmt, ap);
    va_end(ap);
    return s;
}

void log_write(LogLevel level, const char* file, int line, const char* fmt, ...) {
    if (level < log_level()) return;
    va_list ap;
    va_start(ap, fmt);
    std::string msg = vformat(fmt, ap);
    va_end(ap);
    const char* base = std::strrchr(file, '/');
    std::string full = strprintf("[%s] %s:%d: %s", log_level_name(level), base ? base + 1 : file, line, msg.c_str());
    std::lock_guard lock(g_mutex);
    if (g_sink) {
        g_sink(level, full);
    } else {
        std::fprintf(stderr, "%s\n", full.c_str());
    }
}

}  // namespace atelier
