// SPDX-License-Identifier: GPL-2.0-or-later
#include "scenario_text.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <ctime>

#include "vsm/dictionary.hpp"

namespace vsm::conform::text {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::uint8_t keyword_or_number(std::span<const Named> table, std::string_view s, std::string_view what,
                               std::span<const std::string_view> also = {}) {
  if (const Named* n = find_keyword(table, s)) return n->value;
  if (!s.empty() && std::isdigit(static_cast<unsigned char>(s[0]))) {
    return static_cast<std::uint8_t>(number_max(s, what, 255));
  }
  std::vector<std::string_view> words;
  for (const Named& n : table) words.push_back(n.keyword);
  words.insert(words.end(), also.begin(), also.end());
  throw Error(unknown(what, s, words));
}

std::string keyword_text(std::span<const Named> table, std::uint8_t v) {
  const Named* n = find_named(table, v);
  return n ? std::string(n->keyword) : std::to_string(v);
}

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

std::optional<std::array<std::uint8_t, 4>> v4(std::string_view s) {
  std::array<std::uint8_t, 4> a{};
  if (::inet_pton(AF_INET, std::string(s).c_str(), a.data()) != 1) return std::nullopt;
  return a;
}
std::optional<std::array<std::uint8_t, 16>> v6(std::string_view s) {
  std::array<std::uint8_t, 16> a{};
  if (::inet_pton(AF_INET6, std::string(s).c_str(), a.data()) != 1) return std::nullopt;
  return a;
}
std::string address_text(Bytes b) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (b.size() == 4) return ::inet_ntop(AF_INET, b.data(), buf, sizeof buf) ? buf : "";
  if (b.size() == 16) return ::inet_ntop(AF_INET6, b.data(), buf, sizeof buf) ? buf : "";
  return {};
}

constexpr std::string_view kDurationWords[] = {"", "negative", "ack", "keepalive"};  // by Duration::Kind

}  // namespace

std::string nearest(std::string_view word, std::span<const std::string_view> candidates) {
  const std::string w = lower(word);
  std::string best;
  std::size_t best_d = SIZE_MAX;
  for (std::string_view c : candidates) {
    const std::size_t d = distance(w, lower(c));
    const std::size_t limit = c.size() <= 3 ? 1 : c.size() <= 7 ? 2 : 3;
    if (d <= limit && d < best_d && d < std::max<std::size_t>(w.size(), 1)) {
      best_d = d;
      best = std::string(c);
    }
  }
  return best;
}

std::string unknown(std::string_view what, std::string_view word, std::span<const std::string_view> candidates) {
  const std::string near = nearest(word, candidates);
  if (near.empty()) return fmt::format("unknown {} '{}'", what, word);
  return fmt::format("unknown {} '{}' (did you mean {}?)", what, word, near);
}

std::uint64_t number(std::string_view s, std::string_view what) {
  const std::string t(s);
  try {
    if (t.empty() || t[0] == '-' || t[0] == '+' || std::isspace(static_cast<unsigned char>(t[0]))) {
      throw std::invalid_argument(t);
    }
    std::size_t pos = 0;
    const auto n = std::stoull(t, &pos, 0);
    if (pos != t.size()) throw std::invalid_argument(t);
    return n;
  } catch (const std::exception&) {
    throw Error(fmt::format("{}: '{}' is not a number", what, s));
  }
}

std::int64_t signed_number(std::string_view s, std::string_view what) {
  const std::string t(s);
  try {
    std::size_t pos = 0;
    if (t.empty() || std::isspace(static_cast<unsigned char>(t[0]))) throw std::invalid_argument(t);
    const auto n = std::stoll(t, &pos, 0);
    if (pos != t.size()) throw std::invalid_argument(t);
    return n;
  } catch (const std::exception&) {
    throw Error(fmt::format("{}: '{}' is not a number", what, s));
  }
}

std::uint64_t number_max(std::string_view s, std::string_view what, std::uint64_t max) {
  const auto n = number(s, what);
  if (n > max) throw Error(fmt::format("{} {} out of range (at most {})", what, s, max));
  return n;
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

std::uint8_t message_type(std::string_view s) { return keyword_or_number(kMessageTypes, s, "message type"); }
std::uint8_t operation(std::string_view s) { return keyword_or_number(kOperations, s, "operation"); }
std::uint8_t result_code(std::string_view s) { return keyword_or_number(kResultCodes, s, "result code"); }
std::string message_type_text(std::uint8_t v) { return keyword_text(kMessageTypes, v); }
std::string operation_text(std::uint8_t v) { return keyword_text(kOperations, v); }
std::string result_code_text(std::uint8_t v) { return keyword_text(kResultCodes, v); }

std::uint32_t sequence(std::string_view s) { return static_cast<std::uint32_t>(number(s, "seq") & kSeqMask); }

CodeMatch code_match(std::string_view s) {
  if (s == "any") return {CodeMatch::Kind::Any, 0};
  if (s == "failure") return {CodeMatch::Kind::Failure, 0};
  static constexpr std::string_view kWords[] = {"any", "failure"};
  return {CodeMatch::Kind::Value, keyword_or_number(kResultCodes, s, "result code", kWords)};
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
  if (!s.empty() && (is_digit(s[0]) || s[0] == '.')) return {Duration::Kind::Seconds, seconds(s, "seconds")};
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
  std::string key(s);
  if (auto h = key.find('#'); h != std::string::npos) {
    const auto n = number(key.substr(h + 1), "option index");
    if (n < 1 || n > 255) throw Error(fmt::format("option index of '{}' runs from 1 to 255", s));
    k.index = static_cast<unsigned>(n - 1);
    key = key.substr(0, h);
  }
  std::string sub;
  bool dotted = false;
  if (auto d = key.find('.'); d != std::string::npos) {
    sub = key.substr(d + 1);
    key = key.substr(0, d);
    dotted = true;
  }
  const OptionSpec* spec = option_spec(key);
  if (spec) {
    k.type = spec->type;
  } else {
    if (key.empty() || !is_digit(key[0])) {
      std::vector<std::string_view> words;
      for (const auto& o : kOptions) words.push_back(o.keyword);
      throw Error(unknown("option", key, words));
    }
    k.type = static_cast<std::uint8_t>(number_max(key, "option type", 255));
    spec = option_spec(k.type);
  }
  if (dotted && sub.empty()) throw Error(fmt::format("option '{}' names no sub-option after the dot", s));
  if (!sub.empty()) {
    if (spec) {
      for (const auto& x : spec->subs) {
        if (x.keyword == sub) k.sub = x.sub;
      }
    }
    if (!k.sub) {
      if (!is_digit(sub[0])) {
        std::vector<std::string_view> words;
        if (spec) {
          for (const auto& x : spec->subs) words.push_back(x.keyword);
        }
        const std::string near = nearest(sub, words);
        throw Error(fmt::format("unknown sub-option '{}' of '{}'{}", sub, key,
                                near.empty() ? "" : fmt::format(" (did you mean {}.{}?)", key, near)));
      }
      k.sub = static_cast<std::uint8_t>(number_max(sub, "sub-option type", 255));
    }
  }
  return k;
}

std::string option_key_text(const OptKey& k) {
  const OptionSpec* spec = option_spec(k.type);
  std::string s = spec ? std::string(spec->keyword) : std::to_string(k.type);
  if (k.sub) {
    const SubOptionSpec* ss = sub_option_spec(k.type, *k.sub);
    s += "." + (ss ? std::string(ss->keyword) : std::to_string(*k.sub));
  }
  if (k.index > 0) s += "#" + std::to_string(k.index + 1);
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
  if (spec->fixed_length) {
    if (k.sub) throw Error(fmt::format("option '{}' has no sub-options", key));
    switch (static_cast<OptType>(k.type)) {
      case OptType::NodeId: return Option::node_id(static_cast<std::uint32_t>(number_max(value, key, 0xFFFFFFFF)));
      case OptType::FunctionId:
        return Option::function_id(static_cast<std::uint32_t>(number_max(value, key, 0xFFFFFFFF)));
      case OptType::Port: return Option::port(static_cast<std::uint16_t>(number_max(value, key, 0xFFFF)));
      case OptType::IPv4:
        if (auto a = v4(value)) return Option::ipv4(*a);
        throw Error(fmt::format("bad IPv4 address '{}'", value));
      case OptType::IPv6:
        if (auto a = v6(value)) return Option::ipv6(*a);
        throw Error(fmt::format("bad IPv6 address '{}'", value));
      default: break;
    }
    throw Error(fmt::format("option '{}': use raw", key));
  }
  if (!k.sub) throw Error(fmt::format("option '{}' needs a sub-option (OPTION.ITEM)", key));
  const auto t = static_cast<OptType>(k.type);
  const SubOptionSpec* ss = sub_option_spec(k.type, *k.sub);
  if (value.empty()) return Option::empty(t, *k.sub);
  if (ss && ss->kind == ValueKind::NtpTime) {
    const auto secs = value == "now" ? static_cast<std::int64_t>(std::time(nullptr))
                                     : static_cast<std::int64_t>(number_max(value, key, 0xFFFFFFFF));
    return Option::ntp(t, *k.sub, NtpTime::from_unix(secs));
  }
  if (ss && ss->kind == ValueKind::Address) {
    if (auto a = v4(value)) return Option::raw(k.type, *k.sub, *a);
    if (auto a = v6(value)) return Option::raw(k.type, *k.sub, *a);
    throw Error(fmt::format("bad address '{}'", value));
  }
  return Option::text(t, *k.sub, value);
}

void expected_value(const OptKey& k, std::string_view value) {
  const OptionSpec* spec = option_spec(k.type);
  if (!spec) return;
  const std::string key = option_key_text(k);
  if (spec->fixed_length) {
    if (k.type == u8(OptType::IPv4) || k.type == u8(OptType::IPv6)) {
      if (!v4(value) && !v6(value)) throw Error(fmt::format("{}: bad address '{}'", key, value));
    } else {
      number(value, key);
    }
  }
  // Text values are compared as they are: a recording may expect even a Running status the draft does not name.
}

std::string option_text(const OptionView& o) {
  const OptionSpec* spec = option_spec(o.type);
  if (spec && spec->fixed_length) {
    switch (static_cast<OptType>(o.type)) {
      case OptType::NodeId:
      case OptType::FunctionId:
        if (auto v = o.u32()) return std::to_string(*v);
        break;
      case OptType::Port:
        if (auto v = o.u16()) return std::to_string(*v);
        break;
      case OptType::IPv4:
      case OptType::IPv6:
        if (o.value.size() == spec->fixed_length) return address_text(o.value);
        break;
      default: break;
    }
    return hex_text(o.value, 64);
  }
  const SubOptionSpec* ss = sub_option_spec(o.type, o.subtype);
  if (ss && ss->kind == ValueKind::NtpTime) {
    if (auto t = o.ntp()) return std::to_string(t->unix_seconds());
  }
  if (ss && ss->kind == ValueKind::Address && (o.value.size() == 4 || o.value.size() == 16)) {
    return address_text(o.value);
  }
  return std::string(o.text());
}

OptionItem option_item(const Option& o) {
  const OptionSpec* spec = option_spec(o.type);
  const SubOptionSpec* sub = sub_option_spec(o.type, o.subtype);
  const auto printable = [&] {
    return std::all_of(o.value.begin(), o.value.end(), [](std::uint8_t c) { return c >= 0x20 && c < 0x7f; });
  };
  const bool keyed =
      spec && (spec->subs.empty() ? o.subtype == 0 : sub != nullptr) &&
      (spec->fixed_length == 0 || o.value.size() == spec->fixed_length) &&
      (o.value.empty() || !sub || sub->kind != ValueKind::NtpTime || o.value.size() == 8) &&
      (o.value.empty() || !sub || sub->kind != ValueKind::Address || o.value.size() == 4 || o.value.size() == 16) &&
      (spec->fixed_length != 0 || (sub && (sub->kind == ValueKind::NtpTime || sub->kind == ValueKind::Address)) ||
       printable());
  if (!keyed) return OptionItem{RawOption{o.type, o.subtype, o.value, std::nullopt}, std::nullopt};
  OptKey k;
  k.type = o.type;
  if (!spec->subs.empty()) k.sub = o.subtype;
  std::string value;
  if (spec->fixed_length != 0 || o.value.empty() || sub->kind == ValueKind::Address) {
    if (spec->fixed_length != 0 && k.type != u8(OptType::IPv4) && k.type != u8(OptType::IPv6)) {
      std::uint32_t v = 0;
      for (auto b : o.value) v = (v << 8) | b;
      value = std::to_string(v);
    } else {
      value = address_text(o.value);
    }
  } else if (sub->kind == ValueKind::NtpTime) {
    const std::uint32_t s = (std::uint32_t{o.value[0]} << 24) | (std::uint32_t{o.value[1]} << 16) |
                            (std::uint32_t{o.value[2]} << 8) | o.value[3];
    value = std::to_string(NtpTime{s, 0}.unix_seconds());
  } else {
    value.assign(o.value.begin(), o.value.end());
  }
  return OptionItem{KeyedOption{k, value}, std::nullopt};
}

std::vector<std::uint8_t> hex(std::string_view h) {
  std::vector<std::uint8_t> out;
  std::string digits;
  for (char c : h) {
    if (std::isxdigit(static_cast<unsigned char>(c))) {
      digits += c;
    } else if (c != ' ' && c != ':') {
      throw Error(fmt::format("bad hex string '{}'", h));
    }
  }
  if (digits.size() % 2) throw Error(fmt::format("odd number of hex digits in '{}'", h));
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoul(digits.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string hex_text(std::span<const std::uint8_t> b, std::size_t max) {
  std::string s;
  for (std::size_t i = 0; i < b.size() && i < max; ++i) s += fmt::format("{:02x}", b[i]);
  if (b.size() > max) s += "...";
  return s;
}

}  // namespace vsm::conform::text
