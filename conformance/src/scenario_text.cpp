// SPDX-License-Identifier: GPL-2.0-or-later
#include "scenario_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <ctime>

#include "vsm/dictionary.hpp"
#include "vsm/keywords.hpp"

namespace vsm::conform::text {

namespace {

template <class T>
T value_or_throw(Parsed<T> p) {
  if (!p) throw Error(p.error());
  return *std::move(p);
}

constexpr std::string_view kDurationWords[] = {"", "negative", "ack", "keepalive"};  // by Duration::Kind

}  // namespace

std::string nearest(std::string_view word, std::span<const std::string_view> candidates) {
  return std::string(nearest_keyword(word, candidates));
}

std::string unknown(std::string_view what, std::string_view word, std::span<const std::string_view> candidates) {
  const std::string near = nearest(word, candidates);
  if (near.empty()) return fmt::format("unknown {} '{}'", what, word);
  return fmt::format("unknown {} '{}' (did you mean {}?)", what, word, near);
}

std::uint64_t number(std::string_view s, std::string_view what) { return number_max(s, what, UINT64_MAX); }

std::int64_t signed_number(std::string_view s, std::string_view what) {
  const bool minus = !s.empty() && s[0] == '-';
  const auto n = value_or_throw(parse_number(minus ? s.substr(1) : s, INT64_MAX, what));
  return minus ? -static_cast<std::int64_t>(n) : static_cast<std::int64_t>(n);
}

std::uint64_t number_max(std::string_view s, std::string_view what, std::uint64_t max) {
  return value_or_throw(parse_number(s, max, what));
}

double seconds(std::string_view s, std::string_view what) {
  const std::string t(s);
  try {
    if (t.empty() || std::isspace(static_cast<unsigned char>(t[0]))) throw std::invalid_argument(t);
    std::size_t pos = 0;
    const double d = std::stod(t, &pos);
    if (pos != t.size() || !std::isfinite(d)) throw std::invalid_argument(t);
    if (d < 0) throw Error(fmt::format("{}: {} is negative", what, s));
    return d;
  } catch (const Error&) {
    throw;
  } catch (const std::exception&) {
    throw Error(fmt::format("{}: '{}' is not a number of seconds", what, s));
  }
}

std::string number_text(double v) { return fmt::format("{}", v); }

std::uint8_t message_type(std::string_view s) { return value_or_throw(parse_type(s)); }
std::uint8_t operation(std::string_view s) { return value_or_throw(parse_operation(s)); }
std::uint8_t result_code(std::string_view s) { return value_or_throw(parse_code(s)); }
std::string message_type_text(std::uint8_t v) { return type_keyword(v); }
std::string operation_text(std::uint8_t v) { return operation_keyword(v); }
std::string result_code_text(std::uint8_t v) { return code_keyword(v); }

std::uint32_t sequence(std::string_view s) {
  return static_cast<std::uint32_t>(number_max(s, "seq", 0xFFFFFFFF) & kSeqMask);
}

CodeMatch code_match(std::string_view s) {
  if (s == "any") return {CodeMatch::Kind::Any, 0};
  if (s == "failure") return {CodeMatch::Kind::Failure, 0};
  return {CodeMatch::Kind::Value, result_code(s)};
}

std::string code_match_text(const CodeMatch& c) {
  switch (c.kind) {
    case CodeMatch::Kind::Any: return "any";
    case CodeMatch::Kind::Failure: return "failure";
    case CodeMatch::Kind::Value: break;
  }
  return result_code_text(c.code);
}

Duration duration(std::string_view s, std::span<const Duration::Kind> allowed) {
  if (!s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '.')) {
    return {Duration::Kind::Seconds, seconds(s, "seconds")};
  }
  std::vector<std::string_view> words;
  for (Duration::Kind k : allowed) {
    const auto word = kDurationWords[static_cast<std::size_t>(k)];
    if (word == s) return {k, 0};
    words.push_back(word);
  }
  if (!s.empty() && s[0] == '-') seconds(s, "seconds");  // says it is negative
  const std::string near = nearest(s, words);
  std::string list;
  for (auto w : words) list += fmt::format("{}, ", w);
  throw Error(fmt::format("'{}' is neither seconds nor {}{}", s,
                          list.empty() ? "a timer" : list.substr(0, list.size() - 2),
                          near.empty() ? "" : fmt::format(" (did you mean {}?)", near)));
}

std::string duration_text(const Duration& d) {
  if (d.kind == Duration::Kind::Seconds) return number_text(d.seconds);
  return std::string(kDurationWords[static_cast<std::size_t>(d.kind)]);
}

OptKey option_key(std::string_view s) {
  OptKey k;
  std::string_view key = s;
  if (auto h = key.find('#'); h != std::string_view::npos) {
    const auto n = number_max(key.substr(h + 1), "option index", 255);
    if (n < 1) throw Error(fmt::format("option index of '{}' runs from 1 to 255", s));
    k.index = static_cast<unsigned>(n - 1);
    key = key.substr(0, h);
  }
  const OptionKey parsed = value_or_throw(parse_option_keyword(key));
  k.type = parsed.type;
  k.sub = parsed.sub;
  return k;
}

std::string option_key_text(const OptKey& k) {
  std::string s = option_keyword(OptionKey{k.type, k.sub});
  if (k.index > 0) s.append("#").append(std::to_string(k.index + 1));  // not "#" + ...: g++ 12 -O3 -Wrestrict
  return s;
}

CaptureField capture_field(std::string_view s) {
  using K = CaptureField::Kind;
  if (s == "seq") return {K::Seq, {}};
  if (s == "code") return {K::Code, {}};
  if (s == "type") return {K::Type, {}};
  if (s == "subtype") return {K::Subtype, {}};
  if (s == "op") return {K::Op, {}};
  try {
    return {K::Option, option_key(s)};
  } catch (const Error& e) {
    throw Error(fmt::format("capture: {} (or one of seq, code, type, subtype, op)", e.what()));
  }
}

std::string capture_field_text(const CaptureField& f) {
  switch (f.kind) {
    case CaptureField::Kind::Seq: return "seq";
    case CaptureField::Kind::Code: return "code";
    case CaptureField::Kind::Type: return "type";
    case CaptureField::Kind::Subtype: return "subtype";
    case CaptureField::Kind::Op: return "op";
    case CaptureField::Kind::Option: break;
  }
  return option_key_text(f.key);
}

Option option(const OptKey& k, std::string_view value) {
  const OptionSpec* spec = option_spec(k.type);
  const std::string key = option_key_text(k);
  if (!spec) throw Error(fmt::format("option '{}': use raw for undefined types", key));
  if (spec->subs.empty() && k.sub) throw Error(fmt::format("option '{}' has no sub-options", key));
  if (!spec->subs.empty() && !k.sub) throw Error(fmt::format("option '{}' needs a sub-option (OPTION.ITEM)", key));
  const std::uint8_t sub = k.sub.value_or(0);
  Option o;
  o.type = k.type;
  o.subtype = sub;
  if (value == "now" && value_syntax(k.type, sub) == ValueSyntax::NtpTime) {
    return Option::ntp(static_cast<OptType>(k.type), sub, NtpTime::from_unix(std::time(nullptr)));
  }
  o.value = value_or_throw(parse_value(k.type, sub, value));
  return o;
}

void expected_value(const OptKey& k, std::string_view value) {
  // IDs, ports and addresses in their syntax; text values are compared as they are (a recording may expect
  // even a Running status the draft does not name).
  const OptionSpec* spec = option_spec(k.type);
  if (spec && spec->subs.empty() && !k.sub) value_or_throw(parse_value(k.type, 0, value));
}

std::string option_text(const OptionView& o) { return value_text(o); }

OptionItem option_item(const Option& o) {
  const OptionSpec* spec = option_spec(o.type);
  const bool keyed = value_syntax(o.type, o.subtype) != ValueSyntax::Hex && !(spec->subs.empty() && o.subtype != 0) &&
                     value_fits(o.type, o.subtype, o.value);
  if (!keyed) return OptionItem{RawOption{o.type, o.subtype, o.value, std::nullopt}, std::nullopt};
  OptKey k;
  k.type = o.type;
  if (!spec->subs.empty()) k.sub = o.subtype;
  return OptionItem{KeyedOption{k, value_text(o.type, o.subtype, o.value)}, std::nullopt};
}

std::vector<std::uint8_t> hex(std::string_view h) { return value_or_throw(parse_hex(h)); }

std::string hex_text(std::span<const std::uint8_t> b, std::size_t max) {
  std::string s = vsm::hex_text(b.first(std::min(b.size(), max)));
  if (b.size() > max) s += "...";
  return s;
}

}  // namespace vsm::conform::text
