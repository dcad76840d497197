// SPDX-License-Identifier: GPL-2.0-or-later
// vsm::Session: one end of a connection driven through bytes, as the tools drive it.
#include "vsm/session.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "vsm/samples.hpp"
#include "vsm/text.hpp"

namespace vsm {
namespace {

SessionConfig node_side() {
  SessionConfig c;
  c.local_role = Role::Node;
  c.initiator = true;
  return c;
}
SessionConfig manager_side() {
  SessionConfig c;
  c.local_role = Role::Manager;
  c.initiator = false;
  return c;
}

struct Seen {
  std::uint8_t type = 0;
  std::uint32_t seq = 0;
  std::uint64_t offset = 0;
  std::vector<Req> findings;
  std::uint64_t answers = 0;  // id of the request an ACK answers
  std::vector<EarlierFinding> earlier;
  bool other_convention = false;
  bool cut_short = false;
  EventKind kind = EventKind::Message;
  std::string error;
  std::size_t bytes = 0;  // of the message (FramingError: from the bad header on)
};

std::vector<Seen> feed(Session& s, Bytes bytes, double now, std::size_t split = 0) {
  std::vector<Seen> out;
  const auto on = [&](const SessionEvent& e) {
    Seen x;
    x.kind = e.kind;
    x.offset = e.stream_offset;
    x.error = std::string(e.error);
    x.bytes = e.message.bytes.size();
    if (e.kind == EventKind::Message) {
      x.type = e.message.header.type;
      x.seq = e.message.header.seq;
      for (const Finding& f : e.findings) x.findings.push_back(f.req);
      if (e.request) x.answers = e.request->id;
      x.earlier.assign(e.earlier.begin(), e.earlier.end());
      x.other_convention = e.other_convention;
      x.cut_short = e.cut_short;
    }
    out.push_back(std::move(x));
  };
  if (split == 0) {
    s.receive(bytes, now, on);
  } else {
    for (std::size_t at = 0; at < bytes.size(); at += split) {
      s.receive(bytes.subspan(at, std::min(split, bytes.size() - at)), now, on);
    }
  }
  return out;
}

std::vector<std::uint8_t> concat(std::initializer_list<Message> ms, LengthConvention c = LengthConvention::Total4) {
  std::vector<std::uint8_t> out;
  for (const Message& m : ms) EXPECT_FALSE(m.encode_to(out, c));
  return out;
}

TEST(Session, AssignsSequenceNumbersFromOneAndLeavesAcksTheirs) {
  Session node(node_side());
  const Sent reg = node.send(registration(0, 0), 1.0);
  EXPECT_EQ(reg.seq, 1u);
  EXPECT_EQ(decode(reg.bytes).header.seq, 1u);
  EXPECT_TRUE(reg.findings.empty()) << describe(reg.findings[0]);
  Header req;
  req.type = u8(MsgType::KeepAlive);
  req.seq = 77;
  const Sent ack = node.send(ack_for(req, ResultCode::Successful, 3), 1.1);
  EXPECT_EQ(ack.seq, 77u);
  EXPECT_EQ(node.send(status_update(0, 3), 1.2).seq, 2u);
  EXPECT_EQ(node.next_seq(), 3u);
}

TEST(Session, CounterContinuesFromANumberTheCallerSet) {
  Session node(node_side());
  EXPECT_FALSE(node.send(registration(0, 0), 0).error);
  Message ka = keep_alive(0, 3);
  ka.seq = 40;
  node.send_bytes(ka.encode().value(), 0);  // numbered by the caller: the counter does not move
  EXPECT_EQ(node.next_seq(), 2u);
  node.set_next_seq(41);
  EXPECT_EQ(node.send(status_update(0, 3), 0).seq, 41u);
}

TEST(Session, CounterWrapsAfter24Bits) {
  SessionConfig c = node_side();
  c.first_seq = kSeqMask;
  Session node(c);
  EXPECT_EQ(node.send(registration(0, 3), 0).seq, kSeqMask);
  EXPECT_EQ(node.send(status_update(0, 3), 0).seq, 0u);
}

TEST(Session, DeliversTheSameEventsWhateverTheSplit) {
  const auto stream = concat({registration(1, 3), status_update(2, 3), keep_alive(3, 3)});
  std::vector<Seen> whole;
  {
    Session mgr(manager_side());
    whole = feed(mgr, stream, 0.5);
  }
  ASSERT_EQ(whole.size(), 3u);
  EXPECT_EQ(whole[0].type, u8(MsgType::Registration));
  EXPECT_EQ(whole[1].offset, registration(1, 3).encoded_size());
  for (std::size_t split = 1; split <= stream.size(); ++split) {
    Session mgr(manager_side());
    const auto parts = feed(mgr, stream, 0.5, split);
    ASSERT_EQ(parts.size(), whole.size()) << "split " << split;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      EXPECT_EQ(parts[i].type, whole[i].type);
      EXPECT_EQ(parts[i].offset, whole[i].offset);
      EXPECT_EQ(parts[i].findings, whole[i].findings);
    }
  }
}

TEST(Session, LinksTheAckToTheRequestItAnswers) {
  Session node(node_side());
  const Sent reg = node.send(registration(0, 0), 1.0);
  Header h;
  h.type = u8(MsgType::Registration);
  h.seq = reg.seq;
  const auto events = feed(node, ack_for(h, ResultCode::Successful, 9).encode().value(), 1.25);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].answers, reg.id);
  EXPECT_TRUE(events[0].findings.empty());
  EXPECT_EQ(node.node_id(), 9u);
  EXPECT_EQ(node.awaiting_ack(), 0u);
  EXPECT_EQ(node.peer_role(), Role::Manager);
}

TEST(Session, ReportsThePeersBrokenRulesOnTheMessage) {
  Session mgr(manager_side());
  // The node's first message is not a Registration.
  const auto events = feed(mgr, status_update(1, 3).encode().value(), 0);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].findings, std::vector<Req>{Req::RegisterFirst});
}

TEST(Session, TheMessagesOwnFindingsComeBeforeTheTrackers) {
  Session mgr(manager_side());
  Message su = status_update(1, 3);
  const std::uint8_t v[] = {'x'};
  su.add(
      Option::raw(99, 0, v));  // an unknown option (the message's own rule), and no Registration first (the tracker's)
  const auto bytes = su.encode().value();
  std::size_t own = 0;
  std::vector<Req> all;
  mgr.receive(bytes, 0, [&](const SessionEvent& e) {
    own = e.message_findings;
    for (const Finding& f : e.findings) all.push_back(f.req);
  });
  EXPECT_EQ(all, (std::vector<Req>{Req::OptionKnown, Req::RegisterFirst}));
  EXPECT_EQ(own, 1u);
}

TEST(Session, ReportsOwnRequestReplacedByAReusedSequenceWithItsDirection) {
  Session node(node_side());
  const Sent first = node.send(registration(0, 3), 0);
  const Sent again = node.send(status_update(first.seq, 3), 0.1, SeqMode::AsGiven);
  EXPECT_TRUE(again.findings.contains(Req::SeqDuplicate));
  ASSERT_EQ(again.earlier.size(), 1u);
  EXPECT_EQ(again.earlier[0].id, first.id);
  EXPECT_EQ(again.earlier[0].dir, node.local_dir());
  EXPECT_EQ(again.earlier[0].why, EarlierFinding::Why::Replaced);
}

TEST(Session, ReportsPeersRequestReplacedOnTheNewMessage) {
  Session node(node_side());
  EXPECT_FALSE(node.send(registration(0, 3), 0).error);
  const auto stream = concat({keep_alive(5, 3), keep_alive(5, 3)});
  const auto events = feed(node, stream, 0.2);
  ASSERT_EQ(events.size(), 2u);
  ASSERT_EQ(events[1].earlier.size(), 1u);
  EXPECT_EQ(events[1].earlier[0].dir, node.peer_dir());
  EXPECT_EQ(events[1].earlier[0].seq, 5u);
  EXPECT_EQ(node.owed_acks(), 1u);
}

TEST(Session, TickReportsRequestsPastTheAckTimerOnce) {
  SessionConfig c = node_side();
  c.ack_timeout = 2.0;
  Session node(c);
  const Sent reg = node.send(registration(0, 3), 10.0);
  EXPECT_TRUE(node.tick(11.0).empty());
  const auto late = node.tick(12.5);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].id, reg.id);
  EXPECT_EQ(late[0].dir, node.local_dir());
  EXPECT_EQ(late[0].finding.req, Req::AckEveryMessage);
  EXPECT_TRUE(node.tick(20.0).empty());
}

TEST(Session, CloseReportsEverythingUnansweredAndTheMessageCutShort) {
  Session node(node_side());
  EXPECT_FALSE(node.send(registration(0, 3), 0).error);
  auto bytes = keep_alive(4, 3).encode().value();
  bytes.resize(bytes.size() - 3);
  EXPECT_TRUE(feed(node, bytes, 0.1).empty());
  std::vector<Seen> last;
  const auto left = node.close(0.2, [&](const SessionEvent& e) {
    Seen x;
    x.kind = e.kind;
    x.offset = e.stream_offset;
    x.error = std::string(e.error);
    last.push_back(x);
  });
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].kind, EventKind::EndedInsideMessage);
  EXPECT_EQ(last[0].offset, 0u);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].type, u8(MsgType::Registration));
  EXPECT_EQ(left[0].why, EarlierFinding::Why::End);
}

TEST(Session, ImpossibleLengthStopsTheStreamAndSaysWhere) {
  Session mgr(manager_side());
  auto stream = registration(1, 3).encode().value();
  const std::size_t bad_at = stream.size();
  auto broken = keep_alive(2, 3).encode().value();
  broken[2] = 0;
  broken[3] = 1;  // Length 1: smaller than the header
  stream.insert(stream.end(), broken.begin(), broken.end());
  const auto tail = status_update(3, 3).encode().value();
  stream.insert(stream.end(), tail.begin(), tail.end());
  const auto events = feed(mgr, stream, 0);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].kind, EventKind::FramingError);
  EXPECT_EQ(events[1].offset, bad_at);
  EXPECT_FALSE(events[1].error.empty());
  EXPECT_EQ(events[1].bytes, broken.size() + tail.size()) << "the event holds what cannot be framed";
  EXPECT_TRUE(mgr.failed());
  EXPECT_TRUE(feed(mgr, tail, 1).empty());
  EXPECT_EQ(mgr.ignored(), broken.size() + 2 * tail.size());
}

TEST(Session, TakesAMessageOfTheOtherConventionOnlyWhenAllowed) {
  const auto literal = concat({registration(1, 3)}, LengthConvention::Literal3);
  {
    Session mgr(manager_side());
    EXPECT_TRUE(feed(mgr, literal, 0).empty());  // waits for the octet its Length promises
  }
  SessionConfig c = manager_side();
  c.accept_other_convention = true;
  Session mgr(c);
  const auto events = feed(mgr, literal, 0);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].other_convention);
  EXPECT_EQ(events[0].type, u8(MsgType::Registration));
  EXPECT_TRUE(events[0].findings.empty());
}

TEST(Session, SctpChunkOfTheOtherConventionIsTakenAsThatOnlyWhenAllowed) {
  const auto literal = concat({registration(1, 3)}, LengthConvention::Literal3);
  for (const bool allow : {false, true}) {
    SessionConfig c = manager_side();
    c.transport = Transport::Messages;
    c.accept_other_convention = allow;
    Session mgr(c);
    const auto events = feed(mgr, literal, 0);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, u8(MsgType::Registration));
    EXPECT_EQ(events[0].other_convention, allow);
    const bool literal_finding =
        std::find(events[0].findings.begin(), events[0].findings.end(), Req::LengthLiteral) != events[0].findings.end();
    EXPECT_EQ(literal_finding, !allow) << "allowed: decoded under the other convention, without the finding";
  }
}

TEST(Session, SctpChunksAreCutAndJoinedWithTheirOffsets) {
  SessionConfig c = manager_side();
  c.transport = Transport::Messages;
  c.saw_connection_start = false;  // framing only: the node's messages come without the manager's ACKs
  Session mgr(c);
  const auto two = concat({registration(1, 3), status_update(2, 3)});
  const auto events = feed(mgr, two, 0);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].offset, registration(1, 3).encoded_size());
  // One message over two chunks.
  const auto ka = deregistration(3, 3).encode().value();
  const std::size_t half = ka.size() / 2;
  EXPECT_TRUE(feed(mgr, Bytes(ka.data(), half), 0.1).empty());
  const auto joined = feed(mgr, Bytes(ka.data() + half, ka.size() - half), 0.2);
  ASSERT_EQ(joined.size(), 1u);
  EXPECT_EQ(joined[0].type, u8(MsgType::Deregistration));
  EXPECT_EQ(joined[0].offset, two.size());
  EXPECT_TRUE(joined[0].findings.empty());
}

TEST(Session, TypicalTrafficBetweenTwoSessionsHasNoFindings) {
  Session node(node_side());
  Session mgr(manager_side());
  std::size_t events = 0;
  for (const Sample& s : typical_messages()) {
    Session& from = s.sender == Role::Node ? node : mgr;
    Session& to = s.sender == Role::Node ? mgr : node;
    const Sent out = from.send(s.message, 0, SeqMode::AsGiven);
    EXPECT_TRUE(out.findings.empty()) << s.name << ": " << describe(out.findings[0]);
    to.receive(out.bytes, 0, [&](const SessionEvent& e) {
      ++events;
      EXPECT_EQ(e.kind, EventKind::Message);
      EXPECT_TRUE(e.findings.empty()) << s.name << ": " << describe(e.findings[0]);
      EXPECT_TRUE(e.earlier.empty()) << s.name;
    });
  }
  EXPECT_EQ(events, typical_messages().size());
  EXPECT_TRUE(node.close(1).empty());
  EXPECT_TRUE(mgr.close(1).empty());
}

}  // namespace
}  // namespace vsm
