// SPDX-License-Identifier: GPL-2.0-or-later
#include "vsm/text.hpp"

#include <fmt/format.h>

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
  std::string_view view() const noexcept { return {buf_.data(), len_}; }

 private:
  std::span<char> buf_;
  std::size_t len_ = 0;
};

std::string_view or_number(std::string_view name, std::uint8_t v, std::span<char> tmp) noexcept {
  if (!name.empty()) return name;
  auto r = fmt::format_to_n(tmp.data(), tmp.size(), "{}", v);
  return {tmp.data(), std::min<std::size_t>(r.size, tmp.size())};
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
    out.put("Malformed ({} octets)", m.bytes.size());
    return out.view();
  }
  const Header& h = m.header;
  const std::string_view tname = type_name(h.type);
  if (tname.empty()) {
    out.put("Unknown type {}", h.type);
  } else {
    out.put("{}", tname);
  }
  if (carries_operation(h.type) && h.subtype != 0) {
    const std::string_view op = operation_name(h.subtype);
    if (op.empty()) {
      out.put(" op={}", h.subtype);
    } else {
      out.put(" {}", op);
    }
  }
  out.put(" seq={}", h.seq);
  if (h.type == u8(MsgType::Ack) || h.type == u8(MsgType::Error) || h.code != 0) {
    char tmp[4];
    out.put(" {}", or_number(code_name(h.code), h.code, tmp));
  }
  const auto n0 = m.node_id(0);
  const auto n1 = m.node_id(1);
  if (n0 && n1) {
    out.put(" node {} -> {}", *n0, *n1);
  } else if (n0) {
    out.put(" node {}", *n0);
  }
  if (const auto f = m.function_id()) out.put(" function {}", *f);
  if (const auto s = m.find(OptType::FunctionInfo, function_info::RunningStatus); s && printable(s->text()) &&
                                                                                   s->length != 0) {
    out.put(" [{}]", s->text());
  }
  if (m.error) out.put(" [malformed]");
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
    case Req::Role: out.put(" ({} from the {})", type_name(static_cast<std::uint8_t>(f.a)),
                            role_name(static_cast<Role>(f.b)));
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
      if (auto a = o.ipv4()) {
        out.put("{}.{}.{}.{}", (*a)[0], (*a)[1], (*a)[2], (*a)[3]);
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
    if (o.length == 4) {
      out.put("{}.{}.{}.{}", o.value[0], o.value[1], o.value[2], o.value[3]);
    } else {
      for (std::size_t i = 0; i < 16; i += 2) out.put("{}{:x}", i ? ":" : "", (o.value[i] << 8) | o.value[i + 1]);
    }
    return out.view();
  }
  if (o.type == u8(OptType::IPv6) && o.length == 16) {
    for (std::size_t i = 0; i < 16; i += 2) out.put("{}{:x}", i ? ":" : "", (o.value[i] << 8) | o.value[i + 1]);
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
