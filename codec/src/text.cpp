// SPDX-License-Identifier: GPL-2.0-or-later
#include "vsm/text.hpp"

#include <fmt/format.h>

#include "out.hpp"
#include "vsm/keywords.hpp"

namespace vsm {
namespace {

using detail::Out;

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
  switch (r.shows) {
    case Shows::Nothing: break;
    case Shows::ExpectedGot: out.put(" (expected {}, got {})", f.a, f.b); break;
    case Shows::Value: out.put(" ({})", f.a); break;
    case Shows::Seq: out.put(" (seq {})", f.a); break;
    case Shows::MessageSeq: {
      const std::string_view t = type_name(static_cast<std::uint8_t>(f.b));
      out.put(" ({} seq {})", t.empty() ? std::string_view("message") : t, f.a);
      break;
    }
    case Shows::FirstSecond: out.put(" (first {}, second {})", f.a, f.b); break;
    case Shows::TypeFromRole:
      out.put(" ({} from the {})", type_name(static_cast<std::uint8_t>(f.a)), role_name(static_cast<Role>(f.b)));
      break;
  }
  return out.view();
}

std::string describe(const Finding& f) {
  char buf[320];
  return std::string(describe(f, buf));
}

std::string_view format_value(std::uint8_t type, std::uint8_t sub, Bytes value, std::span<char> buf) noexcept {
  Out out(buf);
  if (value.empty()) {
    out.str("(empty)");
    return out.view();
  }
  const std::string_view text(reinterpret_cast<const char*>(value.data()), value.size());
  if (value_fits(type, sub, value)) {
    switch (value_syntax(type, sub)) {
      case ValueSyntax::Text: break;  // quoted below
      case ValueSyntax::Hex: break;   // an option outside the dictionary: text or hex below
      case ValueSyntax::NtpTime: {
        const std::uint32_t secs =
            std::uint32_t{value[0]} << 24 | std::uint32_t{value[1]} << 16 | std::uint32_t{value[2]} << 8 | value[3];
        return time_text(NtpTime{secs, 0}, buf);
      }
      default: return value_text(type, sub, value, buf);
    }
  }
  if (printable(text)) {
    out.str("\"");
    out.str(text);
    out.str("\"");
    return out.view();
  }
  out.str("0x");
  const std::size_t at = out.view().size();
  return {buf.data(), at + hex_text(value, buf.subspan(at)).size()};
}

std::string_view format_value(const OptionView& o, std::span<char> buf) noexcept {
  return format_value(o.type, o.subtype, o.value, buf);
}

std::string format_value(std::uint8_t type, std::uint8_t sub, Bytes value) {
  std::string s(48 + 2 * value.size(), '\0');
  s.resize(format_value(type, sub, value, std::span<char>(s.data(), s.size())).size());
  return s;
}

std::string format_value(const OptionView& o) { return format_value(o.type, o.subtype, o.value); }

std::string_view option_name(std::uint8_t type, std::uint8_t sub, std::span<char> buf) noexcept {
  Out out(buf);
  const OptionSpec* o = option_spec(type);
  if (!o) {
    out.str("Unknown option ");
    out.num(type);
    return out.view();
  }
  out.str(o->name);
  if (o->subs.empty()) return out.view();
  out.str(" / ");
  if (const SubOptionSpec* s = sub_option_spec(type, sub)) {
    out.str(s->name);
  } else {
    out.str("unknown item ");
    out.num(sub);
  }
  return out.view();
}

std::string option_name(std::uint8_t type, std::uint8_t sub) {
  char buf[128];
  return std::string(option_name(type, sub, buf));
}

std::string type_label(std::uint8_t type) {
  const std::string_view n = type_name(type);
  if (n.empty()) return fmt::format("Unknown ({})", type);
  if (type == u8(MsgType::Error)) return fmt::format("{} (local Type {})", n, type);
  return std::string(n);
}

}  // namespace vsm
