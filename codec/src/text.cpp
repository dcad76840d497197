// SPDX-License-Identifier: GPL-2.0-or-later
#include "vsm/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <ctime>

namespace vsm {
namespace {

// Appends to a fixed buffer, silently cutting at its end.
class Out {
 public:
  explicit Out(std::span<char> buf) : buf_(buf) {}
  template <typename... Args>
  void put(fmt::format_string<Args...> f, Args&&... args) noexcept {
    if (len_ >= buf_.size()) return;
    auto r = fmt::format_to_n(buf_.data() + len_, buf_.size() - len_, f, std::forward<Args>(args)...);
    len_ += std::min<std::size_t>(r.size, buf_.size() - len_);
  }
  // Plain appends for the hot path (the dissector's Info column).
  void str(std::string_view s) noexcept {
    const std::size_t n = std::min(s.size(), buf_.size() - len_);
    std::copy_n(s.data(), n, buf_.data() + len_);
    len_ += n;
  }
  void num(std::uint64_t v) noexcept {
    auto r = std::to_chars(buf_.data() + len_, buf_.data() + buf_.size(), v);
    if (r.ec == std::errc{}) len_ = static_cast<std::size_t>(r.ptr - buf_.data());
  }
  std::string_view view() const noexcept { return {buf_.data(), len_}; }

 private:
  std::span<char> buf_;
  std::size_t len_ = 0;
};

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

bool printable(std::string_view s) noexcept {
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

std::string_view summarize(const MessageView& m, std::span<char> buf) noexcept {
  Out out(buf);
  if (!m.has_header()) {
    if (m.cut() && !m.error) {
      out.str("Cut by the capture (");
      out.num(m.bytes.size());
      out.str(" of ");
      out.num(m.cut_size);
      out.str(" octets)");
      return out.view();
    }
    out.str("Malformed (");
    out.num(m.cut() ? m.cut_size : m.bytes.size());
    out.str(" octets)");
    return out.view();
  }
  const Header& h = m.header;
  const std::string_view tname = type_name(h.type);
  if (tname.empty()) {
    out.str("Unknown type ");
    out.num(h.type);
  } else {
    out.str(tname);
  }
  if (carries_operation(h.type) && h.subtype != 0) {
    const std::string_view op = operation_name(h.subtype);
    if (op.empty()) {
      out.str(" op=");
      out.num(h.subtype);
    } else {
      out.str(" ");
      out.str(op);
    }
  }
  out.str(" seq=");
  out.num(h.seq);
  if (h.type == u8(MsgType::Ack) || h.type == u8(MsgType::Error) || h.code != 0) {
    const std::string_view code = code_name(h.code);
    out.str(" ");
    if (code.empty()) {
      out.num(h.code);
    } else {
      out.str(code);
    }
  }
  // One pass over the options for the key IDs.
  std::optional<std::uint32_t> nodes[2], function;
  std::string_view status;
  unsigned node_count = 0;
  for (const OptionView o : m.options()) {
    if (o.is(OptType::NodeId)) {
      if (node_count < 2) nodes[node_count] = o.u32();
      ++node_count;
    } else if (o.is(OptType::FunctionId) && !function) {
      function = o.u32();
    } else if (o.is(OptType::FunctionInfo, function_info::RunningStatus) && status.empty()) {
      status = o.text();
    }
  }
  if (nodes[0]) {
    out.str(" node ");
    out.num(*nodes[0]);
    if (nodes[1]) {
      out.str(" -> ");
      out.num(*nodes[1]);
    }
  }
  if (function) {
    out.str(" function ");
    out.num(*function);
  }
  if (!status.empty() && printable(status)) {
    out.str(" [");
    out.str(status);
    out.str("]");
  }
  if (m.error) out.str(" [malformed]");
  if (m.cut()) out.str(" [cut by the capture]");
  return out.view();
}

std::string summarize(const MessageView& m) {
  char buf[256];
  return std::string(summarize(m, buf));
}

std::string_view describe(const Finding& f, std::span<char> buf) noexcept {
  Out out(buf);
  const Requirement& r = requirement(f.req);
  out.put("[{}] {}", r.id, *f.detail ? std::string_view(f.detail) : r.title);
  switch (f.req) {
    case Req::Length:
    case Req::OptionLength:
    case Req::Ipv4Length:
    case Req::Ipv6Length:
    case Req::PortLength:
    case Req::NodeIdLength:
    case Req::FunctionIdLength:
    case Req::AckSubType:
    case Req::SeqIncrement: out.put(" (expected {}, got {})", f.a, f.b); break;
    case Req::TypeKnown:
    case Req::SubTypeZero:
    case Req::OperationKnown:
    case Req::CodeZero:
    case Req::AckCodeKnown:
    case Req::OptionKnown:
    case Req::SubOpTypeZero:
    case Req::NodeInfoSubType:
    case Req::FunctionInfoSubType:
    case Req::SessionInfoSubType:
    case Req::VendorSubType: out.put(" ({})", f.a); break;
    case Req::SeqDuplicate:
    case Req::AckSeq:
    case Req::AckUnsolicited:
    case Req::AckNotAcked: out.put(" (seq {})", f.a); break;
    case Req::AckEveryMessage: {
      const std::string_view t = type_name(static_cast<std::uint8_t>(f.b));
      out.put(" ({} seq {})", t.empty() ? std::string_view("message") : t, f.a);
      break;
    }
    case Req::MoveOrder:
    case Req::CopyOrder:
    case Req::MoveSessionOrder: out.put(" (first {}, second {})", f.a, f.b); break;
    case Req::Role:
      out.put(" ({} from the {})", type_name(static_cast<std::uint8_t>(f.a)), role_name(static_cast<Role>(f.b)));
      break;
    default: break;
  }
  return out.view();
}

std::string describe(const Finding& f) {
  char buf[320];
  return std::string(describe(f, buf));
}

std::string_view format_value(const OptionView& o, std::span<char> buf) noexcept {
  Out out(buf);
  const SubOptionSpec* sub = sub_option_spec(o.type, o.subtype);
  if (o.length == 0) {
    out.put("(empty)");
    return out.view();
  }
  switch (static_cast<OptType>(o.type)) {
    case OptType::IPv4:
      if (o.length == 4) {
        put_address(out, o.value);
        return out.view();
      }
      break;
    case OptType::Port:
      if (auto p = o.u16()) {
        out.put("{}", *p);
        return out.view();
      }
      break;
    case OptType::NodeId:
    case OptType::FunctionId:
      if (auto v = o.u32()) {
        out.put("{}", *v);
        return out.view();
      }
      break;
    default: break;
  }
  if (sub && sub->kind == ValueKind::NtpTime) {
    if (auto t = o.ntp()) {
      const std::time_t secs = static_cast<std::time_t>(t->unix_seconds());
      std::tm tm{};
      gmtime_r(&secs, &tm);
      out.put("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
              tm.tm_min, tm.tm_sec);
      return out.view();
    }
  }
  if (sub && sub->kind == ValueKind::Address && (o.length == 4 || o.length == 16)) {
    put_address(out, o.value);
    return out.view();
  }
  if (o.type == u8(OptType::IPv6) && o.length == 16) {
    put_address(out, o.value);
    return out.view();
  }
  if (printable(o.text())) {
    out.put("\"{}\"", o.text());
    return out.view();
  }
  out.put("0x");
  for (std::uint8_t b : o.value) out.put("{:02x}", b);
  return out.view();
}

std::string format_value(const OptionView& o) {
  std::string s(16 + 2 * static_cast<std::size_t>(o.length) + 2, '\0');
  auto v = format_value(o, std::span<char>(s.data(), s.size()));
  s.resize(v.size());
  return s;
}

std::string option_name(std::uint8_t type, std::uint8_t sub) {
  const OptionSpec* o = option_spec(type);
  if (!o) return fmt::format("Unknown option {}", type);
  if (o->subs.empty()) return std::string(o->name);
  const SubOptionSpec* s = sub_option_spec(type, sub);
  if (!s) return fmt::format("{} / unknown item {}", o->name, sub);
  return fmt::format("{} / {}", o->name, s->name);
}

std::string type_label(std::uint8_t type) {
  const std::string_view n = type_name(type);
  if (n.empty()) return fmt::format("Unknown ({})", type);
  if (type == u8(MsgType::Error)) return fmt::format("{} (local Type {})", n, type);
  return std::string(n);
}

}  // namespace vsm
