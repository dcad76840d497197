// SPDX-License-Identifier: GPL-2.0-or-later
// The encoder and builders must produce exactly the hand-written vectors, and
// decode -> Message::from -> encode must give back the same bytes.
#include <gtest/gtest.h>

#include "vectors.hpp"
#include "vsm/message.hpp"
#include "vsm/wire.hpp"

namespace vsm {
namespace {

using test::Buf;

Header request_header(MsgType t, std::uint32_t seq, std::uint8_t sub = 0) {
  Header h;
  h.type = u8(t);
  h.subtype = sub;
  h.seq = seq;
  return h;
}

TEST(Encode, RegistrationMatchesHandVector) {
  Message m = registration(1, 3);
  m.add(Option::node_info(node_info::ProcessingCapacity, "2.4"));
  EXPECT_EQ(m.encode().value(), test::kRegistration);
  EXPECT_EQ(m.encoded_size(), test::kRegistration.size());
}

TEST(Encode, KeepAliveMatchesHandVector) { EXPECT_EQ(keep_alive(7, 3).encode().value(), test::kKeepAlive); }

TEST(Encode, StatusUpdateMatchesHandVector) {
  Message m = status_update(2, 3);
  m.add(Option::function_id(7)).add(Option::running_status("Running"));
  EXPECT_EQ(m.encode().value(), test::kStatusUpdate);
}

TEST(Encode, DeregistrationMatchesHandVector) {
  EXPECT_EQ(deregistration(3, 3).encode().value(), test::kDeregistration);
}

TEST(Encode, AckCopiesSequenceAndSubTypeOfTheRequest) {
  EXPECT_EQ(ack_for(request_header(MsgType::Registration, 1), ResultCode::Successful, 3).encode().value(),
            test::kAckRegistration);
  const Message a = ack_for(decode(test::kMove).header, ResultCode::InsufficientResources, 3);
  EXPECT_EQ(a.type, u8(MsgType::Ack));
  EXPECT_EQ(a.subtype, u8(Operation::Move));
  EXPECT_EQ(a.seq, 12u);
  EXPECT_EQ(a.code, 129u);
  EXPECT_EQ(a.node_id(), 3u);
}

// Sub-Type is defined for Operation and Ack only (6.1): the ACK of any other Type, known or not, carries 0.
TEST(Encode, AckCopiesSubTypeOnlyWhereTheTypeDefinesOne) {
  EXPECT_EQ(ack_for(request_header(MsgType::Operation, 5, u8(Operation::Get)), ResultCode::Successful, 3).subtype,
            u8(Operation::Get));
  Header ack = request_header(MsgType::Ack, 6, u8(Operation::Copy));
  EXPECT_EQ(ack_for(ack, ResultCode::Failed, 3).subtype, u8(Operation::Copy));
  EXPECT_EQ(ack_for(request_header(MsgType::KeepAlive, 7, 124), ResultCode::Failed, 3).subtype, 0u);
  EXPECT_EQ(ack_for(request_header(MsgType::Registration, 8, 9), ResultCode::Failed, 3).subtype, 0u);
  Header garbage = request_header(MsgType::Error, 9, 124);
  garbage.type = 99;  // no Type of the draft
  const Message a = ack_for(garbage, ResultCode::Failed, 3);
  EXPECT_EQ(a.subtype, 0u);
  EXPECT_EQ(a.seq, 9u);
}

TEST(Encode, ErrorMatchesHandVector) {
  EXPECT_EQ(error_message(4, ResultCode::Failed, "Protocol error").encode().value(), test::kError);
}

TEST(Encode, GetListsItemsWithLengthZero) {
  Message m = get(10, 3, 7);
  m.add(Option::empty(OptType::NodeInfo, node_info::AvailableMemory));
  m.add(Option::empty(OptType::FunctionInfo, function_info::RunningStatus));
  EXPECT_EQ(m.encode().value(), test::kGet);
}

TEST(Encode, GetAckMatchesHandVector) {
  Message m = ack_for(request_header(MsgType::Operation, 10, u8(Operation::Get)), ResultCode::Successful, 3);
  m.add(Option::function_id(7));
  m.add(Option::node_info(node_info::AvailableMemory, "8589934592"));
  m.add(Option::running_status("Running"));
  EXPECT_EQ(m.encode().value(), test::kGetAck);
}

TEST(Encode, AddAndItsAckMatchHandVectors) {
  EXPECT_EQ(add_function(11, 3, 7).encode().value(), test::kAdd);
  Message a = ack_for(decode(test::kAdd).header, ResultCode::Successful, 3);
  a.add(Option::function_id(7)).add(Option::running_status("Starting"));
  EXPECT_EQ(a.encode().value(), test::kAddAck);
}

TEST(Encode, DeleteAndItsAckMatchHandVectors) {
  EXPECT_EQ(delete_function(13, 3, 7).encode().value(), test::kDelete);
  Message a = ack_for(decode(test::kDelete).header, ResultCode::Successful, 3);
  a.add(Option::function_id(7)).add(Option::running_status("Terminating"));
  EXPECT_EQ(a.encode().value(), test::kDeleteAck);
}

TEST(Encode, MoveListsSourceBeforeDestination) {
  EXPECT_EQ(transfer(Operation::Move, 12, 3, 5, 7).encode().value(), test::kMove);
  Message a = ack_for(decode(test::kMove).header, ResultCode::Successful, 3);
  a.add(Option::node_id(5)).add(Option::function_id(7)).add(Option::running_status("Running"));
  EXPECT_EQ(a.encode().value(), test::kMoveAck);
}

TEST(Encode, CopyListsSourceBeforeDestination) {
  EXPECT_EQ(transfer(Operation::Copy, 14, 3, 5, 7).encode().value(), test::kCopy);
  Message a = ack_for(decode(test::kCopy).header, ResultCode::Successful, 3);
  a.add(Option::node_id(5)).add(Option::function_id(7)).add(Option::running_status("Running"));
  EXPECT_EQ(a.encode().value(), test::kCopyAck);
}

TEST(Encode, MoveSessionMatchesHandVector) {
  Message m = move_session(15, 3, 5);
  m.add(Option::session_info(session_info::SipUri, "sip:alice@example.com"));
  EXPECT_EQ(m.encode().value(), test::kMoveSession);
  Message a = ack_for(decode(test::kMoveSession).header, ResultCode::Successful, 3);
  a.add(Option::running_status("Running"));
  EXPECT_EQ(a.encode().value(), test::kMoveSessionAck);
}

TEST(Encode, EveryTypedOptionMatchesHandVector) {
  Message m = status_update(5, 3);
  m.options.clear();
  m.add(Option::ipv4({10, 0, 0, 1}));
  m.add(Option::ipv6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
  m.add(Option::port(7750));
  m.add(Option::node_id(3));
  m.add(Option::ntp(OptType::NodeInfo, node_info::BootTime, NtpTime::from_unix(1795672800, 500000000)));
  m.add(Option::node_info(node_info::TotalMemory, "8589934592"));
  m.add(Option::function_info(function_info::Name, "P-CSCF"));
  const std::uint8_t contact[] = {192, 0, 2, 10};
  m.add(Option::raw(u8(OptType::SessionInfo), session_info::ContactAddress, contact));
  m.add(Option::session_info(session_info::Ratio, "0.3"));
  m.add(Option::session_info(session_info::Count, "1000"));
  EXPECT_EQ(m.encode().value(), test::kStatusUpdateAllTypes);
}

TEST(Encode, LiteralConventionWritesTotalMinusThree) {
  EXPECT_EQ(keep_alive(7, 3).encode(LengthConvention::Literal3).value(), test::kKeepAliveLiteral);
}

TEST(Encode, EncodeToAppendsAfterExistingBytes) {
  Buf out{0xaa};
  ASSERT_FALSE(keep_alive(7, 3).encode_to(out));
  ASSERT_EQ(out.size(), 1 + test::kKeepAlive.size());
  EXPECT_EQ(out[0], 0xaa);
  EXPECT_EQ(Buf(out.begin() + 1, out.end()), test::kKeepAlive);
}

TEST(Encode, LengthOverridesWriteDeliberatelyWrongLengths) {
  Message m = keep_alive(7, 3);
  m.length_override = 13;
  EXPECT_EQ(m.encode().value(), test::kKeepAliveLiteral);
  Message o = keep_alive(7, 3);
  o.options[0].length_override = 8;
  const Buf b = o.encode().value();
  ASSERT_EQ(b.size(), 16u);  // the value itself is unchanged
  EXPECT_EQ(b[10], 0x00);
  EXPECT_EQ(b[11], 0x08);
  EXPECT_EQ(decode(b).error.code, DecodeErrc::OptionOverrun);
}

TEST(Encode, SequenceNumberUsesTwentyFourBits) {
  const Buf b = keep_alive(0xabcdef, 3).encode().value();
  EXPECT_EQ(b[5], 0xab);
  EXPECT_EQ(b[6], 0xcd);
  EXPECT_EQ(b[7], 0xef);
  EXPECT_EQ(next_seq(0xfffffe), 0xffffffu);
  EXPECT_EQ(next_seq(0xffffff), 0u);
  EXPECT_EQ(next_seq(0), 1u);
}

TEST(Encode, MessageAccessorsFindOptions) {
  const Message m = transfer(Operation::Copy, 14, 3, 5, 7);
  EXPECT_EQ(m.node_id(0), 3u);
  EXPECT_EQ(m.node_id(1), 5u);
  EXPECT_EQ(m.node_id(2), std::nullopt);
  EXPECT_EQ(m.function_id(), 7u);
  Message s = status_update(2, 3);
  s.add(Option::running_status("Running"));
  EXPECT_NE(s.find(OptType::FunctionInfo, function_info::RunningStatus), nullptr);
  EXPECT_EQ(s.find(OptType::FunctionInfo, function_info::Name), nullptr);
  EXPECT_NE(s.find(OptType::FunctionInfo), nullptr);
  EXPECT_EQ(s.function_id(), std::nullopt);
}

TEST(Encode, EveryVectorRoundTripsThroughMessage) {
  for (const auto& [name, bytes] : test::all_vectors()) {
    SCOPED_TRACE(name);
    const MessageView v = decode(*bytes);
    ASSERT_TRUE(v.ok());
    const Message m = Message::from(v);
    EXPECT_EQ(m.type, (*bytes)[0]);
    EXPECT_EQ(m.subtype, (*bytes)[1]);
    EXPECT_EQ(m.code, (*bytes)[4]);
    EXPECT_EQ(m.seq, v.header.seq);
    EXPECT_EQ(m.options.size(), v.option_count);
    EXPECT_EQ(m.encode().value(), *bytes);
  }
  const Message lit = Message::from(decode(test::kKeepAliveLiteral, LengthConvention::Literal3));
  EXPECT_EQ(lit.encode(LengthConvention::Literal3).value(), test::kKeepAliveLiteral);
  EXPECT_EQ(lit.encode().value(), test::kKeepAlive);
}

TEST(Encode, BuiltMessagesDecodeToTheirFields) {
  Message m = transfer(Operation::Move, 0xffffff, 3, 5, 7);
  m.add(Option::vendor_info("why"));
  const Buf b = m.encode().value();
  const MessageView v = decode(b);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v.header.seq, 0xffffffu);
  EXPECT_EQ(v.header.subtype, u8(Operation::Move));
  EXPECT_EQ(v.node_id(0), 3u);
  EXPECT_EQ(v.node_id(1), 5u);
  EXPECT_EQ(v.function_id(), 7u);
  EXPECT_EQ(v.find(OptType::VendorInfo, vendor_info::Message)->text(), "why");
  EXPECT_EQ(Message::from(v).encode().value(), b);
}

TEST(Encode, FromKeepsOnlyTheValidOptionPrefix) {
  // Keep-Alive, Node ID 3, then an option whose Length overruns the message.
  const Buf b{0x02, 0x00, 0x00, 0x12, 0x00, 0x00, 0x00, 0x07, 0x04, 0x00, 0x00,
              0x04, 0x00, 0x00, 0x00, 0x03, 0x09, 0x01, 0x00, 0x09, 0x41, 0x42};
  const MessageView v = decode(b);
  ASSERT_EQ(v.error.code, DecodeErrc::OptionOverrun);
  const Message m = Message::from(v);
  ASSERT_EQ(m.options.size(), 1u);
  EXPECT_EQ(m.encode().value(), test::kKeepAlive);
}

}  // namespace
}  // namespace vsm
