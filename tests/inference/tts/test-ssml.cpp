// SSML-lite parsing and English number/date/time wording (no voice needed). The expected words
// are how English speakers read these numbers (written by hand, not taken from our output); the
// cardinals are also checked against espeak-ng's own reading of the digits, an independent reader.
#include <gtest/gtest.h>

#include "inference/tts/english-numbers.h"
#include "inference/tts/phonemize.h"
#include "inference/tts/ssml.h"

namespace tts = atelier::infer::tts;

namespace {

std::vector<tts::SsmlSpan> parse_ok(const std::string& doc, std::vector<std::string>* warnings = nullptr) {
    std::vector<std::string> w;
    auto r = tts::parse_ssml(doc, warnings ? *warnings : w);
    EXPECT_TRUE(r.ok()) << doc << ": " << (r.ok() ? "" : r.error().message());
    return r.ok() ? *r : std::vector<tts::SsmlSpan>{};
}

std::string parse_error(const std::string& doc) {
    std::vector<std::string> w;
    auto r = tts::parse_ssml(doc, w);
    EXPECT_FALSE(r.ok()) << doc;
    if (r.ok()) return {};
    EXPECT_EQ(r.error().code, atelier::ErrorCode::InvalidArgument) << doc;
    EXPECT_FALSE(r.error().hint.empty()) << doc;
    return r.error().detail;
}

}  // namespace

TEST(EnglishNumbers, Cardinals) {
    EXPECT_EQ(tts::cardinal_words("0"), "zero");
    EXPECT_EQ(tts::cardinal_words("7"), "seven");
    EXPECT_EQ(tts::cardinal_words("13"), "thirteen");
    EXPECT_EQ(tts::cardinal_words("40"), "forty");
    EXPECT_EQ(tts::cardinal_words("21"), "twenty-one");
    EXPECT_EQ(tts::cardinal_words("100"), "one hundred");
    EXPECT_EQ(tts::cardinal_words("123"), "one hundred twenty-three");
    EXPECT_EQ(tts::cardinal_words("1,234"), "one thousand two hundred thirty-four");
    EXPECT_EQ(tts::cardinal_words("1000000"), "one million");
    EXPECT_EQ(tts::cardinal_words("2000005"), "two million five");
    EXPECT_EQ(tts::cardinal_words("-5"), "minus five");
    EXPECT_EQ(tts::cardinal_words("3.14"), "three point one four");
    EXPECT_EQ(tts::cardinal_words("007"), "seven");
    EXPECT_FALSE(tts::cardinal_words("12a"));
    EXPECT_FALSE(tts::cardinal_words("1,23"));  // bad grouping
    EXPECT_FALSE(tts::cardinal_words(""));
    EXPECT_FALSE(tts::cardinal_words("1.2.3"));
    // 25 digits: beyond the scale names, read digit by digit (no overflow).
    EXPECT_EQ(tts::cardinal_words("1000000000000000000000000")->substr(0, 13), "one zero zero");
}

TEST(EnglishNumbers, CardinalsSoundLikeEspeakReadingTheDigits) {
    // espeak-ng reads plain cardinals correctly; our words must give the same phonemes.
    tts::PhonemizeOptions po;
    for (const char* n : {"7", "21", "115", "342", "1,999", "40000", "1000000", "3.5"}) {
        auto words = tts::cardinal_words(n);
        ASSERT_TRUE(words) << n;
        auto a = tts::phonemize_espeak(*words, po);
        auto b = tts::phonemize_espeak(n, po);
        ASSERT_TRUE(a.ok() && b.ok()) << (a.ok() ? b.error().message() : a.error().message());
        std::string pa, pb;
        for (const auto& s : *a)
            for (const auto& p : s) pa += p;
        for (const auto& s : *b)
            for (const auto& p : s) pb += p;
        // Hyphens and word spacing differ ("twenty-one" is one word), so compare without spaces and
        // stress; espeak-ng's number rules write "four(ty)" with oː where its dictionary has ɔː.
        auto strip = [](std::string s) {
            std::string o;
            for (size_t i = 0; i < s.size(); ++i) {
                if (s[i] == ' ') continue;
                if (s.compare(i, 2, "\xC9\x94") == 0) { o += 'o'; ++i; continue; }  // ɔ -> o
                if (s.compare(i, 2, "\xCB\x88") == 0 || s.compare(i, 2, "\xCB\x8C") == 0) { ++i; continue; }  // ˈ ˌ
                o += s[i];
            }
            return o;
        };
        EXPECT_EQ(strip(pa), strip(pb)) << n << ": '" << *words << "'";
    }
}

TEST(EnglishNumbers, OrdinalsDigitsYears) {
    EXPECT_EQ(tts::ordinal_words("1"), "first");
    EXPECT_EQ(tts::ordinal_words("2nd"), "second");
    EXPECT_EQ(tts::ordinal_words("3"), "third");
    EXPECT_EQ(tts::ordinal_words("12"), "twelfth");
    EXPECT_EQ(tts::ordinal_words("20"), "twentieth");
    EXPECT_EQ(tts::ordinal_words("21st"), "twenty-first");
    EXPECT_EQ(tts::ordinal_words("100"), "one hundredth");
    EXPECT_EQ(tts::ordinal_words("1005"), "one thousand fifth");
    EXPECT_FALSE(tts::ordinal_words("x"));
    EXPECT_EQ(tts::digit_words("2024"), "two zero two four");
    EXPECT_FALSE(tts::digit_words("abc"));
    EXPECT_EQ(tts::year_words(1995), "nineteen ninety-five");
    EXPECT_EQ(tts::year_words(1905), "nineteen oh five");
    EXPECT_EQ(tts::year_words(1900), "nineteen hundred");
    EXPECT_EQ(tts::year_words(2000), "two thousand");
    EXPECT_EQ(tts::year_words(2007), "two thousand seven");
    EXPECT_EQ(tts::year_words(2024), "twenty twenty-four");
    EXPECT_EQ(tts::year_words(476), "four hundred seventy-six");
}

TEST(EnglishNumbers, DatesTimesPhonesCharacters) {
    EXPECT_EQ(tts::date_words("2024-03-15"), "March fifteenth, twenty twenty-four");
    EXPECT_EQ(tts::date_words("3/15/2024"), "March fifteenth, twenty twenty-four");
    EXPECT_EQ(tts::date_words("07/04/1776"), "July fourth, seventeen seventy-six");
    EXPECT_EQ(tts::date_words("15.03.2024", "dmy"), "March fifteenth, twenty twenty-four");
    EXPECT_EQ(tts::date_words("12/25"), "December twenty-fifth");
    EXPECT_EQ(tts::date_words("2024-03", "ym"), "March twenty twenty-four");
    EXPECT_EQ(tts::date_words("3/15/24"), "March fifteenth, twenty twenty-four");
    EXPECT_FALSE(tts::date_words("2024-13-01"));  // no month 13
    EXPECT_FALSE(tts::date_words("2/30/2024"));   // no February 30
    EXPECT_FALSE(tts::date_words("2024-03-15", "mdy"));
    EXPECT_FALSE(tts::date_words("hello"));
    EXPECT_EQ(tts::time_words("14:30"), "fourteen thirty");
    EXPECT_EQ(tts::time_words("9:05"), "nine oh five");
    EXPECT_EQ(tts::time_words("9:05 pm"), "nine oh five PM");
    EXPECT_EQ(tts::time_words("11:45a.m."), "eleven forty-five AM");
    EXPECT_EQ(tts::time_words("12:00"), "twelve o'clock");
    EXPECT_EQ(tts::time_words("2:00 PM"), "two PM");
    EXPECT_EQ(tts::time_words("18:00"), "eighteen hundred");
    EXPECT_EQ(tts::time_words("7:15:30"), "seven fifteen and thirty seconds");
    EXPECT_FALSE(tts::time_words("25:00"));
    EXPECT_FALSE(tts::time_words("13:00 pm"));
    EXPECT_FALSE(tts::time_words("9:5"));
    EXPECT_EQ(tts::telephone_words("555-123-4567"), "five five five, one two three, four five six seven");
    EXPECT_EQ(tts::telephone_words("+1 (555) 123-4567"), "plus one, five five five, one two three, four five six seven");
    EXPECT_FALSE(tts::telephone_words("call me"));
    EXPECT_EQ(tts::character_words("abc"), "A-B-C");
    EXPECT_EQ(tts::character_words("R2D2"), "R two D two");
    EXPECT_EQ(tts::say_as_words("cardinal", "", "42"), "forty-two");
    EXPECT_FALSE(tts::say_as_words("currency", "", "42"));
}

TEST(EnglishNumbers, PlainTextExpansion) {
    EXPECT_EQ(tts::expand_numbers_in_text("Due 2024-03-15, at 9:05 pm."),
              "Due March fifteenth, twenty twenty-four, at nine oh five PM.");
    EXPECT_EQ(tts::expand_numbers_in_text("Born 7/4/1990 at 14:30; call (555) 123-4567 or 555-123-4567!"),
              "Born July fourth, nineteen ninety at fourteen thirty; call five five five, one two three, four five six seven "
              "or five five five, one two three, four five six seven!");
    // Left alone: counts, decimals, ordinals, ratios, invalid dates, numbers glued to words.
    for (const char* keep : {"I have 42 apples.", "Pi is 3.14.", "the 21st time", "a 3:2 ratio", "on 2024-13-45 or",
                             "item 12-34", "v2024-03-15", "room 101"})
        EXPECT_EQ(tts::expand_numbers_in_text(keep), keep);
}

TEST(Ssml, Detection) {
    EXPECT_TRUE(tts::looks_like_ssml("<speak>hi</speak>"));
    EXPECT_TRUE(tts::looks_like_ssml("  \n<speak version=\"1.1\">hi</speak>"));
    EXPECT_TRUE(tts::looks_like_ssml("<?xml version=\"1.0\"?>\n<speak>hi</speak>"));
    EXPECT_FALSE(tts::looks_like_ssml("Hello <speak>"));
    EXPECT_FALSE(tts::looks_like_ssml("<speaker>x</speaker>"));
    EXPECT_FALSE(tts::looks_like_ssml(""));
}

TEST(Ssml, BreaksRatesSayAs) {
    const auto s = parse_ok(
        "<speak>Hello <break time=\"500ms\"/>world<break time='1.5s'/><break strength=\"strong\"/>"
        "<prosody rate=\"slow\">slowly <prosody rate=\"50%\">very</prosody></prosody> "
        "<say-as interpret-as=\"cardinal\">123</say-as> on <say-as interpret-as=\"date\">2024-03-15</say-as>"
        " &amp; <sub alias=\"World Wide Web\">WWW</sub>&#33;</speak>");
    ASSERT_EQ(s.size(), 8u);
    EXPECT_EQ(s[0].text, "Hello ");
    EXPECT_EQ(s[1].break_ms, 500);
    EXPECT_EQ(s[2].text, "world");
    EXPECT_EQ(s[3].break_ms, 1500);
    EXPECT_EQ(s[4].break_ms, 750);
    EXPECT_EQ(s[5].text, "slowly ");
    EXPECT_FLOAT_EQ(s[5].rate, 0.8f);
    EXPECT_EQ(s[6].text, "very");
    EXPECT_FLOAT_EQ(s[6].rate, 0.4f);  // nested rates multiply
    EXPECT_EQ(s[7].text, "  one hundred twenty-three  on  March fifteenth, twenty twenty-four  & World Wide Web!");
    EXPECT_FLOAT_EQ(s[7].rate, 1.0f);
    EXPECT_FALSE(s[7].is_break());
}

TEST(Ssml, RateForms) {
    auto rate = [](const std::string& r) {
        const auto s = parse_ok("<speak><prosody rate=\"" + r + "\">x</prosody></speak>");
        return s.empty() ? -1.0f : s[0].rate;
    };
    EXPECT_FLOAT_EQ(rate("fast"), 1.25f);
    EXPECT_FLOAT_EQ(rate("x-slow"), 0.6f);
    EXPECT_FLOAT_EQ(rate("80%"), 0.8f);
    EXPECT_FLOAT_EQ(rate("+20%"), 1.2f);
    EXPECT_FLOAT_EQ(rate("-10%"), 0.9f);
    EXPECT_FLOAT_EQ(rate("1.2"), 1.2f);
    EXPECT_FLOAT_EQ(rate("100"), 4.0f);  // clamped
    std::vector<std::string> w;
    const auto s = parse_ok("<speak><prosody rate=\"zippy\">x</prosody></speak>", &w);
    ASSERT_EQ(s.size(), 1u);
    EXPECT_FLOAT_EQ(s[0].rate, 1.0f);
    ASSERT_EQ(w.size(), 1u);
    EXPECT_NE(w[0].find("zippy"), std::string::npos);
}

TEST(Ssml, UnknownTagsAreIgnoredWithAWarning) {
    std::vector<std::string> w;
    const auto s = parse_ok("<speak><emphasis level=\"strong\">Hi</emphasis> <voice name=\"x\">there</voice> "
                            "<emphasis>again</emphasis><!-- note --><![CDATA[ <raw> ]]></speak>", &w);
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].text, "Hi there again <raw> ");
    ASSERT_EQ(w.size(), 2u);  // one per tag name
    EXPECT_NE(w[0].find("<emphasis>"), std::string::npos);
    EXPECT_NE(w[1].find("<voice>"), std::string::npos);
}

TEST(Ssml, SentenceElementsSplitSpansAndBadSayAsFallsBack) {
    std::vector<std::string> w;
    const auto s = parse_ok("<speak><p><s>One</s><s>Two</s></p><say-as interpret-as=\"date\">soon</say-as>"
                            "<break time=\"99s\"/></speak>", &w);
    ASSERT_EQ(s.size(), 4u);
    EXPECT_EQ(s[0].text, "One");
    EXPECT_EQ(s[1].text, "Two");
    EXPECT_EQ(s[2].text, "soon");
    EXPECT_EQ(s[3].break_ms, tts::kSsmlMaxBreakMs);
    ASSERT_EQ(w.size(), 2u);
    EXPECT_NE(w[0].find("could not read 'soon'"), std::string::npos) << w[0];
    w.clear();
    const auto u = parse_ok("<speak><say-as interpret-as=\"currency\">$5</say-as></speak>", &w);
    ASSERT_EQ(u.size(), 1u);
    EXPECT_EQ(u[0].text, "$5");
    ASSERT_EQ(w.size(), 1u);
    EXPECT_NE(w[0].find("not supported"), std::string::npos) << w[0];
}

TEST(Ssml, MalformedDocumentsNameThePosition) {
    EXPECT_NE(parse_error("<speak>Hello <break time=\"1s\"></speak>").find("line 1, column 31 (byte 30)"), std::string::npos);
    EXPECT_NE(parse_error("<speak>\n  <prosody rate=\"slow\">x\n</speak>").find("line 3, column 1"), std::string::npos);
    EXPECT_NE(parse_error("<speak>a <b").find("never closed"), std::string::npos);
    EXPECT_NE(parse_error("<speak>Tom & Jerry</speak>").find("byte 11"), std::string::npos);
    EXPECT_NE(parse_error("<speak>x &bogus; y</speak>").find("bogus"), std::string::npos);
    EXPECT_NE(parse_error("<speak>&#xD800;</speak>").find("character reference"), std::string::npos);
    EXPECT_NE(parse_error("<speak a=b>x</speak>").find("quoted"), std::string::npos);
    EXPECT_NE(parse_error("<speak>x</speak> trailing").find("after </speak>"), std::string::npos);
    EXPECT_NE(parse_error("<p>x</p>").find("must start with <speak>"), std::string::npos);
    EXPECT_NE(parse_error("<speak>x</speak><speak>y</speak>").find("second <speak>"), std::string::npos);
    EXPECT_NE(parse_error("<speak>x</p></speak>").find("</p>"), std::string::npos);
    EXPECT_NE(parse_error("<speak><!-- open").find("comment"), std::string::npos);
    EXPECT_NE(parse_error("<!DOCTYPE speak><speak/>").find("DOCTYPE"), std::string::npos);
    std::string deep = "<speak>";
    for (int i = 0; i < 100; ++i) deep += "<p>";
    EXPECT_NE(parse_error(deep).find("deeply"), std::string::npos);
    // Column counts code points: "é" is two bytes.
    EXPECT_NE(parse_error("<speak>é &bad; </speak>").find("column 10 (byte 10)"), std::string::npos);
}

TEST(Ssml, ImplicitRootForForcedFragments) {
    std::vector<std::string> w;
    auto r = tts::parse_ssml("Wait <break time=\"250ms\"/> now", w, true);
    ASSERT_TRUE(r.ok()) << r.error().message();
    ASSERT_EQ(r->size(), 3u);
    EXPECT_EQ((*r)[1].break_ms, 250);
    r = tts::parse_ssml("Wait </p>", w, true);
    EXPECT_FALSE(r.ok());
}
