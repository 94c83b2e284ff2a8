// SourceLocation: the call site (file, line) captured as a default argument. A stand-in for
// std::source_location, which clang 14 cannot compile with libstdc++ 12 (our fuzz build).
// Thread-safety: a plain value.
#pragma once

namespace atelier {

struct SourceLocation {
    const char* file = "";
    unsigned line = 0;
    static constexpr SourceLocation current(const char* f = __builtin_FILE(), unsigned l = __builtin_LINE()) {
        return SourceLocation{f, l};
    }
    const char* file_name() const { return file; }
    unsigned line_number() const { return line; }
};

}  // namespace atelier
