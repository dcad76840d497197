// SPDX-License-Identifier: GPL-2.0-or-later
// Exchange rules: the tracker sees a connection's messages in order, from the
// Execution Node (the initiator, Dir::FromInitiator) and the Manager.
#include "vsm/exchange.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "vectors.hpp"
#include "vsm/message.hpp"
#include "vsm/samples.hpp"
#include "vsm/text.hpp"

namespace vsm {
namespace {

// A transfer operation as the source gets it: the destination's transfer endpoint (IPv4 and Port).
Message to_source(Message m) {
  m.add(Option::ipv4({127, 0, 0, 1}));
  m.add(Option::port(7751));
  return m;
}

using test::Buf;
constexpr Dir kNode = Dir::FromInitiator;
constexpr Dir kManager = Dir::FromResponder;

// Feeds messages to a tracker and keeps every finding, with the message id.
class Feed {
 public:
  explicit Feed(TrackerConfig cfg = {}) : t(cfg) {}

  ExchangeResult send(Dir d, const Buf& b, double time = -1) {
    frames_.push_back(b);  // the view must outlive nothing, but keep the bytes alive anyway
    now_ = time >= 0 ? time : now_ + 0.1;
    ExchangeResult r = t.on_message(decode(frames_.back()), d, now_, ++id_);
    for (const auto& f : r.findings) all.push_back(f);
    for (const auto& e : r.earlier) {
      all.push_back(e.finding);
      earlier.push_back(e);
    }
    return r;
  }
  void finish() {
    std::vector<EarlierFinding> out;
    t.finish(out);
    keep(out);
  }
  void expire(double now) {
    std::vector<EarlierFinding> out;
    t.expire(now, out);
    keep(out);
  }
  void keep(const std::vector<EarlierFinding>& out) {
    for (const auto& e : out) {
      all.push_back(e.finding);
      earlier.push_back(e);
    }
  }
  ExchangeResult send(Dir d, const Message& m, double time = -1) { return send(d, m.encode().value(), time); }

  // The node registers with `id` (0 = asks for one) and the manager ACKs with `assigned`.
  void register_node(std::uint32_t id = 3, std::uint32_t assigned = 3) {
    send(kNode, registration(1, id));
    Header h;
    h.type = u8(MsgType::Registration);
    h.seq = 1;
    send(kManager, ack_for(h, ResultCode::Successful, assigned));
  }

  std::set<Req> reqs() const {
    std::set<Req> s;
    for (const auto& f : all) s.insert(f.req);
    return s;
  }
  std::string text() const {
    std::string s;
    for (const auto& f : all) s += describe(f) + "\n";
    return s;
  }
  std::uint64_t last_id() const { return id_; }

  ExchangeTracker t;
  std::vector<Finding> all;
  std::vector<EarlierFinding> earlier;  // those about earlier messages, with their direction

 private:
  std::deque<Buf> frames_;
  std::uint64_t id_ = 0;
  double now_ = 0;
};

Header hdr(MsgType t, std::uint32_t seq, std::uint8_t sub = 0) {
  Header h;
  h.type = u8(t);
  h.subtype = sub;
  h.seq = seq;
  return h;
}

// ---- the complete, correct exchanges: no findings at all

TEST(Exchange, RegistrationAndItsAckHaveNoFindings) {
  Feed s;
  const ExchangeResult reg = s.send(kNode, test::kRegistration, 1.0);
  EXPECT_FALSE(reg.request);
  EXPECT_EQ(s.t.outstanding(kNode), 1u);
  const ExchangeResult ack = s.send(kManager, test::kAckRegistration, 1.25);
  ASSERT_TRUE(ack.request);
  EXPECT_EQ(ack.request->seq, 1u);
  EXPECT_EQ(ack.request->type, u8(MsgType::Registration));
  EXPECT_EQ(ack.request->id, 1u);
  EXPECT_DOUBLE_EQ(ack.response_time, 0.25);
  EXPECT_EQ(s.t.outstanding(kNode), 0u);
  EXPECT_EQ(s.t.role(kNode), Role::Node);
  EXPECT_EQ(s.t.role(kManager), Role::Manager);
  EXPECT_EQ(s.t.node_id(), 3u);
  EXPECT_TRUE(s.all.empty()) << s.text();
}

// ACKs cut by the capture: what they carry in the part not captured is not
// reported missing (the Node ID assigned, the GET items, MOVE_SESSION's Function ID).
TEST(Exchange, AcksCutByTheCaptureLackNothing) {
  ExchangeTracker t;
  std::vector<Finding> all;
  std::uint64_t id = 0;
  const auto send = [&](Dir d, const Buf& b, std::size_t captured) {
    const auto size = static_cast<std::uint32_t>(b.size());
    const ExchangeResult r = t.on_message(decode(Bytes(b.data(), std::min(captured, b.size())), size), d, 0.1, ++id);
    for (const auto& f : r.findings) all.push_back(f);
    return r;
  };
  send(kNode, test::kRegistration, 100);
  EXPECT_TRUE(send(kManager, test::kAckRegistration, kHeaderSize).request);
  send(kManager, test::kGet, 100);
  EXPECT_TRUE(send(kNode, test::kGetAck, kHeaderSize + 8).request);
  send(kManager, test::kMoveSession, 100);
  EXPECT_TRUE(send(kNode, test::kMoveSessionAck, kHeaderSize).request);
  std::string text;
  for (const auto& f : all) {
    text += describe(f) + "\n";
    EXPECT_NE(f.req, Req::NodeIdAssigned);
    EXPECT_NE(f.req, Req::GetAckValues);
    EXPECT_NE(f.req, Req::MoveSessionAckOptions);
  }
  EXPECT_LE(all.size(), 1u) << text;  // at most the skipped sequence number 11..14
  // The same ACKs captured whole but without those options are reported.
  Feed s;
  s.send(kNode, test::kRegistration);
  s.send(kManager, ack_for(hdr(MsgType::Registration, 1), ResultCode::Successful, 0));
  EXPECT_TRUE(s.reqs().count(Req::NodeIdAssigned)) << s.text();
}

TEST(Exchange, EveryOperationWithItsAckHasNoFindings) {
  Feed s;
  s.send(kNode, test::kRegistration);
  s.send(kManager, test::kAckRegistration);
  // The manager's own counter: Keep-Alive 7, then the operations 10..15 in order.
  const std::pair<const Buf*, const Buf*> pairs[] = {
      {&test::kGet, &test::kGetAck},   {&test::kAdd, &test::kAddAck},
      {&test::kMove, &test::kMoveAck}, {&test::kDelete, &test::kDeleteAck},
      {&test::kCopy, &test::kCopyAck}, {&test::kMoveSession, &test::kMoveSessionAck},
  };
  s.send(kManager, test::kKeepAlive);
  s.send(kNode, ack_for(hdr(MsgType::KeepAlive, 7), ResultCode::Successful, 3));
  Buf keep = test::kKeepAlive;
  for (std::uint8_t seq = 8; seq <= 9; ++seq) {  // fill the gap up to the GET's seq 10
    keep[7] = seq;
    s.send(kManager, keep);
    s.send(kNode, ack_for(hdr(MsgType::KeepAlive, seq), ResultCode::Successful, 3));
  }
  for (const auto& [req, ack] : pairs) {
    s.send(kManager, *req);
    const ExchangeResult r = s.send(kNode, *ack);
    ASSERT_TRUE(r.request);
    EXPECT_EQ(r.request->seq, decode(*req).header.seq);
  }
  // Node's own counter continues after the Registration (seq 1).
  s.send(kNode, test::kStatusUpdate);
  s.send(kManager, ack_for(hdr(MsgType::StatusUpdate, 2), ResultCode::Successful, 3));
  s.send(kNode, test::kDeregistration);
  s.send(kManager, ack_for(hdr(MsgType::Deregistration, 3), ResultCode::Successful, 3));
  s.send(kNode, test::kError);
  s.send(kManager, ack_for(hdr(MsgType::Error, 4), ResultCode::Successful, 3));
  std::vector<EarlierFinding> left;
  s.t.finish(left);
  EXPECT_TRUE(left.empty());
  EXPECT_TRUE(s.all.empty()) << s.text();
}

// A vector with another 24-bit sequence number.
Buf with_seq(Buf b, std::uint32_t seq) {
  b[5] = static_cast<std::uint8_t>(seq >> 16);
  b[6] = static_cast<std::uint8_t>(seq >> 8);
  b[7] = static_cast<std::uint8_t>(seq);
  return b;
}

// ---- scenarios: each breaks exactly one requirement; the good one breaks none

struct Scenario {
  std::string name;
  Req req;
  std::function<void(Feed&)> bad;
  std::function<void(Feed&)> good;
  TrackerConfig cfg = {};
};

void PrintTo(const Scenario& c, std::ostream* os) { *os << c.name; }

std::vector<Scenario> scenarios() {
  return {
      {"ReportsRequestNeverAckedAtFinish", Req::AckEveryMessage,
       [](Feed& s) {
         s.register_node();
         s.send(kManager, keep_alive(1, 3));
         s.finish();
       },
       [](Feed& s) {
         s.register_node();
         s.send(kManager, keep_alive(1, 3));
         s.send(kNode, ack_for(hdr(MsgType::KeepAlive, 1), ResultCode::Successful, 3));
         s.finish();
       }},
      {"ReportsRequestNotAckedWithinTimer", Req::AckEveryMessage,
       [](Feed& s) {
         s.register_node();
         s.send(kManager, keep_alive(1, 3), 10.0);
         s.expire(15.5);
       },
       [](Feed& s) {
         s.register_node();
         s.send(kManager, keep_alive(1, 3), 10.0);
         s.expire(14.5);
         s.send(kNode, ack_for(hdr(MsgType::KeepAlive, 1), ResultCode::Successful, 3), 14.9);
         s.expire(100.0);
       }},
      {"ReportsNodeWhoseFirstMessageIsNotRegistration", Req::RegisterFirst,
       [](Feed& s) { s.send(kNode, status_update(1, 3)); }, [](Feed& s) { s.send(kNode, registration(1, 3)); }},
      {"ReportsManagerSendingStatusUpdate", Req::Role,
       [](Feed& s) {
         s.register_node();
         s.send(kManager, status_update(1, 3));
       },
       [](Feed& s) {
         s.register_node();
         s.send(kManager, keep_alive(1, 3));
       }},
      {"ReportsNodeSendingOperation", Req::Role,
       [](Feed& s) {
         s.register_node();
         s.send(kNode, add_function(2, 3, 7));
       },
       [](Feed& s) {
         s.register_node();
         s.send(kManager, add_function(1, 3, 7));
       }},
      {"ReportsAckOfAnAck", Req::AckNotAcked,
       [](Feed& s) {
         s.register_node();  // manager ACKs seq 1
         Header h = hdr(MsgType::Ack, 1);
         s.send(kNode, ack_for(h, ResultCode::Successful, 3));
       },
       [](Feed& s) { s.register_node(); }},
      {"ReportsSuccessfulRegistrationAckWithoutNodeId", Req::NodeIdAssigned, [](Feed& s) { s.register_node(0, 0); },
       [](Feed& s) { s.register_node(0, 3); }},
      {"ReportsSequenceSkippingANumber", Req::SeqIncrement,
       [](Feed& s) {
         s.send(kNode, registration(1, 3));
         s.send(kManager, ack_for(hdr(MsgType::Registration, 1), ResultCode::Successful, 3));
         s.send(kNode, status_update(3, 3));
       },
       [](Feed& s) {
         s.send(kNode, registration(1, 3));
         s.send(kManager, ack_for(hdr(MsgType::Registration, 1), ResultCode::Successful, 3));
         s.send(kNode, status_update(2, 3));
       }},
      {"ReportsSequenceGoingBackwards", Req::SeqIncrement,
       [](Feed& s) {
         s.send(kNode, registration(5, 3));
         s.send(kManager, ack_for(hdr(MsgType::Registration, 5), ResultCode::Successful, 3));
         s.send(kNode, status_update(4, 3));
       },
       [](Feed& s) {
         s.send(kNode, registration(5, 3));
         s.send(kManager, ack_for(hdr(MsgType::Registration, 5), ResultCode::Successful, 3));
         s.send(kNode, status_update(6, 3));
       }},
      {"ReportsRepeatedSequenceNumber", Req::SeqDuplicate,
       [](Feed& s) {
         s.register_node();
         s.send(kNode, status_update(2, 3));
         s.send(kManager, ack_for(hdr(MsgType::StatusUpdate, 2), ResultCode::Successful, 3));
         s.send(kNode, status_update(2, 3));
       },
       [](Feed& s) {
         s.register_node();
         s.send(kNode, status_update(2, 3));
         s.send(kManager, ack_for(hdr(MsgType::StatusUpdate, 2), ResultCode::Successful, 3));
         s.send(kNode, status_update(3, 3));
       }},
      {"ReportsAckWithSequenceOfNoOutstandingRequest", Req::AckSeq,
       [](Feed& s) {
         s.send(kNode, registration(1, 3));
         s.send(kManager, ack_for(hdr(MsgType::Registration, 2), ResultCode::Successful, 3));
       },
       [](Feed& s) {
         s.send(kNode, registration(1, 3));
         s.send(kManager, ack_for(hdr(MsgType::Registration, 1), ResultCode::Successful, 3));
       }},
      {"ReportsAckNotCopyingSubType", Req::AckSubType,
       [](Feed& s) {
         s.register_node();
         s.send(kManager, transfer(Operation::Move, 1, 3, 5, 7));
         Message a = ack_for(hdr(MsgType::Operation, 1, 0), ResultCode::Successful, 3);
         s.send(kNode, a);
       },
       [](Feed& s) {
         s.register_node();
         s.send(kManager, transfer(Operation::Move, 1, 3, 5, 7));
         s.send(kNode, ack_for(hdr(MsgType::Operation, 1, u8(Operation::Move)), ResultCode::Successful, 3));
       }},
      {"ReportsUnsolicitedAck", Req::AckUnsolicited,
       [](Feed& s) {
         s.register_node();
         s.send(kNode, ack_for(hdr(MsgType::KeepAlive, 9), ResultCode::Successful, 3));
       },
       [](Feed& s) {
         s.register_node();
         s.send(kManager, keep_alive(9, 3));
         s.send(kNode, ack_for(hdr(MsgType::KeepAlive, 9), ResultCode::Successful, 3));
       }},
      {"ReportsGetAckMissingARequestedItem", Req::GetAckValues,
       [](Feed& s) {
         s.register_node();
         s.send(kManager, test::kGet);  // wants 6/11 and 7/50
         Message a = ack_for(decode(test::kGet).header, ResultCode::Successful, 3);
         a.add(Option::function_id(7)).add(Option::running_status("Running"));
         s.send(kNode, a);
       },
       [](Feed& s) {
         s.register_node();
         s.send(kManager, test::kGet);
         s.send(kNode, test::kGetAck);
       }},
      {"ReportsMoveSessionAckWithoutTheCommandsFunctionId", Req::MoveSessionAckOptions,
       [](Feed& s) {
         s.register_node();
         Message m = move_session(1, 3, 5);
         m.add(Option::function_id(7)).add(Option::session_info(session_info::Ratio, "0.3"));
         s.send(kManager, m);
         Message a = ack_for(hdr(MsgType::Operation, 1, u8(Operation::MoveSession)), ResultCode::Successful, 3);
         a.add(Option::running_status("Running"));
         s.send(kNode, a);
       },
       [](Feed& s) {
         s.register_node();
         Message m = move_session(1, 3, 5);
         m.add(Option::function_id(7)).add(Option::session_info(session_info::Ratio, "0.3"));
         s.send(kManager, m);
         Message a = ack_for(hdr(MsgType::Operation, 1, u8(Operation::MoveSession)), ResultCode::Successful, 3);
         a.add(Option::function_id(7)).add(Option::running_status("Running"));
         s.send(kNode, a);
       }},
      {"ReportsMoveListingDestinationFirst", Req::MoveOrder,
       [](Feed& s) {
         s.register_node();
         s.send(kManager, to_source(transfer(Operation::Move, 1, 5, 3, 7)));
       },
       [](Feed& s) {
         s.register_node();
         s.send(kManager, transfer(Operation::Move, 1, 3, 5, 7));
       }},
      {"ReportsCopyListingDestinationFirst", Req::CopyOrder,
       [](Feed& s) {
         s.register_node();
         s.send(kManager, to_source(transfer(Operation::Copy, 1, 5, 3, 7)));
       },
       [](Feed& s) {
         s.register_node();
         s.send(kManager, transfer(Operation::Copy, 1, 3, 5, 7));
       }},
      // ---- the registration state (PROFILE.md, "Registration state")
      {"ReportsOperationBeforeRegistrationAck", Req::Registered,
       [](Feed& s) {
         s.send(kNode, registration(1, 3));
         s.send(kManager, add_function(1, 3, 7));
       },
       [](Feed& s) {
         s.register_node();
         s.send(kManager, add_function(1, 3, 7));
       }},
      {"ReportsKeepAliveToANodeThatNeverRegistered", Req::Registered,
       [](Feed& s) { s.send(kManager, keep_alive(1, 3)); },
       [](Feed& s) {
         s.register_node();
         s.send(kManager, keep_alive(1, 3));
       }},
      {"ReportsStatusUpdateBeforeRegistrationAck", Req::Registered,
       [](Feed& s) {
         s.send(kNode, registration(1, 3));
         s.send(kNode, status_update(2, 3));
       },
       [](Feed& s) {
         s.register_node();
         s.send(kNode, status_update(2, 3));
       }},
      {"ReportsStatusUpdateAfterRefusedRegistration", Req::Registered,
       [](Feed& s) {
         s.send(kNode, registration(1, 3));
         s.send(kManager, ack_for(hdr(MsgType::Registration, 1), ResultCode::InsufficientResources, 3));
         s.send(kNode, status_update(2, 3));
       },
       [](Feed& s) {  // refused, then registered on a second attempt on the same connection
         s.send(kNode, registration(1, 3));
         s.send(kManager, ack_for(hdr(MsgType::Registration, 1), ResultCode::InsufficientResources, 3));
         s.send(kNode, registration(2, 3));
         s.send(kManager, ack_for(hdr(MsgType::Registration, 2), ResultCode::Successful, 3));
         s.send(kNode, status_update(3, 3));
       }},
      {"ReportsKeepAliveToARefusedNode", Req::Registered,
       [](Feed& s) {
         s.send(kNode, registration(1, 3));
         s.send(kManager, ack_for(hdr(MsgType::Registration, 1), ResultCode::AdministrativelyProhibited, 3));
         s.send(kManager, keep_alive(1, 3));
       },
       [](Feed& s) {  // a refused node may be told why in an Error
         s.send(kNode, registration(1, 3));
         s.send(kManager, ack_for(hdr(MsgType::Registration, 1), ResultCode::AdministrativelyProhibited, 3));
         s.send(kManager, error_message(1, ResultCode::AdministrativelyProhibited, "not admitted"));
       }},
      {"ReportsSecondRegistrationWhileRegistered", Req::RegisterOnce,
       [](Feed& s) {
         s.register_node();
         s.send(kNode, registration(2, 3));
       },
       [](Feed& s) {  // a Registration repeated while the first waits for its ACK is a retry
         s.send(kNode, registration(1, 3));
         s.send(kNode, registration(2, 3));
         s.send(kManager, ack_for(hdr(MsgType::Registration, 1), ResultCode::Successful, 3));
         s.send(kManager, ack_for(hdr(MsgType::Registration, 2), ResultCode::Successful, 3));
       }},
      {"ReportsStatusUpdateAfterOwnDeregistration", Req::Deregistered,
       [](Feed& s) {
         s.register_node();
         s.send(kNode, deregistration(2, 3));
         s.send(kNode, status_update(3, 3));
       },
       [](Feed& s) {
         s.register_node();
         s.send(kNode, status_update(2, 3));
         s.send(kNode, deregistration(3, 3));
         s.send(kManager, ack_for(hdr(MsgType::StatusUpdate, 2), ResultCode::Successful, 3));
         s.send(kManager, ack_for(hdr(MsgType::Deregistration, 3), ResultCode::Successful, 3));
       }},
      {"ReportsKeepAliveAfterAckingDeregistration", Req::Deregistered,
       [](Feed& s) {
         s.register_node();
         s.send(kNode, deregistration(2, 3));
         s.send(kManager, ack_for(hdr(MsgType::Deregistration, 2), ResultCode::Successful, 3));
         s.send(kManager, keep_alive(1, 3));
       },
       [](Feed& s) {  // a Keep-Alive that crosses the De-registration, ACKed after it
         s.register_node();
         s.send(kNode, deregistration(2, 3));
         s.send(kManager, keep_alive(1, 3));
         s.send(kNode, ack_for(hdr(MsgType::KeepAlive, 1), ResultCode::Successful, 3));
         s.send(kManager, ack_for(hdr(MsgType::Deregistration, 2), ResultCode::Successful, 3));
       }},
      {"ReportsRegistrationAfterDeregistration", Req::Deregistered,
       [](Feed& s) {
         s.register_node();
         s.send(kNode, deregistration(2, 3));
         s.send(kManager, ack_for(hdr(MsgType::Deregistration, 2), ResultCode::Successful, 3));
         s.send(kNode, registration(3, 3));
       },
       [](Feed& s) {  // the De-registration was refused: the node is still registered and goes on
         s.register_node();
         s.send(kNode, deregistration(2, 3));
         s.send(kManager, ack_for(hdr(MsgType::Deregistration, 2), ResultCode::AdministrativelyProhibited, 3));
         s.send(kNode, status_update(3, 3));
       }},
      {"ReportsOperationAfterForcedDeregistration", Req::Deregistered,
       [](Feed& s) {
         s.register_node();
         s.send(kManager, deregistration(1, 3));
         s.send(kNode, ack_for(hdr(MsgType::Deregistration, 1), ResultCode::Successful, 3));
         s.send(kManager, add_function(2, 3, 7));
       },
       [](Feed& s) {
         s.register_node();
         s.send(kManager, add_function(1, 3, 7));
         s.send(kNode, ack_for(hdr(MsgType::Operation, 1, u8(Operation::Add)), ResultCode::Successful, 3));
         s.send(kManager, deregistration(2, 3));
         s.send(kNode, ack_for(hdr(MsgType::Deregistration, 2), ResultCode::Successful, 3));
       }},
      {"ReportsMoveSessionListingDestinationFirst", Req::MoveSessionOrder,
       [](Feed& s) {
         s.register_node();
         Message m = move_session(1, 5, 3);
         m.add(Option::session_info(session_info::SipUri, "sip:alice@example.com"));
         s.send(kManager, to_source(m));
       },
       [](Feed& s) {
         s.register_node();
         s.send(kManager, with_seq(test::kMoveSession, 1));
       }},
  };
}

class ExchangeRule : public ::testing::TestWithParam<Scenario> {};

TEST_P(ExchangeRule, BreaksExactlyItsRequirement) {
  const Scenario& c = GetParam();
  Feed s(c.cfg);
  c.bad(s);
  EXPECT_EQ(s.reqs(), std::set<Req>{c.req}) << s.text();
  for (const auto& f : s.all) EXPECT_NE(std::string(f.detail), "");
}

TEST_P(ExchangeRule, GoodCounterpartHasNoFindings) {
  const Scenario& c = GetParam();
  Feed s(c.cfg);
  c.good(s);
  EXPECT_TRUE(s.all.empty()) << s.text();
}

INSTANTIATE_TEST_SUITE_P(Exchange, ExchangeRule, ::testing::ValuesIn(scenarios()),
                         [](const ::testing::TestParamInfo<Scenario>& i) { return i.param.name; });

TEST(Exchange, EveryExchangeScopeRequirementHasAScenario) {
  std::set<Req> covered;
  for (const auto& c : scenarios()) covered.insert(c.req);
  for (const auto& r : catalogue()) {
    if (r.scope != Scope::Exchange) continue;
    EXPECT_TRUE(covered.count(r.req)) << r.id << " has no failing scenario";
  }
  // The order rules need the node's identity, so they are checked here too.
  EXPECT_TRUE(covered.count(Req::MoveOrder));
  EXPECT_TRUE(covered.count(Req::CopyOrder));
  EXPECT_TRUE(covered.count(Req::MoveSessionOrder));
}

// ---- the registration state

using State = ExchangeTracker::RegState;

TEST(ExchangeState, FollowsRegistrationAndDeregistrationWithTheirAcks) {
  Feed s;
  EXPECT_EQ(s.t.registration_state(), State::None);
  s.send(kNode, registration(1, 0));
  EXPECT_EQ(s.t.registration_state(), State::Pending);
  s.send(kManager, ack_for(hdr(MsgType::Registration, 1), ResultCode::Failed, 0));
  EXPECT_EQ(s.t.registration_state(), State::None);
  s.send(kNode, registration(2, 0));
  s.send(kManager, ack_for(hdr(MsgType::Registration, 2), ResultCode::Successful, 3));
  EXPECT_EQ(s.t.registration_state(), State::Registered);
  s.send(kManager, deregistration(1, 3));
  EXPECT_EQ(s.t.registration_state(), State::Deregistering);
  s.send(kNode, ack_for(hdr(MsgType::Deregistration, 1), ResultCode::Failed, 3));
  EXPECT_EQ(s.t.registration_state(), State::Registered);
  s.send(kNode, deregistration(3, 3));
  s.send(kManager, ack_for(hdr(MsgType::Deregistration, 3), ResultCode::Successful, 3));
  EXPECT_EQ(s.t.registration_state(), State::Deregistered);
  EXPECT_TRUE(s.all.empty()) << s.text();
}

TEST(ExchangeState, FindingNamesTheMessageItsSenderAndTheRegistration) {
  Feed s;
  s.send(kNode, registration(1, 3));
  const ExchangeResult r = s.send(kManager, keep_alive(1, 3));
  ASSERT_EQ(r.findings.size(), 1u) << s.text();
  const Finding& f = r.findings[0];
  EXPECT_EQ(f.req, Req::Registered);
  EXPECT_EQ(f.offset, 0u);  // the Type field
  EXPECT_EQ(f.length, 1u);
  EXPECT_EQ(f.ref, 1u);  // the Registration waiting for its ACK
  EXPECT_EQ(describe(f),
            "[VSM-5-REGISTERED] request before the Registration was ACKed (Keep-Alive from the Manager Node)");
}

TEST(ExchangeState, ErrorAndAcksAreAllowedInEveryState) {
  Feed s;
  s.send(kManager, error_message(1, ResultCode::Failed, "Protocol error"));  // before any Registration
  s.send(kNode, ack_for(hdr(MsgType::Error, 1), ResultCode::Successful, 0));
  s.send(kNode, registration(1, 3));
  s.send(kNode, error_message(2, ResultCode::Failed, "while waiting"));  // the Registration waits for its ACK
  s.send(kManager, ack_for(hdr(MsgType::Registration, 1), ResultCode::Successful, 3));
  s.send(kManager, ack_for(hdr(MsgType::Error, 2), ResultCode::Successful, 3));
  s.send(kNode, deregistration(3, 3));
  s.send(kManager, ack_for(hdr(MsgType::Deregistration, 3), ResultCode::Successful, 3));
  s.send(kManager, error_message(2, ResultCode::Failed, "after the De-registration"));
  s.send(kNode, ack_for(hdr(MsgType::Error, 2), ResultCode::Successful, 3));
  EXPECT_TRUE(s.all.empty()) << s.text();
}

TEST(ExchangeState, EachRequestAfterDeregistrationIsReportedWithTheDeregistration) {
  Feed s;
  s.register_node();
  s.send(kNode, deregistration(2, 3));
  const std::uint64_t dereg = s.last_id();
  s.send(kManager, ack_for(hdr(MsgType::Deregistration, 2), ResultCode::Successful, 3));
  s.send(kManager, keep_alive(1, 3));
  s.send(kNode, status_update(3, 3));
  ASSERT_EQ(s.all.size(), 2u) << s.text();
  for (const Finding& f : s.all) {
    EXPECT_EQ(f.req, Req::Deregistered);
    EXPECT_EQ(f.ref, dereg);
  }
  EXPECT_EQ(s.all[0].b, static_cast<std::uint32_t>(Role::Manager));
  EXPECT_EQ(s.all[1].b, static_cast<std::uint32_t>(Role::Node));
}

// Findings already given for the message's sender or place are not repeated by the state rules.
TEST(ExchangeState, RoleAndRegisterFirstFindingsAreNotDoubled) {
  Feed first;
  first.send(kNode, status_update(1, 3));
  EXPECT_EQ(first.reqs(), std::set<Req>{Req::RegisterFirst}) << first.text();
  Feed role;
  role.send(kNode, registration(1, 3));
  role.send(kNode, keep_alive(2, 3));  // a node's Keep-Alive while its Registration waits
  EXPECT_EQ(role.reqs(), std::set<Req>{Req::Role}) << role.text();
}

TEST(ExchangeState, CaptureStartedMidConnectionJudgesOnlyWhatItSaw) {
  TrackerConfig cfg;
  cfg.saw_connection_start = false;
  Feed s(cfg);
  EXPECT_EQ(s.t.registration_state(), State::Unknown);
  s.send(kManager, keep_alive(40, 3));
  s.send(kNode, ack_for(hdr(MsgType::KeepAlive, 40), ResultCode::Successful, 3));
  s.send(kNode, status_update(9, 3));
  s.send(kManager, ack_for(hdr(MsgType::StatusUpdate, 9), ResultCode::Successful, 3));
  EXPECT_TRUE(s.all.empty()) << s.text();
  s.send(kNode, deregistration(10, 3));
  s.send(kManager, ack_for(hdr(MsgType::Deregistration, 10), ResultCode::Successful, 3));
  s.send(kManager, keep_alive(41, 3));
  EXPECT_EQ(s.reqs(), std::set<Req>{Req::Deregistered}) << s.text();
}

TEST(ExchangeState, SuccessfulRegistrationAckSeenMidConnectionMakesASecondRegistrationReported) {
  TrackerConfig cfg;
  cfg.saw_connection_start = false;
  Feed s(cfg);
  s.send(kNode, registration(5, 3));
  s.send(kManager, ack_for(hdr(MsgType::Registration, 5), ResultCode::Successful, 3));
  EXPECT_EQ(s.t.registration_state(), State::Registered);
  s.send(kNode, registration(6, 3));
  EXPECT_EQ(s.reqs(), std::set<Req>{Req::RegisterOnce}) << s.text();
}

// ---- details of the findings

TEST(Exchange, AcceptsSequenceWrapFromMaximumToZero) {
  Feed s;
  s.send(kNode, registration(0xfffffe, 3));
  s.send(kManager, ack_for(hdr(MsgType::Registration, 0xfffffe), ResultCode::Successful, 3));
  s.send(kNode, status_update(0xffffff, 3));
  s.send(kNode, status_update(0, 3));
  s.send(kNode, status_update(1, 3));
  const ExchangeResult a = s.send(kManager, ack_for(hdr(MsgType::StatusUpdate, 0), ResultCode::Successful, 3));
  ASSERT_TRUE(a.request);
  EXPECT_EQ(a.request->seq, 0u);
  s.send(kManager, ack_for(hdr(MsgType::StatusUpdate, 0xffffff), ResultCode::Successful, 3));
  s.send(kManager, ack_for(hdr(MsgType::StatusUpdate, 1), ResultCode::Successful, 3));
  EXPECT_EQ(s.t.outstanding(kNode), 0u);
  EXPECT_TRUE(s.all.empty()) << s.text();
}

TEST(Exchange, WrapMustLandOnZero) {
  Feed s;
  s.send(kNode, registration(0xffffff, 3));
  s.send(kManager, ack_for(hdr(MsgType::Registration, 0xffffff), ResultCode::Successful, 3));
  s.send(kNode, status_update(1, 3));
  ASSERT_EQ(s.all.size(), 1u) << s.text();
  EXPECT_EQ(s.all[0].req, Req::SeqIncrement);
  EXPECT_EQ(s.all[0].a, 0u);  // expected
  EXPECT_EQ(s.all[0].b, 1u);  // got
  EXPECT_EQ(s.all[0].offset, 5u);
  EXPECT_EQ(s.all[0].length, 3u);
}

TEST(Exchange, SequencesOfTheTwoDirectionsAreIndependent) {
  Feed s;
  s.register_node();                   // node seq 1
  s.send(kManager, keep_alive(1, 3));  // manager seq 1 too
  s.send(kNode, ack_for(hdr(MsgType::KeepAlive, 1), ResultCode::Successful, 3));
  s.send(kNode, status_update(2, 3));
  s.send(kManager, ack_for(hdr(MsgType::StatusUpdate, 2), ResultCode::Successful, 3));
  s.send(kManager, keep_alive(2, 3));
  EXPECT_TRUE(s.all.empty()) << s.text();
}

TEST(Exchange, DuplicateSequenceIsReportedOnceAtTheSequenceField) {
  Feed s;
  s.register_node();
  s.send(kNode, status_update(2, 3));
  const ExchangeResult r = s.send(kNode, status_update(2, 3));
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].req, Req::SeqDuplicate);
  EXPECT_EQ(r.findings[0].offset, 5u);
  EXPECT_EQ(r.findings[0].a, 2u);
  EXPECT_EQ(s.t.outstanding(kNode), 1u);  // the repeat replaces the original
}

TEST(Exchange, ReusingAnOutstandingSequenceIsADuplicate) {
  Feed s;
  s.register_node();
  s.send(kNode, status_update(2, 3));  // id 3, not ACKed
  s.send(kNode, status_update(3, 3));
  // Counter restarted: seq 2 again while the first seq 2 still waits.
  const ExchangeResult r = s.send(kNode, status_update(2, 3));
  EXPECT_TRUE(r.findings.contains(Req::SeqIncrement));
  const Finding* dup = test::first_of(r.findings, Req::SeqDuplicate);
  ASSERT_NE(dup, nullptr);
  EXPECT_EQ(dup->ref, 3u);
}

TEST(Exchange, AckWithWrongSequenceNamesTheOldestOutstanding) {
  Feed s;
  s.send(kNode, registration(1, 3));
  s.send(kNode, status_update(2, 3));
  const ExchangeResult r = s.send(kManager, ack_for(hdr(MsgType::StatusUpdate, 7), ResultCode::Successful, 3));
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].req, Req::AckSeq);
  EXPECT_EQ(r.findings[0].offset, 5u);
  EXPECT_EQ(r.findings[0].a, 7u);
  EXPECT_EQ(r.findings[0].b, 1u);
  EXPECT_FALSE(r.request);
  EXPECT_EQ(s.t.outstanding(kNode), 2u);
}

TEST(Exchange, AckSubTypeFindingNamesBothValuesAndTheRequest) {
  Feed s;
  s.register_node();
  s.send(kManager, test::kMove);  // id 3, MOVE seq 12
  const ExchangeResult r = s.send(kNode, with_seq(test::kCopyAck, 12));
  ASSERT_EQ(r.findings.size(), 1u);
  const Finding& f = r.findings[0];
  EXPECT_EQ(f.req, Req::AckSubType);
  EXPECT_EQ(f.offset, 1u);
  EXPECT_EQ(f.a, u8(Operation::Move));
  EXPECT_EQ(f.b, u8(Operation::Copy));
  EXPECT_EQ(f.ref, 3u);
  ASSERT_TRUE(r.request);  // matched by sequence all the same
  EXPECT_EQ(r.request->subtype, u8(Operation::Move));
}

// A Type without Sub-Type (6.1): its ACK may carry Sub-Type 0 (vsm::ack_for) or the copy; other values are reported.
TEST(Exchange, AckOfATypeWithoutSubTypeMayCarrySubTypeZero) {
  Feed s;
  s.register_node();
  Message ka = keep_alive(1, 3);
  ka.subtype = 124;
  s.send(kManager, ka);
  ExchangeResult r = s.send(kNode, ack_for(hdr(MsgType::KeepAlive, 1, 124), ResultCode::Failed, 3));
  ASSERT_TRUE(r.request);
  EXPECT_EQ(s.reqs().count(Req::AckSubType), 0u) << s.text();
  ka.seq = 2;
  s.send(kManager, ka);
  Message copied = ack_for(hdr(MsgType::Operation, 2, 124), ResultCode::Failed, 3);
  s.send(kNode, copied);  // the literal copy is accepted too
  EXPECT_EQ(s.reqs().count(Req::AckSubType), 0u) << s.text();
  ka.seq = 3;
  s.send(kManager, ka);
  Message other = ack_for(hdr(MsgType::Operation, 3, 5), ResultCode::Failed, 3);
  s.send(kNode, other);
  EXPECT_EQ(s.reqs().count(Req::AckSubType), 1u) << s.text();
}

// An Operation's ACK must copy its Sub-Type: 0 is not an operation.
TEST(Exchange, AckOfAnOperationWithSubTypeZeroIsReported) {
  Feed s;
  s.register_node();
  s.send(kManager, get(1, 3, 7));
  s.send(kNode, ack_for(hdr(MsgType::KeepAlive, 1), ResultCode::Successful, 3));
  EXPECT_EQ(s.reqs().count(Req::AckSubType), 1u) << s.text();
}

TEST(Exchange, LearnsNodeIdFromRegistrationAckThenChecksOrder) {
  Feed s;
  s.register_node(0, 3);  // node asks, manager assigns 3
  EXPECT_EQ(s.t.node_id(), 3u);
  const ExchangeResult r = s.send(kManager, to_source(transfer(Operation::Move, 1, 5, 3, 7)));
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].req, Req::MoveOrder);
  EXPECT_EQ(r.findings[0].a, 5u);
  EXPECT_EQ(r.findings[0].b, 3u);
  EXPECT_EQ(describe(r.findings[0]), "[VSM-6.3.4-ORDER] destination Node ID before source (first 5, second 3)");
}

TEST(Exchange, LearnsNodeIdFromProvisionedRegistration) {
  Feed s;
  s.send(kNode, registration(1, 3));
  EXPECT_EQ(s.t.node_id(), 3u);
  EXPECT_TRUE(s.send(kManager, to_source(transfer(Operation::Copy, 1, 5, 3, 7))).findings.contains(Req::CopyOrder));
}

// Destination-first transfers (PROFILE.md "Transfers"): the operation sent to the
// destination names the source's address and no Port. Only that is exempt.
TEST(Exchange, AnnouncementToTheDestinationWithoutPortIsNotAnOrderFinding) {
  for (Message m :
       {transfer(Operation::Move, 1, 5, 3, 7), transfer(Operation::Copy, 1, 5, 3, 7), move_session(1, 5, 3)}) {
    Feed s;
    s.register_node();
    if (m.subtype == u8(Operation::MoveSession)) m.add(Option::session_info(session_info::Ratio, "1"));
    m.add(Option::ipv4({127, 0, 0, 1}));
    const ExchangeResult r = s.send(kManager, m);
    EXPECT_FALSE(r.findings.contains(Req::MoveOrder) || r.findings.contains(Req::CopyOrder) ||
                 r.findings.contains(Req::MoveSessionOrder))
        << s.text();
    Feed t;
    t.register_node();
    EXPECT_TRUE(t.send(kManager, to_source(m)).findings.contains(operation_rules(m.subtype)->order)) << t.text();
  }
}

TEST(Exchange, OrderIsNotJudgedBeforeTheNodeIsKnown) {
  TrackerConfig cfg;
  cfg.saw_connection_start = false;
  Feed s(cfg);
  s.send(kManager, transfer(Operation::Move, 1, 5, 3, 7));
  EXPECT_FALSE(s.t.node_id());
  EXPECT_TRUE(s.all.empty()) << s.text();
}

TEST(Exchange, ExpireReportsEachLateRequestOnceAndForgetsIt) {
  Feed s;
  s.register_node();
  s.send(kManager, keep_alive(1, 3), 10.0);  // id 3
  s.send(kManager, keep_alive(2, 3), 12.0);  // id 4
  std::vector<EarlierFinding> out;
  s.t.expire(15.0, out);
  EXPECT_TRUE(out.empty());  // exactly at the timer is still in time
  s.t.expire(16.0, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].finding.req, Req::AckEveryMessage);
  EXPECT_EQ(out[0].finding.a, 1u);
  EXPECT_EQ(out[0].finding.b, u8(MsgType::KeepAlive));
  EXPECT_EQ(out[0].finding.ref, 3u);
  EXPECT_EQ(describe(out[0].finding), "[VSM-5-ACK] no ACK within the ACK timer (Keep-Alive seq 1)");
  s.t.expire(16.5, out);
  EXPECT_EQ(out.size(), 1u);
  s.t.expire(30.0, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].finding.a, 2u);
  EXPECT_EQ(s.t.outstanding(kManager), 0u);
  s.t.finish(out);
  EXPECT_EQ(out.size(), 2u);
}

TEST(Exchange, AckTimerFollowsConfiguration) {
  TrackerConfig cfg;
  cfg.ack_timeout = 0.5;
  Feed s(cfg);
  s.send(kNode, registration(1, 3), 1.0);
  std::vector<EarlierFinding> out;
  s.t.expire(1.4, out);
  EXPECT_TRUE(out.empty());
  s.t.expire(1.6, out);
  EXPECT_EQ(out.size(), 1u);
}

TEST(Exchange, FinishReportsEveryRequestStillWaitingInBothDirections) {
  Feed s;
  s.send(kNode, registration(1, 3));
  s.send(kManager, keep_alive(1, 3));
  s.send(kManager, test::kGet);
  std::vector<EarlierFinding> out;
  s.t.finish(out);
  ASSERT_EQ(out.size(), 3u);
  std::set<std::uint64_t> refs;
  for (const auto& e : out) {
    EXPECT_EQ(e.finding.req, Req::AckEveryMessage);
    EXPECT_EQ(e.id, e.finding.ref);
    refs.insert(e.id);
  }
  EXPECT_EQ(refs, (std::set<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(s.t.outstanding(kNode), 0u);
  EXPECT_EQ(s.t.outstanding(kManager), 0u);
}

TEST(Exchange, TooManyOutstandingRequestsDropsTheOldest) {
  TrackerConfig cfg;
  cfg.max_outstanding = 2;
  Feed s(cfg);
  s.register_node();
  s.send(kManager, keep_alive(1, 3));
  s.send(kManager, keep_alive(2, 3));
  const ExchangeResult r = s.send(kManager, keep_alive(3, 3));
  EXPECT_TRUE(r.findings.empty());  // nothing wrong with the new one
  ASSERT_EQ(r.earlier.size(), 1u);
  EXPECT_EQ(r.earlier[0].finding.req, Req::AckEveryMessage);
  EXPECT_EQ(r.earlier[0].seq, 1u);
  EXPECT_EQ(r.earlier[0].id, 3u);
  EXPECT_EQ(r.earlier[0].dir, kManager);
  EXPECT_EQ(r.earlier[0].why, EarlierFinding::Why::Dropped);
  EXPECT_EQ(s.t.outstanding(kManager), 2u);
}

// A request that reuses the number of one still waiting makes the older one
// unanswerable: the tracker says so at once, about the older message.
TEST(Exchange, ReportsRequestReplacedBeforeItsAck) {
  Feed s;
  s.register_node();
  s.send(kManager, keep_alive(1, 3));  // id 3
  s.send(kNode, status_update(2, 3));  // id 4: the other direction is not involved
  const ExchangeResult r = s.send(kManager, keep_alive(1, 3));
  EXPECT_TRUE(r.findings.contains(Req::SeqDuplicate));
  ASSERT_EQ(r.earlier.size(), 1u);
  EXPECT_EQ(r.earlier[0].id, 3u);
  EXPECT_EQ(r.earlier[0].finding.ref, 3u);
  EXPECT_EQ(r.earlier[0].dir, kManager);
  EXPECT_EQ(r.earlier[0].type, u8(MsgType::KeepAlive));
  EXPECT_EQ(r.earlier[0].why, EarlierFinding::Why::Replaced);
  EXPECT_EQ(describe(r.earlier[0].finding),
            "[VSM-5-ACK] never ACKed: replaced by a message with the same sequence number (Keep-Alive seq 1)");
  // The ACK now answers the new one; the end reports only the Status-Update.
  const ExchangeResult ack = s.send(kNode, ack_for(hdr(MsgType::KeepAlive, 1), ResultCode::Successful, 3));
  ASSERT_TRUE(ack.request);
  EXPECT_EQ(ack.request->id, 5u);
  std::vector<EarlierFinding> left;
  s.t.finish(left);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].id, 4u);
  EXPECT_EQ(left[0].dir, kNode);
  EXPECT_EQ(left[0].why, EarlierFinding::Why::End);
}

TEST(Exchange, ConfiguredRoleFlagsManagerMessagesFromTheInitiator) {
  TrackerConfig cfg;
  cfg.initiator_role = Role::Node;
  cfg.saw_connection_start = false;
  Feed s(cfg);
  EXPECT_EQ(s.t.role(kManager), Role::Manager);
  const ExchangeResult r = s.send(kNode, keep_alive(1, 3));
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].req, Req::Role);
  EXPECT_EQ(r.findings[0].offset, 0u);
  EXPECT_EQ(r.findings[0].a, u8(MsgType::KeepAlive));
  EXPECT_EQ(describe(r.findings[0]),
            "[VSM-5-ROLE] message type not sent by this role (Keep-Alive from the Execution Node)");
}

TEST(Exchange, EitherSideMaySendDeregistrationAndError) {
  Feed s;
  s.register_node();
  s.send(kManager, deregistration(1, 3));
  s.send(kNode, ack_for(hdr(MsgType::Deregistration, 1), ResultCode::Successful, 3));
  s.send(kManager, error_message(2, ResultCode::Failed, "Protocol error"));
  const ExchangeResult r = s.send(kNode, ack_for(hdr(MsgType::Error, 2), ResultCode::Successful, 3));
  ASSERT_TRUE(r.request);
  EXPECT_EQ(r.request->type, u8(MsgType::Error));
  s.send(kNode, error_message(2, ResultCode::StatusUnknown, "?"));
  s.send(kManager, ack_for(hdr(MsgType::Error, 2), ResultCode::Successful, 3));
  EXPECT_TRUE(s.all.empty()) << s.text();
}

TEST(Exchange, FailedGetAckNeedNotReturnTheItems) {
  Feed s;
  s.register_node();
  s.send(kManager, test::kGet);
  Message a = ack_for(decode(test::kGet).header, ResultCode::Failed, 3);
  a.add(Option::function_id(7)).add(Option::running_status("Unknown"));
  s.send(kNode, a);
  EXPECT_TRUE(s.all.empty()) << s.text();
}

TEST(Exchange, GetAckFindingNamesTheMissingItems) {
  Feed s;
  s.register_node();
  s.send(kManager, test::kGet);
  Message a = ack_for(decode(test::kGet).header, ResultCode::Successful, 3);
  a.add(Option::function_id(7)).add(Option::node_info(node_info::AvailableMemory, "1"));
  a.add(Option::empty(OptType::FunctionInfo, function_info::RunningStatus));  // listed but empty
  const ExchangeResult r = s.send(kNode, a);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].req, Req::GetAckValues);
  EXPECT_EQ(r.findings[0].a, info_item_bit(u8(OptType::FunctionInfo), function_info::RunningStatus));
  ASSERT_TRUE(r.request);
  EXPECT_EQ(r.request->wanted_items,
            info_item_bit(6, node_info::AvailableMemory) | info_item_bit(7, function_info::RunningStatus));
}

TEST(Exchange, InformationItemBitsAreDistinct) {
  std::set<std::uint32_t> bits;
  std::size_t items = 0;
  for (const auto& o : kOptions) {
    if (o.type < 6 || o.type > 8) continue;
    for (const auto& sub : o.subs) {
      const std::uint32_t b = info_item_bit(o.type, sub.sub);
      EXPECT_NE(b, 0u) << o.name << " / " << sub.name;
      EXPECT_EQ(b & (b - 1), 0u);  // one bit
      bits.insert(b);
      ++items;
    }
  }
  EXPECT_EQ(bits.size(), items);
  EXPECT_EQ(info_item_bit(6, 99), 0u);
  EXPECT_EQ(info_item_bit(9, 1), 0u);
  EXPECT_EQ(info_item_bit(4, 0), 0u);
}

TEST(Exchange, MessagesWithoutAHeaderAreIgnored) {
  ExchangeTracker t;
  const Buf cut{0x01, 0x00, 0x00};
  const ExchangeResult r = t.on_message(decode(cut), kNode, 0, 1);
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(t.outstanding(kNode), 0u);
  EXPECT_EQ(t.role(kNode), Role::Unknown);
  // A real Registration after it is still the node's first message.
  EXPECT_TRUE(t.on_message(decode(test::kRegistration), kNode, 0, 2).findings.empty());
}

TEST(Exchange, TypicalSampleSessionHasNoFindings) {
  Feed s;
  for (const Sample& sample : typical_messages()) {
    ASSERT_NE(sample.sender, Role::Unknown) << sample.name;
    s.send(sample.sender == Role::Node ? kNode : kManager, sample.message);
  }
  s.finish();
  EXPECT_TRUE(s.all.empty()) << s.text();
  EXPECT_EQ(s.t.node_id(), 3u);
}

// Many messages waiting at once (the pending table grows and shifts entries
// on erase): ACKed in a scrambled order, each pairs with its own request.
TEST(Exchange, PairsThousandsOfOutstandingRequestsAckedInAnyOrder) {
  Feed s;
  s.register_node();
  constexpr std::uint32_t kCount = 5000;
  std::vector<std::uint32_t> seqs;
  for (std::uint32_t i = 0; i < kCount; ++i) {
    const std::uint32_t seq = (0xFFFF00u + i) & kSeqMask;  // across the 24-bit wrap
    s.send(kManager, keep_alive(seq, 3));
    seqs.push_back(seq);
  }
  EXPECT_EQ(s.t.outstanding(kManager), kCount);
  for (std::uint32_t i = 0; i < kCount; ++i) std::swap(seqs[i], seqs[(i * 7919u) % kCount]);
  for (const std::uint32_t seq : seqs) {
    Header h;
    h.type = u8(MsgType::KeepAlive);
    h.seq = seq;
    const ExchangeResult r = s.send(kNode, ack_for(h, ResultCode::Successful, 3));
    ASSERT_TRUE(r.request.has_value()) << "seq " << seq;
    EXPECT_EQ(r.request->seq, seq);
  }
  EXPECT_EQ(s.t.outstanding(kManager), 0u);
  EXPECT_TRUE(s.all.empty()) << describe(s.all.front());
}

}  // namespace
}  // namespace vsm
