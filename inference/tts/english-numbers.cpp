// English number, date, time, telephone and spelling expansion (see english-numbers.h). Numbers
// are handled as digit strings, so no input overflows; every parser checks its whole input.
// Thread-safety: any thread (no state).
#include "inference/tts/english-numbers.h"

#include <array>
#include <cctype>
#include <vector>

namespace atelier::infer::tts {
namespace {

constexpr std::array<const char*, 20> kOnes = {"zero",    "one",     "two",       "three",    "four",
                                               "five",    "six",     "seven",     "eight",    "nine",
                                               "ten",     "eleven",  "twelve",    "thirteen", "fourteen",
                                               "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
constexpr std::array<const char*, 10> kTens = {"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"};
constexpr std::array<const char*, 7> kScales = {"", "thousand", "million", "billion", "trillion", "quadrillion", "quintillion"};
constexpr std::array<const char*, 12> kMonths = {"January", "February", "March",     "April",   "May",      "June",
                                                 "July",    "August",   "September", "October", "November", "December"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_digit(c)) return false;
    return true;
}
std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}
void append_word(std::string& out, std::string_view w) {
    if (w.empty()) return;
    if (!out.empty()) out += ' ';
    out += w;
}
// Value of a short digit string (callers check the length, so it fits).
int64_t small_value(std::string_view d) {
    int64_t v = 0;
    for (char c : d) v = v * 10 + (c - '0');
    return v;
}

// 0..999 -> words ("" for 0 unless say_zero).
std::string under_thousand(int v, bool say_zero = false) {
    if (v == 0) return say_zero ? "zero" : "";
    std::string out;
    if (v >= 100) out = std::string(kOnes[static_cast<size_t>(v / 100)]) + " hundred";
    const int r = v % 100;
    if (r == 0) return out;
    std::string tail;
    if (r < 20) {
        tail = kOnes[static_cast<size_t>(r)];
    } else {
        tail = kTens[static_cast<size_t>(r / 10)];
        if (r % 10 != 0) tail += std::string("-") + kOnes[static_cast<size_t>(r % 10)];
    }
    append_word(out, tail);
    return out;
}

// A non-negative integer given as digits (leading zeros allowed).
std::string integer_words(std::string_view d) {
    while (d.size() > 1 && d.front() == '0') d.remove_prefix(1);
    if (d.size() > 3 * kScales.size()) {
        std::string out;
        for (char c : d) append_word(out, kOnes[static_cast<size_t>(c - '0')]);
        return out;
    }
    if (d.size() <= 3 && small_value(d) == 0) return "zero";
    std::string out;
    const size_t groups = (d.size() + 2) / 3;
    size_t first = d.size() - (groups - 1) * 3;  // digits in the leading group
    size_t at = 0;
    for (size_t g = groups; g-- > 0;) {
        const size_t len = at == 0 ? first : 3;
        const int v = static_cast<int>(small_value(d.substr(at, len)));
        at += len;
        if (v == 0) continue;
        append_word(out, under_thousand(v));
        append_word(out, kScales[g]);
    }
    return out.empty() ? "zero" : out;
}

// Last word of a cardinal made ordinal: "one" -> "first", "twenty" -> "twentieth".
std::string ordinalise(std::string words) {
    const size_t cut = words.find_last_of(" -");
    const size_t start = cut == std::string::npos ? 0 : cut + 1;
    const std::string last = words.substr(start);
    static constexpr std::pair<const char*, const char*> kIrregular[] = {
        {"one", "first"}, {"two", "second"}, {"three", "third"}, {"five", "fifth"},
        {"eight", "eighth"}, {"nine", "ninth"}, {"twelve", "twelfth"}};
    std::string replaced;
    for (const auto& [from, to] : kIrregular)
        if (last == from) replaced = to;
    if (replaced.empty()) {
        if (!last.empty() && last.back() == 'y') replaced = last.substr(0, last.size() - 1) + "ieth";
        else replaced = last + "th";
    }
    return words.substr(0, start) + replaced;
}

// "1,234,567" -> "1234567" when the grouping is valid; otherwise the input unchanged.
std::string strip_grouping(std::string_view s) {
    if (s.find(',') == std::string_view::npos) return std::string(s);
    std::string out;
    size_t group = 0;
    bool first = true;
    for (size_t i = 0; i <= s.size(); ++i) {
        if (i == s.size() || s[i] == ',') {
            if (group == 0 || group > 3 || (!first && group != 3)) return std::string(s);
            first = false;
            group = 0;
            continue;
        }
        out += s[i];
        ++group;
    }
    return out;
}

struct DateParts { int64_t y = -1, m = -1, d = -1; };

bool valid_date(const DateParts& p) {
    if (p.m != -1 && (p.m < 1 || p.m > 12)) return false;
    if (p.d != -1) {
        static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        if (p.d < 1 || p.d > (p.m == -1 ? 31 : kDays[p.m - 1])) return false;
    }
    return p.y != -1 || p.m != -1;
}

// Splits on - / . into 1..3 all-digit fields.
std::vector<std::string_view> date_fields(std::string_view s) {
    std::vector<std::string_view> f;
    size_t start = 0;
    for (size_t i = 0; i <= s.size(); ++i) {
        if (i == s.size() || s[i] == '-' || s[i] == '/' || s[i] == '.') {
            f.push_back(s.substr(start, i - start));
            start = i + 1;
        }
    }
    for (auto v : f)
        if (!all_digits(v) || v.size() > 4) return {};
    return f.size() <= 3 ? f : std::vector<std::string_view>{};
}

std::string date_phrase(const DateParts& p) {
    std::string out;
    if (p.m != -1) out = kMonths[static_cast<size_t>(p.m - 1)];
    if (p.d != -1) append_word(out, ordinalise(integer_words(std::to_string(p.d))));
    if (p.y != -1) {
        if (!out.empty() && p.d != -1) out += ',';
        append_word(out, year_words(p.y));
    }
    return out;
}

// "pm", "p.m.", "PM" (after optional spaces) -> "PM"; "" if none. Sets used to the bytes read.
std::string meridiem(std::string_view s, size_t& used) {
    size_t i = 0;
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size()) return "";
    const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
    if (c != 'a' && c != 'p') return "";
    size_t j = i + 1;
    const bool dotted = j < s.size() && s[j] == '.';  // "p.m." (a trailing dot after "pm" ends the sentence)
    if (dotted) ++j;
    if (j >= s.size() || std::tolower(static_cast<unsigned char>(s[j])) != 'm') return "";
    ++j;
    if (dotted && j < s.size() && s[j] == '.') ++j;
    used = j;
    return c == 'a' ? "AM" : "PM";
}

}  // namespace

std::optional<std::string> cardinal_words(std::string_view number) {
    number = trim(number);
    std::string sign;
    if (!number.empty() && (number.front() == '-' || number.front() == '+')) {
        sign = number.front() == '-' ? "minus" : "plus";
        number.remove_prefix(1);
    }
    const size_t dot = number.find('.');
    const std::string whole = strip_grouping(number.substr(0, dot));
    if (!all_digits(whole)) return std::nullopt;
    std::string out = sign;
    append_word(out, integer_words(whole));
    if (dot != std::string_view::npos) {
        const std::string_view frac = number.substr(dot + 1);
        if (!all_digits(frac)) return std::nullopt;
        append_word(out, "point");
        for (char c : frac) append_word(out, kOnes[static_cast<size_t>(c - '0')]);
    }
    return out;
}

std::optional<std::string> ordinal_words(std::string_view number) {
    number = trim(number);
    if (number.size() > 2) {
        std::string suffix(number.substr(number.size() - 2));
        for (char& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (suffix == "st" || suffix == "nd" || suffix == "rd" || suffix == "th") number.remove_suffix(2);
    }
    const std::string whole = strip_grouping(number);
    if (!all_digits(whole)) return std::nullopt;
    return ordinalise(integer_words(whole));
}

std::optional<std::string> digit_words(std::string_view digits) {
    std::string out;
    for (char c : digits)
        if (is_digit(c)) append_word(out, kOnes[static_cast<size_t>(c - '0')]);
    if (out.empty()) return std::nullopt;
    return out;
}

std::string year_words(int64_t year) {
    if (year < 1000 || year > 9999) return integer_words(std::to_string(year < 0 ? -year : year));
    const int hi = static_cast<int>(year / 100), lo = static_cast<int>(year % 100);
    if (year >= 2000 && year <= 2009) return integer_words(std::to_string(year));
    if (lo == 0) return under_thousand(hi) + " hundred";
    if (lo < 10) return under_thousand(hi) + " oh " + kOnes[static_cast<size_t>(lo)];
    return under_thousand(hi) + " " + under_thousand(lo);
}

std::optional<std::string> date_words(std::string_view text, std::string_view format) {
    text = trim(text);
    const auto f = date_fields(text);
    if (f.empty()) return std::nullopt;
    std::string fmt(format);
    if (fmt.empty()) {
        if (f.size() == 3) fmt = f[0].size() == 4 ? "ymd" : "mdy";
        else if (f.size() == 2) fmt = f[0].size() == 4 ? "ym" : (f[1].size() == 4 ? "my" : "md");
        else fmt = "y";
    }
    if (fmt.size() != f.size()) return std::nullopt;
    DateParts p;
    for (size_t i = 0; i < fmt.size(); ++i) {
        const int64_t v = small_value(f[i]);
        switch (fmt[i]) {
            case 'y': p.y = f[i].size() == 2 ? 2000 + v : v; break;  // "24" -> 2024 (US short form)
            case 'm': p.m = v; break;
            case 'd': p.d = v; break;
            default: return std::nullopt;
        }
    }
    if (fmt.find('y') != fmt.rfind('y') || fmt.find('m') != fmt.rfind('m') || fmt.find('d') != fmt.rfind('d')) return std::nullopt;
    if (!valid_date(p)) return std::nullopt;
    return date_phrase(p);
}

std::optional<std::string> time_words(std::string_view text) {
    text = trim(text);
    size_t i = 0;
    auto field = [&](size_t max_len) -> int64_t {
        const size_t start = i;
        while (i < text.size() && is_digit(text[i]) && i - start < max_len) ++i;
        return i == start ? -1 : small_value(text.substr(start, i - start));
    };
    const int64_t h = field(2);
    if (h < 0 || i >= text.size() || text[i] != ':') return std::nullopt;
    ++i;
    const size_t m_start = i;
    const int64_t m = field(2);
    if (m < 0 || i - m_start != 2) return std::nullopt;
    int64_t sec = -1;
    if (i < text.size() && text[i] == ':') {
        ++i;
        const size_t s_start = i;
        sec = field(2);
        if (sec < 0 || i - s_start != 2 || sec > 59) return std::nullopt;
    }
    size_t used = 0;
    const std::string mer = meridiem(text.substr(i), used);
    if (i + used != text.size()) return std::nullopt;
    if (h > (mer.empty() ? 23 : 12) || m > 59 || (!mer.empty() && h == 0)) return std::nullopt;
    std::string out = under_thousand(static_cast<int>(h), true);
    if (m == 0) append_word(out, mer.empty() && h > 12 ? "hundred" : (mer.empty() ? "o'clock" : ""));
    else if (m < 10) append_word(out, std::string("oh ") + kOnes[static_cast<size_t>(m)]);
    else append_word(out, under_thousand(static_cast<int>(m)));
    if (sec > 0) append_word(out, "and " + under_thousand(static_cast<int>(sec)) + (sec == 1 ? " second" : " seconds"));
    append_word(out, mer);
    return out;
}

std::optional<std::string> telephone_words(std::string_view text) {
    std::string out, group;
    bool any = false;
    auto flush = [&] {
        if (group.empty()) return;
        if (!out.empty()) out += ',';
        append_word(out, group);
        group.clear();
    };
    for (char c : text) {
        if (is_digit(c)) {
            append_word(group, kOnes[static_cast<size_t>(c - '0')]);
            any = true;
        } else if (c == '+' && out.empty() && group.empty()) {
            group = "plus";
        } else if (c == '-' || c == ' ' || c == '.' || c == '(' || c == ')' || c == '/') {
            if (group != "plus") flush();
        } else if (is_alpha(c)) {
            append_word(group, std::string(1, static_cast<char>(std::toupper(static_cast<unsigned char>(c)))));
        } else {
            return std::nullopt;
        }
    }
    flush();
    if (!any) return std::nullopt;
    return out;
}

std::optional<std::string> character_words(std::string_view text) {
    std::string out, letters;
    auto flush = [&] {
        append_word(out, letters);
        letters.clear();
    };
    for (char c : text) {
        if (is_alpha(c)) {
            if (!letters.empty()) letters += '-';
            letters += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        } else {
            flush();
            if (is_digit(c)) append_word(out, kOnes[static_cast<size_t>(c - '0')]);
        }
    }
    flush();
    if (out.empty()) return std::nullopt;
    return out;
}

std::optional<std::string> say_as_words(std::string_view interpret_as, std::string_view format, std::string_view text) {
    if (interpret_as == "cardinal" || interpret_as == "number") return cardinal_words(text);
    if (interpret_as == "ordinal") return ordinal_words(text);
    if (interpret_as == "digits") return digit_words(text);
    if (interpret_as == "date") return date_words(text, format);
    if (interpret_as == "time") return time_words(text);
    if (interpret_as == "telephone") return telephone_words(text);
    if (interpret_as == "characters" || interpret_as == "spell-out") return character_words(text);
    return std::nullopt;
}

std::string expand_numbers_in_text(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        const bool at_word_start = i == 0 || !(is_digit(text[i - 1]) || is_alpha(text[i - 1]) || text[i - 1] == '/' ||
                                               text[i - 1] == '-' || text[i - 1] == ':' || text[i - 1] == '.');
        if (!at_word_start || !(is_digit(text[i]) || text[i] == '(')) {
            out += text[i++];
            continue;
        }
        // The candidate token: digits and the separators the patterns use.
        size_t j = i;
        while (j < text.size() && (is_digit(text[j]) || text[j] == '-' || text[j] == '/' || text[j] == ':' ||
                                   text[j] == '(' || text[j] == ')' || (text[j] == ' ' && j > i && text[j - 1] == ')')))
            ++j;
        while (j > i && !is_digit(text[j - 1])) --j;  // trailing separators belong to the sentence
        const std::string_view tok = text.substr(i, j - i);
        const bool followed_by_word = j < text.size() && (is_digit(text[j]) || is_alpha(text[j]));
        std::optional<std::string> words;
        if (!followed_by_word && tok.size() >= 4) {
            if (tok.find(':') != std::string_view::npos && tok.find_first_of("-/()") == std::string_view::npos) {
                size_t used = 0;
                const std::string mer = meridiem(text.substr(j), used);
                const size_t end = j + used;
                if (end >= text.size() || !is_alpha(text[end])) {
                    words = time_words(text.substr(i, end - i));
                    if (words) j = end;
                }
            } else if (tok.size() == 10 && tok[4] == '-' && tok[7] == '-') {
                words = date_words(tok, "ymd");
            } else if (tok.find('/') != std::string_view::npos && tok.find_first_of("-:()") == std::string_view::npos &&
                       date_fields(tok).size() == 3) {
                words = date_words(tok, "mdy");
            } else if ((tok.size() == 12 && tok[3] == '-' && tok[7] == '-') ||
                       (tok.size() == 14 && tok[0] == '(' && tok[4] == ')' && tok[5] == ' ' && tok[9] == '-') ||
                       (tok.size() == 13 && tok[0] == '(' && tok[4] == ')' && tok[8] == '-')) {
                words = telephone_words(tok);
            }
        }
        if (words) {
            out += *words;
        } else {
            j = i;
            while (j < text.size() && (is_digit(text[j]) || text[j] == '(')) ++j;
            if (j == i) ++j;
            out.append(text.substr(i, j - i));
        }
        i = j;
    }
    return out;
}

}  // namespace atelier::infer::tts
