// SPDX-License-Identifier: GPL-2.0-or-later
#include "vsm/keywords.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <array>
#include <chrono>
#include <ctime>

#include "out.hpp"

namespace vsm {
namespace {

using detail::Out;

// NTP era 0 in Unix seconds: the range an 8-octet NTP timestamp can hold.
constexpr std::int64_t kFirstUnixSecond = -NtpTime::kUnixOffset;
constexpr std::int64_t kLastUnixSecond = std::int64_t{0xFFFFFFFF} - NtpTime::kUnixOffset;

// The text a reason echoes, cut so that a reason stays short whatever the input.
std::string echo(std::string_view text) {
  constexpr std::size_t kMax = 60;
  return text.size() <= kMax ? std::string(text) : std::string(text.substr(0, kMax)) + "...";
}

std::string reason(std::string_view subject, std::string_view text, std::string_view expected) {
  return fmt::format("{} '{}': expected {}", subject, echo(text), expected);
}

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Optimal string alignment distance (insert, delete, replace, swap two
// neighbours) between lower-cased words of at most kLen characters.
constexpr std::size_t kLen = 64;
std::size_t distance(std::string_view a, std::string_view b) noexcept {
  std::array<std::size_t, kLen + 1> prev2{}, prev{}, cur{};
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const bool same = lower(a[i - 1]) == lower(b[j - 1]);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1])) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[b.size()];
}

// "a, b or c".
std::string one_of(std::span<const std::string_view> words) {
  std::string s;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i != 0) s += i + 1 == words.size() ? " or " : ", ";
    s += words[i];
  }
  return s;
}

// An unknown word: the near miss when there is one, else every word.
std::string unknown(std::string_view noun, std::string_view text, std::span<const std::string_view> words,
                    std::string_view or_number) {
  const std::string_view near = nearest_keyword(text, words);
  if (!near.empty()) return fmt::format("unknown {} '{}' (did you mean {}?)", noun, echo(text), near);
  return fmt::format("unknown {} '{}' (expected {}{})", noun, echo(text), one_of(words), or_number);
}

std::vector<std::string_view> keywords_of(std::span<const Named> table) {
  std::vector<std::string_view> w;
  for (const Named& n : table) w.push_back(n.keyword);
  return w;
}
std::vector<std::string_view> keywords_of(std::span<const SubOptionSpec> subs) {
  std::vector<std::string_view> w;
  for (const SubOptionSpec& s : subs) w.push_back(s.keyword);
  return w;
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decimal, or hex after 0x; nullopt for anything else or above max.
std::optional<std::uint64_t> number(std::string_view t, std::uint64_t max, bool allow_hex = true) noexcept {
  const bool hex = allow_hex && t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X');
  if (hex) t.remove_prefix(2);
  if (t.empty()) return std::nullopt;
  const std::uint64_t base = hex ? 16 : 10;
  std::uint64_t v = 0;
  for (char c : t) {
    const int d = hex ? hex_digit(c) : (is_digit(c) ? c - '0' : -1);
    if (d < 0 || v > max / base) return std::nullopt;
    v *= base;
    if (static_cast<std::uint64_t>(d) > max - v) return std::nullopt;
    v += static_cast<std::uint64_t>(d);
  }
  return v;
}

bool printable(Bytes b) noexcept {
  for (std::uint8_t c : b) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

void put_hex(Out& out, Bytes b) noexcept {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (std::uint8_t c : b) {
    const char pair[2] = {kDigits[c >> 4], kDigits[c & 15]};
    out.str(std::string_view(pair, 2));
  }
}

// Dotted quad for 4 octets; RFC 5952 text for 16: lower-case hex groups
// without leading zeros, the longest run of two or more zero groups (the first
// on a tie) as "::". Like the C library's inet_ntop (and so Wireshark's own
// fields), an IPv4-mapped address ends in a dotted quad (::ffff:192.0.2.1, RFC
// 5952 section 5), and so does the deprecated IPv4-compatible form (::192.0.2.1).
void put_address(Out& out, Bytes a) noexcept {
  if (a.size() == 4) {
    out.put("{}.{}.{}.{}", a[0], a[1], a[2], a[3]);
    return;
  }
  if (a.size() != 16) return;
  std::uint16_t g[8];
  for (std::size_t i = 0; i < 8; ++i) g[i] = static_cast<std::uint16_t>((a[2 * i] << 8) | a[2 * i + 1]);
  std::size_t best = 8, best_len = 0;
  for (std::size_t i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) best = 8;
  const bool v4_tail = best == 0 && (best_len == 6 || (best_len == 5 && g[5] == 0xffff));
  const std::size_t groups = v4_tail ? 6 : 8;
  for (std::size_t i = 0; i < groups; ++i) {
    if (i == best) {
      out.str("::");
      i += best_len - 1;
      continue;
    }
    if (i != 0 && i != best + best_len) out.str(":");
    out.put("{:x}", g[i]);
  }
  if (v4_tail) out.put("{}{}.{}.{}.{}", best_len == 5 ? ":" : "", a[12], a[13], a[14], a[15]);
}

std::optional<std::vector<std::uint8_t>> address(std::string_view text, int family) {
  char z[64];
  if (text.size() >= sizeof z) return std::nullopt;
  std::copy(text.begin(), text.end(), z);
  z[text.size()] = '\0';
  std::vector<std::uint8_t> out(family == AF_INET ? 4 : 16);
  if (inet_pton(family, z, out.data()) != 1) return std::nullopt;
  return out;
}

std::optional<NtpTime> time_of(std::string_view t) noexcept {
  if (t.size() == 20 && t[4] == '-' && t[7] == '-' && t[10] == 'T' && t[13] == ':' && t[16] == ':' && t[19] == 'Z') {
    auto field = [&](std::size_t at, std::size_t n) -> std::optional<unsigned> {
      unsigned v = 0;
      for (char c : t.substr(at, n)) {
        if (!is_digit(c)) return std::nullopt;
        v = v * 10 + static_cast<unsigned>(c - '0');
      }
      return v;
    };
    const auto y = field(0, 4), mo = field(5, 2), d = field(8, 2), h = field(11, 2), mi = field(14, 2),
               s = field(17, 2);
    if (!y || !mo || !d || !h || !mi || !s || *h > 23 || *mi > 59 || *s > 59) return std::nullopt;
    const std::chrono::year_month_day ymd{std::chrono::year(static_cast<int>(*y)), std::chrono::month(*mo),
                                          std::chrono::day(*d)};
    if (!ymd.ok()) return std::nullopt;
    const std::int64_t days = std::chrono::sys_days(ymd).time_since_epoch().count();
    const std::int64_t secs = days * 86400 + *h * 3600 + *mi * 60 + *s;
    if (secs < kFirstUnixSecond || secs > kLastUnixSecond) return std::nullopt;
    return NtpTime::from_unix(secs);
  }
  const bool negative = !t.empty() && t[0] == '-';
  if (negative) t.remove_prefix(1);
  if (t.empty() || !is_digit(t[0])) return std::nullopt;
  const auto v = number(t, std::uint64_t{1} << 40, false);
  if (!v) return std::nullopt;
  const std::int64_t secs = negative ? -static_cast<std::int64_t>(*v) : static_cast<std::int64_t>(*v);
  if (secs < kFirstUnixSecond || secs > kLastUnixSecond) return std::nullopt;
  return NtpTime::from_unix(secs);
}

std::vector<std::uint8_t> be(std::uint64_t v, std::size_t octets) {
  std::vector<std::uint8_t> out(octets);
  for (std::size_t i = octets; i-- > 0; v >>= 8) out[i] = static_cast<std::uint8_t>(v);
  return out;
}

}  // namespace

std::string_view nearest_keyword(std::string_view word, std::span<const std::string_view> candidates) noexcept {
  if (word.empty() || word.size() > kLen) return {};
  std::string_view best;
  std::size_t best_d = 3;
  for (std::string_view c : candidates) {
    if (c.size() > kLen) continue;
    const std::size_t d = distance(word, c);
    // Near: at most two edits, and few against the word's length ("ak" -> "ack", not "add" -> "ack").
    if (d < best_d && 3 * d <= std::max(word.size(), c.size())) {
      best = c;
      best_d = d;
    }
  }
  return best;
}

// ---- header fields

std::string_view keyword_text(std::span<const Named> table, std::uint8_t value, std::span<char> buf) noexcept {
  if (const Named* n = find_named(table, value)) return n->keyword;
  Out out(buf);
  out.num(value);
  return out.view();
}

std::string keyword_text(std::span<const Named> table, std::uint8_t value) {
  char buf[4];
  return std::string(keyword_text(table, value, buf));
}

Parsed<std::uint8_t> parse_keyword(std::span<const Named> table, std::string_view text, std::string_view noun) {
  if (const Named* n = find_keyword(table, text)) return n->value;
  if (!text.empty() && is_digit(text[0])) {
    if (const auto v = number(text, 255)) return static_cast<std::uint8_t>(*v);
    return Parsed<std::uint8_t>::failure(reason(noun, text, "a number from 0 to 255"));
  }
  const auto words = keywords_of(table);
  return Parsed<std::uint8_t>::failure(unknown(noun, text, words, ", or a number from 0 to 255"));
}

// ---- option keywords

std::string option_keyword(std::uint8_t type, std::uint8_t sub) {
  const OptionSpec* spec = option_spec(type);
  if (!spec) return fmt::format("{}.{}", type, sub);
  if (spec->subs.empty()) return sub == 0 ? std::string(spec->keyword) : fmt::format("{}.{}", spec->keyword, sub);
  if (const SubOptionSpec* s = sub_option_spec(type, sub)) return fmt::format("{}.{}", spec->keyword, s->keyword);
  return fmt::format("{}.{}", spec->keyword, sub);
}

std::string option_keyword(const OptionKey& key) {
  if (key.sub) return option_keyword(key.type, *key.sub);
  if (const OptionSpec* spec = key.spec()) return std::string(spec->keyword);
  return std::to_string(key.type);
}

Parsed<OptionKey> parse_option_keyword(std::string_view text) {
  using P = Parsed<OptionKey>;
  const std::size_t dot = text.find('.');
  const std::string_view name = text.substr(0, dot);
  OptionKey key;
  const OptionSpec* spec = option_spec(name);
  if (spec) {
    key.type = spec->type;
  } else if (!name.empty() && is_digit(name[0])) {
    const auto v = number(name, 255);
    if (!v) return P::failure(reason("OP-Type", name, "a number from 0 to 255"));
    key.type = static_cast<std::uint8_t>(*v);
    spec = option_spec(key.type);
  } else {
    std::vector<std::string_view> words;
    for (const OptionSpec& o : kOptions) words.push_back(o.keyword);
    return P::failure(unknown("option", name, words, ", or an OP-Type number"));
  }
  if (dot == std::string_view::npos) return key;
  const std::string_view item = text.substr(dot + 1);
  const std::string option = spec ? std::string(spec->keyword) : std::to_string(key.type);
  if (spec) {
    for (const SubOptionSpec& s : spec->subs) {
      if (s.keyword == item) {
        key.sub = s.sub;
        return key;
      }
    }
  }
  if (!item.empty() && is_digit(item[0])) {
    const auto v = number(item, 255);
    if (!v) return P::failure(reason(fmt::format("Sub-OP-Type of {}", option), item, "a number from 0 to 255"));
    key.sub = static_cast<std::uint8_t>(*v);
    return key;
  }
  if (!spec || spec->subs.empty()) {
    return P::failure(
        fmt::format("option {} has no items: '{}' (expected a Sub-OP-Type number after the dot)", option, echo(item)));
  }
  const auto words = keywords_of(spec->subs);
  return P::failure(unknown(fmt::format("{} item", option), item, words, ", or a Sub-OP-Type number"));
}

// ---- option values

ValueSyntax value_syntax(std::uint8_t type, std::uint8_t sub) noexcept {
  const OptionSpec* spec = option_spec(type);
  if (!spec) return ValueSyntax::Hex;
  if (spec->subs.empty()) {
    switch (static_cast<OptType>(type)) {
      case OptType::IPv4: return ValueSyntax::IPv4;
      case OptType::IPv6: return ValueSyntax::IPv6;
      case OptType::Port: return ValueSyntax::Port;
      default: return ValueSyntax::Number32;  // Node ID, Function ID
    }
  }
  const SubOptionSpec* s = sub_option_spec(type, sub);
  if (!s) return ValueSyntax::Hex;
  switch (s->kind) {
    case ValueKind::NtpTime: return ValueSyntax::NtpTime;
    case ValueKind::Address: return ValueSyntax::Address;
    default: return ValueSyntax::Text;
  }
}

std::string_view syntax_description(ValueSyntax s) noexcept {
  switch (s) {
    case ValueSyntax::Number32: return "a decimal number from 0 to 4294967295";
    case ValueSyntax::Port: return "a port number from 0 to 65535";
    case ValueSyntax::IPv4: return "an IPv4 address such as 192.0.2.1";
    case ValueSyntax::IPv6: return "an IPv6 address such as 2001:db8::1";
    case ValueSyntax::Address: return "an IPv4 or IPv6 address such as 192.0.2.1 or 2001:db8::1";
    case ValueSyntax::Text: return "text";
    case ValueSyntax::NtpTime: return "Unix seconds (-2208988800 to 2085978495) or a UTC time YYYY-MM-DDTHH:MM:SSZ";
    case ValueSyntax::Hex: return "pairs of hex digits (spaces or colons between them allowed)";
  }
  return "?";
}

bool value_fits(std::uint8_t type, std::uint8_t sub, Bytes value) noexcept {
  const std::size_t n = value.size();
  switch (value_syntax(type, sub)) {
    case ValueSyntax::Number32: return n == 4;
    case ValueSyntax::Port: return n == 2;
    case ValueSyntax::IPv4: return n == 4;
    case ValueSyntax::IPv6: return n == 16;
    case ValueSyntax::Address: return n == 0 || n == 4 || n == 16;
    case ValueSyntax::NtpTime: return n == 0 || n == 8;
    case ValueSyntax::Text: return printable(value);
    case ValueSyntax::Hex: return true;
  }
  return false;
}

std::string_view value_text(std::uint8_t type, std::uint8_t sub, Bytes v, std::span<char> buf) noexcept {
  Out out(buf);
  const ValueSyntax syntax = value_syntax(type, sub);
  if (!value_fits(type, sub, v)) {
    put_hex(out, v);
    return out.view();
  }
  switch (syntax) {
    case ValueSyntax::Number32:
    case ValueSyntax::Port: {
      std::uint64_t n = 0;
      for (std::uint8_t b : v) n = (n << 8) | b;
      out.num(n);
      break;
    }
    case ValueSyntax::IPv4:
    case ValueSyntax::IPv6:
    case ValueSyntax::Address: put_address(out, v); break;
    case ValueSyntax::NtpTime:
      if (!v.empty()) {
        const NtpTime t{std::uint32_t{v[0]} << 24 | std::uint32_t{v[1]} << 16 | std::uint32_t{v[2]} << 8 | v[3], 0};
        out.signed_num(t.unix_seconds());
      }
      break;
    case ValueSyntax::Text: out.str(std::string_view(reinterpret_cast<const char*>(v.data()), v.size())); break;
    case ValueSyntax::Hex: put_hex(out, v); break;
  }
  return out.view();
}

std::string value_text(std::uint8_t type, std::uint8_t sub, Bytes value) {
  std::string s(48 + 2 * value.size(), '\0');
  s.resize(value_text(type, sub, value, std::span<char>(s.data(), s.size())).size());
  return s;
}

Parsed<std::vector<std::uint8_t>> parse_value(std::uint8_t type, std::uint8_t sub, std::string_view text) {
  using P = Parsed<std::vector<std::uint8_t>>;
  const ValueSyntax syntax = value_syntax(type, sub);
  const auto fail = [&] {
    return P::failure(reason(fmt::format("{} value", option_keyword(type, sub)), text, syntax_description(syntax)));
  };
  const bool item = syntax == ValueSyntax::Address || syntax == ValueSyntax::NtpTime || syntax == ValueSyntax::Text ||
                    syntax == ValueSyntax::Hex;
  if (text.empty() && item) return std::vector<std::uint8_t>{};
  switch (syntax) {
    case ValueSyntax::Number32:
    case ValueSyntax::Port: {
      const bool port = syntax == ValueSyntax::Port;
      const auto n = number(text, port ? 0xFFFF : 0xFFFFFFFF);
      if (!n) return fail();
      return be(*n, port ? 2 : 4);
    }
    case ValueSyntax::IPv4:
    case ValueSyntax::IPv6: {
      auto a = address(text, syntax == ValueSyntax::IPv4 ? AF_INET : AF_INET6);
      if (!a) return fail();
      return std::move(*a);
    }
    case ValueSyntax::Address: {
      auto a = parse_address(text);
      if (!a) return fail();
      return a;
    }
    case ValueSyntax::NtpTime: {
      const auto t = time_of(text);
      if (!t) return fail();
      std::vector<std::uint8_t> out = be(t->seconds, 4);
      const auto f = be(t->fraction, 4);
      out.insert(out.end(), f.begin(), f.end());
      return out;
    }
    case ValueSyntax::Text: return std::vector<std::uint8_t>(text.begin(), text.end());
    case ValueSyntax::Hex: {
      auto h = parse_hex(text);
      if (!h) return fail();
      return h;
    }
  }
  return fail();
}

// ---- the pieces

std::string_view address_text(Bytes a, std::span<char> buf) noexcept {
  Out out(buf);
  put_address(out, a);
  return out.view();
}

std::string address_text(Bytes a) {
  char buf[48];
  return std::string(address_text(a, buf));
}

Parsed<std::vector<std::uint8_t>> parse_address(std::string_view text) {
  if (auto a = address(text, AF_INET)) return std::move(*a);
  if (auto a = address(text, AF_INET6)) return std::move(*a);
  return Parsed<std::vector<std::uint8_t>>::failure(reason("address", text, syntax_description(ValueSyntax::Address)));
}

std::string_view hex_text(Bytes b, std::span<char> buf) noexcept {
  Out out(buf);
  put_hex(out, b);
  return out.view();
}

std::string hex_text(Bytes b) {
  std::string s(2 * b.size(), '\0');
  hex_text(b, std::span<char>(s.data(), s.size()));
  return s;
}

Parsed<std::vector<std::uint8_t>> parse_hex(std::string_view text) {
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 2);
  int high = -1;
  for (char c : text) {
    const int d = hex_digit(c);
    if (d < 0) {
      if ((c == ' ' || c == ':') && high < 0) continue;
      return Parsed<std::vector<std::uint8_t>>::failure(reason("hex", text, syntax_description(ValueSyntax::Hex)));
    }
    if (high < 0) {
      high = d;
    } else {
      out.push_back(static_cast<std::uint8_t>(high << 4 | d));
      high = -1;
    }
  }
  if (high >= 0) {
    return Parsed<std::vector<std::uint8_t>>::failure(
        reason("hex", text, "pairs of hex digits (the last digit has no pair)"));
  }
  return out;
}

std::string_view time_text(NtpTime t, std::span<char> buf) noexcept {
  Out out(buf);
  const std::time_t secs = static_cast<std::time_t>(t.unix_seconds());
  std::tm tm{};
  gmtime_r(&secs, &tm);
  out.put("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
          tm.tm_sec);
  return out.view();
}

std::string time_text(NtpTime t) {
  char buf[32];
  return std::string(time_text(t, buf));
}

Parsed<NtpTime> parse_time(std::string_view text) {
  if (const auto t = time_of(text)) return *t;
  return Parsed<NtpTime>::failure(reason("time", text, syntax_description(ValueSyntax::NtpTime)));
}

Parsed<std::uint64_t> parse_number(std::string_view text, std::uint64_t max, std::string_view what) {
  if (const auto v = number(text, max)) return *v;
  return Parsed<std::uint64_t>::failure(reason(what, text, fmt::format("a number from 0 to {}", max)));
}

}  // namespace vsm
