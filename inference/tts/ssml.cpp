// SSML-lite parser (see ssml.h): one forward pass over the bytes with an explicit element stack
// (no recursion); text is routed to the open <say-as>/<sub> that collects it, else to the current
// span. Every error names its position. Thread-safety: any thread (a Parser is local to a call).
#include "inference/tts/ssml.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <set>

#include "core/log.h"
#include "inference/tokenizer/unicode-util.h"
#include "inference/tts/english-numbers.h"

namespace atelier::infer::tts {
namespace {

constexpr const char* kHint = "fix the SSML (tags must nest and close; write & as &amp; and < as &lt;), or pass it as plain text";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (c & 0x80); }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

std::optional<float> parse_number(std::string_view s) {
    if (s.empty() || s.size() > 32) return std::nullopt;
    const std::string str(s);
    char* end = nullptr;
    const float v = std::strtof(str.c_str(), &end);
    if (end != str.c_str() + str.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

// "x-slow".."x-fast", "80%", "+20%", "-10%", "1.2" -> a speed factor; nullopt when unreadable.
std::optional<float> parse_rate(std::string_view v) {
    static constexpr std::pair<const char*, float> kNamed[] = {
        {"x-slow", 0.6f}, {"slow", 0.8f}, {"medium", 1.0f}, {"default", 1.0f}, {"fast", 1.25f}, {"x-fast", 1.6f}};
    for (const auto& [name, rate] : kNamed)
        if (v == name) return rate;
    if (!v.empty() && v.back() == '%') {
        const bool relative = v.front() == '+' || v.front() == '-';
        auto p = parse_number(v.substr(0, v.size() - 1));
        if (!p) return std::nullopt;
        const float r = relative ? 1.0f + *p / 100.0f : *p / 100.0f;
        return r > 0.0f ? std::optional<float>(r) : std::nullopt;
    }
    auto p = parse_number(v);
    return p && *p > 0.0f ? p : std::nullopt;
}

// "500ms", "1.5s", "2s" -> milliseconds; nullopt when unreadable.
std::optional<int64_t> parse_duration_ms(std::string_view v) {
    double scale = 0;
    if (v.size() > 2 && v.substr(v.size() - 2) == "ms") v.remove_suffix(2), scale = 1.0;
    else if (v.size() > 1 && v.back() == 's') v.remove_suffix(1), scale = 1000.0;
    auto p = parse_number(v);
    if (!p || *p < 0.0f || scale == 0) return std::nullopt;
    return static_cast<int64_t>(std::lround(std::min<double>(*p * scale, 1e9)));
}

std::optional<int64_t> strength_ms(std::string_view v) {
    static constexpr std::pair<const char*, int64_t> kStrength[] = {
        {"none", 0}, {"x-weak", 100}, {"weak", 250}, {"medium", 500}, {"strong", 750}, {"x-strong", 1000}};
    for (const auto& [name, ms] : kStrength)
        if (v == name) return ms;
    return std::nullopt;
}

enum class FrameKind { Invalid = 0, Root, Plain, SayAs, Sub };

struct Frame {
    std::string tag;
    size_t open_at = 0;
    FrameKind kind = FrameKind::Invalid;
    float rate = 1.0f;
    std::string interpret_as, format, alias;
    std::string collected;  // say-as / sub content
};

struct Attribute { std::string name, value; };

class Parser {
public:
    Parser(std::string_view text, std::vector<std::string>& warnings, bool implicit_root)
        : s_(text), warnings_(warnings), implicit_(implicit_root) {}

    Result<std::vector<SsmlSpan>> run() {
        if (implicit_) stack_.push_back(Frame{"", 0, FrameKind::Root, 1.0f, {}, {}, {}, {}});
        while (i_ < s_.size()) {
            if (s_[i_] == '<') {
                ATELIER_TRY(markup());
            } else {
                ATELIER_TRY(character_data());
            }
        }
        if (stack_.size() > (implicit_ ? 1u : 0u)) {
            const Frame& f = stack_.back();
            return error_at(f.open_at, "<" + f.tag + "> is never closed", "add </" + f.tag + ">");
        }
        if (!implicit_ && !root_seen_) return error_at(0, "no <speak> element", "wrap the text in <speak>...</speak>");
        flush();
        return std::move(spans_);
    }

private:
    Error error_at(size_t pos, const std::string& what, std::string hint = kHint) const {
        size_t line = 1, col = 1;
        for (size_t k = 0; k < pos && k < s_.size(); ++k) {
            if (s_[k] == '\n') ++line, col = 1;
            else if ((static_cast<unsigned char>(s_[k]) & 0xC0) != 0x80) ++col;
        }
        return make_error(ErrorCode::InvalidArgument,
                          strprintf("ssml: line %zu, column %zu (byte %zu): %s", line, col, pos, what.c_str()), std::move(hint));
    }
    bool starts_with(std::string_view p) const { return s_.substr(i_, p.size()) == p; }
    bool inside_root() const { return !stack_.empty(); }

    Status markup() {
        if (starts_with("<!--")) return skip_until("-->", "comment");
        if (starts_with("<?")) return skip_until("?>", "processing instruction");
        if (starts_with("<![CDATA[")) {
            const size_t start = i_;
            const size_t end = s_.find("]]>", i_ + 9);
            if (end == std::string_view::npos) return error_at(start, "CDATA section is never closed", "end it with ]]>");
            if (!inside_root()) return error_at(start, "text outside <speak>");
            i_ = end + 3;
            return text(std::string(s_.substr(start + 9, end - start - 9)), start);
        }
        if (starts_with("<!")) return error_at(i_, "DOCTYPE and other declarations are not supported", "remove the <!...> declaration");
        if (starts_with("</")) return end_tag();
        return start_tag();
    }

    Status skip_until(std::string_view end, const char* what) {
        const size_t at = s_.find(end, i_ + 2);
        if (at == std::string_view::npos) return error_at(i_, std::string(what) + " is never closed", "end it with " + std::string(end));
        i_ = at + end.size();
        return ok_status();
    }

    Result<std::string> name() {
        const size_t start = i_;
        if (i_ >= s_.size() || !is_name_start(s_[i_])) return error_at(i_, "expected a tag or attribute name");
        while (i_ < s_.size() && is_name_char(s_[i_])) ++i_;
        return std::string(s_.substr(start, i_ - start));
    }
    void skip_spaces() {
        while (i_ < s_.size() && is_space(s_[i_])) ++i_;
    }

    Result<std::string> attribute_value() {
        if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\'')) return error_at(i_, "expected a quoted attribute value");
        const char q = s_[i_++];
        std::string v;
        while (i_ < s_.size() && s_[i_] != q) {
            if (s_[i_] == '<') return error_at(i_, "'<' inside an attribute value", "write it as &lt;");
            if (s_[i_] == '&') {
                ATELIER_TRY_ASSIGN(std::string e, entity());
                v += e;
            } else {
                v += s_[i_++];
            }
        }
        if (i_ >= s_.size()) return error_at(i_, "attribute value is never closed");
        ++i_;
        return v;
    }

    Status start_tag() {
        const size_t open_at = i_++;
        ATELIER_TRY_ASSIGN(std::string tag, name());
        std::vector<Attribute> attrs;
        bool empty = false;
        while (true) {
            skip_spaces();
            if (i_ >= s_.size()) return error_at(open_at, "<" + tag + " is never closed", "end the tag with >");
            if (s_[i_] == '>') { ++i_; break; }
            if (starts_with("/>")) { i_ += 2; empty = true; break; }
            ATELIER_TRY_ASSIGN(std::string an, name());
            skip_spaces();
            if (i_ >= s_.size() || s_[i_] != '=') return error_at(i_, "expected '=' after attribute " + an);
            ++i_;
            skip_spaces();
            ATELIER_TRY_ASSIGN(std::string av, attribute_value());
            attrs.push_back({std::move(an), std::move(av)});
        }
        if (!inside_root()) {
            if (tag != "speak") return error_at(open_at, "the document must start with <speak>, not <" + tag + ">", "wrap the text in <speak>...</speak>");
            if (root_seen_) return error_at(open_at, "a second <speak> element after the first", "put everything inside one <speak>");
            root_seen_ = true;
        }
        if (static_cast<int>(stack_.size()) >= kSsmlMaxDepth) return error_at(open_at, "elements nested too deeply", "nest fewer than 64 elements");
        Frame f{tag, open_at, FrameKind::Plain, stack_.empty() ? 1.0f : stack_.back().rate, {}, {}, {}, {}};
        apply_tag(f, attrs);
        if (empty) return close(std::move(f));
        stack_.push_back(std::move(f));
        return ok_status();
    }

    Status end_tag() {
        const size_t at = i_;
        i_ += 2;
        ATELIER_TRY_ASSIGN(std::string tag, name());
        skip_spaces();
        if (i_ >= s_.size() || s_[i_] != '>') return error_at(i_, "expected '>' to end </" + tag + ">");
        ++i_;
        if (stack_.empty() || stack_.back().kind == FrameKind::Root)
            return error_at(at, "</" + tag + "> closes nothing", "remove it or add the opening <" + tag + ">");
        if (stack_.back().tag != tag)
            return error_at(at, "</" + tag + "> where </" + stack_.back().tag + "> was expected", "close the elements in the order they were opened");
        Frame f = std::move(stack_.back());
        stack_.pop_back();
        return close(std::move(f));
    }

    static std::string attr(const std::vector<Attribute>& attrs, std::string_view n) {
        for (auto it = attrs.rbegin(); it != attrs.rend(); ++it)
            if (it->name == n) return it->value;
        return {};
    }
    bool collecting() const {
        return std::any_of(stack_.begin(), stack_.end(), [](const Frame& f) { return f.kind == FrameKind::SayAs || f.kind == FrameKind::Sub; });
    }
    void warn(const std::string& w) {
        if (warned_.insert(w).second) warnings_.push_back("ssml: " + w);
    }

    // What an opening tag does: rate, break, say-as/sub collection, sentence boundaries.
    void apply_tag(Frame& f, const std::vector<Attribute>& attrs) {
        const std::string& t = f.tag;
        if (t == "speak" || t == "p" || t == "s" || t == "paragraph" || t == "sentence") {
            if (t != "speak" && !collecting()) flush();
        } else if (t == "break") {
            if (collecting()) return warn("<break> inside <say-as> or <sub> is ignored");
            std::optional<int64_t> ms;
            if (const std::string tv = attr(attrs, "time"); !tv.empty()) {
                ms = parse_duration_ms(tv);
                if (!ms) warn("<break time=\"" + tv + "\"> is not a duration like 500ms or 1.5s; a medium break is used");
            }
            if (!ms) {
                const std::string sv = attr(attrs, "strength");
                ms = strength_ms(sv.empty() ? "medium" : sv);
                if (!ms) warn("<break strength=\"" + sv + "\"> is unknown; a medium break is used"), ms = 500;
            }
            if (*ms > kSsmlMaxBreakMs) warn("a break longer than 10 s is cut to 10 s"), ms = kSsmlMaxBreakMs;
            flush();
            spans_.push_back(SsmlSpan{{}, 1.0f, *ms});
        } else if (t == "prosody") {
            const std::string rv = attr(attrs, "rate");
            if (!rv.empty()) {
                auto r = parse_rate(rv);
                if (!r) warn("<prosody rate=\"" + rv + "\"> is not a rate (slow, fast, 80%, 1.2); ignored");
                else f.rate = std::clamp(f.rate * *r, kSsmlMinRate, kSsmlMaxRate);
                if (r && (f.rate == kSsmlMinRate || f.rate == kSsmlMaxRate)) warn("speaking rates are limited to 0.25..4");
            }
            if (!attr(attrs, "pitch").empty() || !attr(attrs, "volume").empty()) warn("<prosody> pitch and volume are not supported; ignored");
        } else if (t == "say-as") {
            f.kind = FrameKind::SayAs;
            f.interpret_as = attr(attrs, "interpret-as");
            f.format = attr(attrs, "format");
        } else if (t == "sub") {
            f.kind = FrameKind::Sub;
            f.alias = attr(attrs, "alias");
        } else {
            warn("<" + t + "> is not supported; its text is spoken as is");
        }
    }

    Status close(Frame f) {
        if (f.kind == FrameKind::SayAs) {
            auto words = say_as_words(f.interpret_as, f.format, f.collected);
            static constexpr const char* kKinds[] = {"cardinal", "number", "ordinal", "digits", "date", "time",
                                                     "telephone", "characters", "spell-out"};
            const bool known = std::any_of(std::begin(kKinds), std::end(kKinds), [&](const char* k) { return f.interpret_as == k; });
            if (!known)
                warn("<say-as interpret-as=\"" + f.interpret_as + "\"> is not supported (cardinal, ordinal, digits, date, time, telephone, characters); spoken as written");
            else if (!words)
                warn("<say-as interpret-as=\"" + f.interpret_as + "\"> could not read '" + f.collected.substr(0, 40) + "'; spoken as written");
            return text(words ? " " + *words + " " : f.collected, f.open_at);
        }
        if (f.kind == FrameKind::Sub) {
            if (f.alias.empty()) warn("<sub> without alias; its text is spoken");
            return text(f.alias.empty() ? f.collected : f.alias, f.open_at);
        }
        if (f.tag == "p" || f.tag == "s" || f.tag == "paragraph" || f.tag == "sentence") {
            if (!collecting()) flush();
        }
        return ok_status();
    }

    // Decodes one entity at i_ ('&').
    Result<std::string> entity() {
        const size_t at = i_;
        const size_t semi = s_.find(';', i_);
        if (semi == std::string_view::npos || semi - at > 12) return error_at(at, "'&' that starts no entity", "write & as &amp;");
        const std::string_view body = s_.substr(at + 1, semi - at - 1);
        i_ = semi + 1;
        static constexpr std::pair<const char*, const char*> kNamed[] = {{"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}};
        for (const auto& [n, v] : kNamed)
            if (body == n) return std::string(v);
        if (body.size() >= 2 && body[0] == '#') {
            const bool hex = body[1] == 'x' || body[1] == 'X';
            const std::string digits(body.substr(hex ? 2 : 1));
            char* end = nullptr;
            const unsigned long cp = digits.empty() ? 0 : std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
            const bool valid = !digits.empty() && end == digits.c_str() + digits.size() && std::isxdigit(static_cast<unsigned char>(digits[0]));
            if (!valid || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return error_at(at, "&" + std::string(body) + "; is not a valid character reference");
            std::string out;
            utf8_append(out, static_cast<uint32_t>(cp));
            return out;
        }
        return error_at(at, "unknown entity &" + std::string(body) + ";", "use &amp; &lt; &gt; &quot; &apos; or &#NNN;");
    }

    Status character_data() {
        const size_t start = i_;
        std::string t;
        while (i_ < s_.size() && s_[i_] != '<') {
            if (s_[i_] == '&') {
                ATELIER_TRY_ASSIGN(std::string e, entity());
                t += e;
            } else {
                t += s_[i_++];
            }
        }
        if (!inside_root()) {
            if (std::all_of(t.begin(), t.end(), [](char c) { return is_space(c); })) return ok_status();
            return error_at(start, root_seen_ ? "text after </speak>" : "text before <speak>", "put all text inside <speak>...</speak>");
        }
        return text(t, start);
    }

    // Routes text to the innermost collecting element, else to the current span.
    Status text(const std::string& t, size_t /*at*/) {
        for (auto it = stack_.rbegin(); it != stack_.rend(); ++it)
            if (it->kind == FrameKind::SayAs || it->kind == FrameKind::Sub) {
                it->collected += t;
                return ok_status();
            }
        const float rate = stack_.empty() ? 1.0f : stack_.back().rate;
        if (rate != cur_rate_) flush(), cur_rate_ = rate;
        cur_ += t;
        return ok_status();
    }

    void flush() {
        if (!cur_.empty()) spans_.push_back(SsmlSpan{std::move(cur_), cur_rate_, -1});
        cur_.clear();
    }

    std::string_view s_;
    std::vector<std::string>& warnings_;
    bool implicit_;
    size_t i_ = 0;
    bool root_seen_ = false;
    std::vector<Frame> stack_;
    std::vector<SsmlSpan> spans_;
    std::string cur_;
    float cur_rate_ = 1.0f;
    std::set<std::string> warned_;
};

}  // namespace

bool looks_like_ssml(std::string_view text) {
    size_t i = 0;
    auto skip = [&] {
        while (i < text.size() && is_space(text[i])) ++i;
    };
    if (text.substr(0, 3) == "\xEF\xBB\xBF") i = 3;  // UTF-8 byte order mark
    skip();
    if (text.substr(i, 5) == "<?xml") {
        const size_t end = text.find("?>", i);
        if (end == std::string_view::npos) return false;
        i = end + 2;
        skip();
    }
    return text.substr(i, 6) == "<speak" && (i + 6 == text.size() || !is_name_char(text[i + 6]));
}

Result<std::vector<SsmlSpan>> parse_ssml(std::string_view text, std::vector<std::string>& warnings, bool implicit_root) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    return Parser(text, warnings, implicit_root).run();
}

}  // namespace atelier::infer::tts
