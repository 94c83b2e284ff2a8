// English words for numbers, dates, times, telephone numbers and spelled characters, for SSML
// <say-as> and for the plain-text normalisation speak() applies before espeak-ng (which reads
// "2024-03-15" as "two thousand twenty four dash zero three dash fifteen"). Pure functions on
// UTF-8 strings; nothing here allocates more than a small multiple of its input.
// Thread-safety: any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace atelier::infer::tts {

// "1234" -> "one thousand two hundred thirty-four" (US style: no "and"). Accepts an optional sign,
// digit groups separated by commas ("1,234,567") and a decimal part ("3.14" -> "three point one
// four"). nullopt for anything else. Integers beyond 10^21 are read digit by digit.
std::optional<std::string> cardinal_words(std::string_view number);
// "3" or "3rd" -> "third", "21" -> "twenty-first", "100" -> "one hundredth". nullopt if not a
// non-negative integer (with an optional st/nd/rd/th suffix).
std::optional<std::string> ordinal_words(std::string_view number);
// Every digit by name: "2024" -> "two zero two four"; other characters are dropped. nullopt
// when there is no digit.
std::optional<std::string> digit_words(std::string_view digits);
// A year as spoken: 1995 -> "nineteen ninety-five", 1905 -> "nineteen oh five", 1900 -> "nineteen
// hundred", 2000 -> "two thousand", 2007 -> "two thousand seven", 2024 -> "twenty twenty-four".
std::string year_words(int64_t year);
// A date: format is "" (guess: ISO "2024-03-15" is ymd, "3/15/2024" and "3/15" are US month
// first) or one of ymd, mdy, dmy, ym, my, md, dm, y (SSML's say-as format). Separators - / .
// "2024-03-15" -> "March fifteenth, twenty twenty-four". nullopt when it is not a valid date.
std::optional<std::string> date_words(std::string_view text, std::string_view format = {});
// "14:30" -> "fourteen thirty", "9:05 pm" -> "nine oh five PM", "12:00" -> "twelve o'clock",
// "7:15:30" -> "seven fifteen and thirty seconds". nullopt when not a valid clock time.
std::optional<std::string> time_words(std::string_view text);
// Digits by name in the number's groups, a comma between groups so it is read with pauses:
// "+1 (555) 123-4567" -> "plus one, five five five, one two three, four five six seven".
std::optional<std::string> telephone_words(std::string_view text);
// Spelled out: letters as capitals joined by hyphens (espeak-ng reads "A-B-C" as letter names;
// a lone "A" would be the article), digits by name, other characters dropped.
std::optional<std::string> character_words(std::string_view text);

// say-as dispatch: interpret_as is cardinal (or number), ordinal, digits, date, time, telephone
// or characters (or spell-out). nullopt for an unknown kind or text that does not fit it.
std::optional<std::string> say_as_words(std::string_view interpret_as, std::string_view format, std::string_view text);

// Plain-text normalisation for English voices: ISO dates (2024-03-15), US dates (3/15/2024),
// clock times (14:30, 9:05 pm, 7:15:30) and US telephone numbers ((555) 123-4567, 555-123-4567)
// standing alone as words become words; everything else is left to espeak-ng, which reads
// cardinals, decimals and ordinals ("21st") correctly by itself.
std::string expand_numbers_in_text(std::string_view text);

}  // namespace atelier::infer::tts
