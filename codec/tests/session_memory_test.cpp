// SPDX-License-Identifier: GPL-2.0-or-later
// What a vsm::Session holds while idle: nothing on the heap (its scratch
// space is on loan from a per-thread pool while a result of its is valid;
// the framer's buffer and the tracker's tables are freed once they hold
// nothing), so that one process can keep 100,000 connections (issue 14,
// item 9: at most 4 KB per node on one manager).
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "vsm/samples.hpp"
#include "vsm/session.hpp"

namespace vsm {
namespace {

SessionConfig side(Role r) {
  SessionConfig c;
  c.local_role = r;
  c.initiator = r == Role::Node;
  return c;
}

// A node's Registration and a Keep-Alive of the manager's, as bytes.
std::vector<std::uint8_t> registration_bytes() {
  Session node(side(Role::Node));
  return node.send(registration(0, 0), 0).bytes;
}

TEST(SessionMemory, TheScratchSpaceIsNotPartOfEachSession) {
  // Its event, send result and findings lists (some 4 KB) are on loan while in use.
  EXPECT_LE(sizeof(Session), 1024u);
  const Session s(side(Role::Manager));
  EXPECT_FALSE(s.holds_scratch());
  EXPECT_EQ(s.heap_bytes(), 0u);
}

TEST(SessionMemory, AnIdleSessionHoldsNothingOnTheHeap) {
  Session mgr(side(Role::Manager));
  const auto reg = registration_bytes();
  // Split: the first part waits in the framer's buffer.
  std::size_t seen = 0;
  mgr.receive(Bytes(reg).first(5), 1.0, [&](const SessionEvent&) { ++seen; });
  EXPECT_EQ(seen, 0u);
  EXPECT_GT(mgr.heap_bytes(), 0u);
  Header request;
  mgr.receive(Bytes(reg).subspan(5), 1.0, [&](const SessionEvent& e) {
    ++seen;
    EXPECT_TRUE(mgr.holds_scratch());
    request = e.message.header;
  });
  ASSERT_EQ(seen, 1u);
  EXPECT_EQ(mgr.owed_acks(), 1u);
  const Sent ack = mgr.send(ack_for(request, ResultCode::Successful, 7), 1.1);
  EXPECT_EQ(mgr.owed_acks(), 0u);
  mgr.trim();
  EXPECT_FALSE(mgr.holds_scratch());
  EXPECT_EQ(mgr.heap_bytes(), 0u);

  // A request of ours waits for its ACK: the tracker holds it, and lets it go with the ACK.
  const Sent ka = mgr.send(keep_alive(0, 7), 2.0);
  mgr.trim();
  EXPECT_GT(mgr.heap_bytes(), 0u);
  Session node(side(Role::Node));
  const Sent answer = node.send(ack_for(decode(ka.bytes).header, ResultCode::Successful, 7), 2.0);
  bool acked = false;
  mgr.receive(answer.bytes, 2.01, [&](const SessionEvent& e) { acked = e.request.has_value(); });
  EXPECT_TRUE(acked);
  mgr.trim();  // the driver's call once the read is handled (SessionIo::take)
  EXPECT_EQ(mgr.heap_bytes(), 0u);
  EXPECT_FALSE(mgr.holds_scratch());
}

TEST(SessionMemory, AnEventStaysValidWhileTheHandlerSends) {
  Session mgr(side(Role::Manager));
  const auto reg = registration_bytes();
  mgr.receive(reg, 1.0, [&](const SessionEvent& e) {
    const Header h = e.message.header;
    (void)mgr.send(ack_for(h, ResultCode::Successful, 7), 1.0);
    mgr.trim();  // inside the handler: does nothing
    EXPECT_TRUE(mgr.holds_scratch());
    EXPECT_EQ(e.message.header.type, h.type);
    EXPECT_EQ(e.message.bytes.size(), reg.size());
  });
  EXPECT_TRUE(mgr.holds_scratch());  // kept for the next read of a busy connection
  mgr.trim();
  EXPECT_FALSE(mgr.holds_scratch());
}

TEST(SessionMemory, ThousandsOfIdleSessionsHoldNoScratch) {
  const auto reg = registration_bytes();
  std::vector<std::unique_ptr<Session>> all;
  std::size_t heap = 0, holding = 0;
  for (int i = 0; i < 2000; ++i) {
    auto s = std::make_unique<Session>(side(Role::Manager));
    s->receive(reg, 1.0, [&](const SessionEvent& e) {
      (void)s->send(ack_for(e.message.header, ResultCode::Successful, static_cast<std::uint32_t>(i + 1)), 1.0);
    });
    s->trim();  // as SessionIo does after each read
    all.push_back(std::move(s));
  }
  for (const auto& s : all) {
    heap += s->heap_bytes();
    holding += s->holds_scratch() ? 1 : 0;
  }
  EXPECT_EQ(heap, 0u);
  EXPECT_EQ(holding, 0u);
}

TEST(SessionMemory, TheFramerBufferIsFreedOnceItHoldsNothing) {
  Framer f;
  EXPECT_EQ(f.heap_bytes(), 0u);  // allocated when bytes first wait
  Message big(MsgType::StatusUpdate, 1);
  big.add(Option::vendor_info(std::string(60000, 'x')));
  const auto bytes = big.encode().value();
  ASSERT_GT(bytes.size(), 60000u);
  EXPECT_EQ(f.feed(Bytes(bytes).first(1000)), 1000u);
  EXPECT_GT(f.heap_bytes(), 0u);
  f.trim();  // a message is under way: kept
  EXPECT_GT(f.heap_bytes(), 0u);
  EXPECT_EQ(f.feed(Bytes(bytes).subspan(1000)), bytes.size() - 1000);
  EXPECT_GE(f.heap_bytes(), bytes.size());
  const FrameResult r = f.next();
  ASSERT_EQ(r.status, FrameStatus::Pdu);
  EXPECT_EQ(r.pdu.size(), bytes.size());
  f.trim();  // the PDU handed out is still valid: kept
  EXPECT_GT(f.heap_bytes(), 0u);
  EXPECT_EQ(f.next().status, FrameStatus::NeedMore);
  f.trim();
  EXPECT_EQ(f.heap_bytes(), 0u);
  EXPECT_EQ(f.stream_offset(), bytes.size());
}

TEST(SessionMemory, TheTrackerFreesItsTablesWhenNothingWaits) {
  ExchangeTracker t;
  const auto reg = registration_bytes();
  t.on_message(decode(reg), Dir::FromInitiator, 1.0, 1);
  EXPECT_GT(t.heap_bytes(), 0u);
  t.trim();
  EXPECT_GT(t.heap_bytes(), 0u);  // the Registration waits for its ACK
  const auto ack = ack_for(decode(reg).header, ResultCode::Successful, 9).encode().value();
  const ExchangeResult r = t.on_message(decode(ack), Dir::FromResponder, 1.1, 2);
  EXPECT_TRUE(r.request.has_value());
  t.trim();
  EXPECT_EQ(t.heap_bytes(), 0u);
}

}  // namespace
}  // namespace vsm
