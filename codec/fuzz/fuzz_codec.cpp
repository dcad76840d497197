// SPDX-License-Identifier: GPL-2.0-or-later
// One fuzz entry point over every parser of the codec: decode under both
// length conventions, the message rules, the text helpers, the framer fed in
// input-chosen pieces, and the exchange tracker over the framed PDUs.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>

#include "vsm/exchange.hpp"
#include "vsm/framing.hpp"
#include "vsm/keywords.hpp"
#include "vsm/rules.hpp"
#include "vsm/session.hpp"
#include "vsm/text.hpp"
#include "vsm/wire.hpp"

namespace {

void exercise_message(vsm::Bytes pdu, vsm::LengthConvention c) {
  const vsm::MessageView m = vsm::decode(pdu, c);
  vsm::FindingList findings;
  vsm::check_message(m, findings);
  char buf[512];
  (void)vsm::summarize(m, buf);
  for (const auto& f : findings) (void)vsm::describe(f, buf);
  for (const vsm::OptionView o : m.options()) {
    (void)vsm::format_value(o, buf);
    (void)o.numeric();
    (void)o.ntp();
    // Value text and option keywords read back as what they were written from
    // (an NTP time's text keeps whole seconds only).
    if (vsm::value_fits(o.type, o.subtype, o.value) &&
        vsm::value_syntax(o.type, o.subtype) != vsm::ValueSyntax::NtpTime) {
      const auto back = vsm::parse_value(o.type, o.subtype, vsm::value_text(o));
      if (!back || !std::equal(back->begin(), back->end(), o.value.begin(), o.value.end())) std::abort();
    }
    const auto key = vsm::parse_option_keyword(vsm::option_keyword(o.type, o.subtype));
    if (!key || !key->matches(o.type, o.subtype)) std::abort();
  }
  (void)vsm::looks_like_vsm(pdu, c);
  // The ID positions decode() remembers must agree with a walk of the options.
  std::optional<std::uint32_t> nodes[2], function;
  unsigned n = 0;
  bool function_seen = false;
  for (const vsm::OptionView o : m.options()) {
    if (o.is(vsm::OptType::NodeId) && n < 2) nodes[n++] = o.u32();
    if (o.is(vsm::OptType::FunctionId) && !function_seen) {
      function_seen = true;
      function = o.u32();
    }
  }
  if (m.node_id(0) != nodes[0] || m.node_id(1) != nodes[1] || m.function_id() != function) std::abort();
}

// A Session fed the input as the peer's bytes (TCP pieces or SCTP user
// messages), answering every request, with the ACK timer running: whatever
// comes, every byte is either framed or counted as ignored.
void exercise_session(vsm::Bytes input, std::size_t piece, vsm::LengthConvention c, bool sctp) {
  vsm::SessionConfig cfg;
  cfg.local_role = (piece & 1) ? vsm::Role::Manager : vsm::Role::Node;
  cfg.initiator = cfg.local_role == vsm::Role::Node;
  cfg.convention = c;
  cfg.accept_other_convention = (piece & 2) != 0;
  cfg.transport = sctp ? vsm::Transport::Messages : vsm::Transport::Stream;
  cfg.max_pdu = 4096;
  cfg.ack_timeout = 0.5;
  vsm::Session s(cfg);
  double now = 0;
  std::uint64_t framed = 0;
  std::vector<vsm::Header> to_ack;
  const auto on = [&](const vsm::SessionEvent& e) {
    if (e.kind == vsm::EventKind::Message) {
      framed += e.message.bytes.size();
      if (e.message.has_header() && !e.message.is_ack()) to_ack.push_back(e.message.header);
    }
  };
  for (std::size_t pos = 0; pos < input.size(); pos += piece) {
    s.receive(input.subspan(pos, std::min(piece, input.size() - pos)), now, on);
    for (const vsm::Header& h : to_ack) (void)s.send(vsm::ack_for(h, vsm::ResultCode::Successful, 1), now);
    to_ack.clear();
    now += 0.25;
    (void)s.tick(now);
  }
  (void)s.close(now, on);
  if (!sctp && framed + s.ignored() != input.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const vsm::Bytes input(data, size);
  exercise_message(input, vsm::LengthConvention::Total4);
  exercise_message(input, vsm::LengthConvention::Literal3);

  // The same bytes as text: keywords and values never fail other than by a reason.
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)vsm::parse_option_keyword(text);
  (void)vsm::parse_type(text);
  (void)vsm::parse_time(text);
  (void)vsm::parse_hex(text);
  if (size >= 2) (void)vsm::parse_value(data[0], data[1], text.substr(2));

  // Stream: the first byte picks the piece size, the rest is the stream.
  if (size < 2) return 0;
  const std::size_t piece = 1 + data[0] % 64;
  const auto conv = (data[0] & 0x80) ? vsm::LengthConvention::Literal3 : vsm::LengthConvention::Total4;
  exercise_session(input.subspan(1), piece, conv, (data[0] & 0x40) != 0);
  vsm::Framer framer(conv, 4096);
  vsm::ExchangeTracker tracker;
  std::uint64_t id = 0;
  std::size_t pos = 1;
  int resyncs = 0;
  while (pos < size) {
    const std::size_t n = std::min(piece, size - pos);
    pos += framer.feed(input.subspan(pos, n));
    for (;;) {
      const vsm::FrameResult r = framer.next();
      if (r.status == vsm::FrameStatus::NeedMore) break;
      if (r.status == vsm::FrameStatus::Error) {
        if (++resyncs > 4096) return 0;
        framer.resync();
        continue;
      }
      const vsm::MessageView m = vsm::decode(r.pdu, conv);
      const auto dir = (id & 1) ? vsm::Dir::FromResponder : vsm::Dir::FromInitiator;
      (void)tracker.on_message(m, dir, static_cast<double>(id), id);
      ++id;
    }
  }
  std::vector<vsm::EarlierFinding> late;
  tracker.expire(static_cast<double>(id) + 10, late);
  tracker.finish(late);
  return 0;
}
