// SPDX-License-Identifier: GPL-2.0-or-later
// The encoder never writes what the wire cannot carry: a message longer than
// its 16-bit Length can describe (65,539 octets under the profile's
// convention) or an option value longer than 65,535 octets is refused with an
// error value, never encoded with a wrapped Length.
#include <gtest/gtest.h>

#include <string>

#include "vsm/message.hpp"
#include "vsm/session.hpp"
#include "vsm/wire.hpp"

namespace vsm {
namespace {

// A Vendor-specific text of n octets.
Option text_of(std::size_t n) { return Option::vendor_info(std::string(n, 'x')); }

// A Keep-Alive (header + Node ID: 16 octets) padded with Vendor texts to `total` octets.
Message keep_alive_of_size(std::size_t total) {
  Message m = keep_alive(1, 3);
  while (m.encoded_size() < total) {
    const std::size_t room = total - m.encoded_size() - kOptionHeaderSize;
    m.add(text_of(std::min<std::size_t>(room, 60000)));
  }
  return m;
}

TEST(Encode, MaxMessageSizeIsWhatTheLengthFieldCanDescribe) {
  EXPECT_EQ(max_message_size(), 65539u);
  EXPECT_EQ(max_message_size(LengthConvention::Total4), 65539u);
  EXPECT_EQ(max_message_size(LengthConvention::Literal3), 65538u);
}

TEST(Encode, AcceptsExactly65539Octets) {
  const Message m = keep_alive_of_size(65539);
  ASSERT_EQ(m.encoded_size(), 65539u);
  EXPECT_TRUE(m.fits());
  const Encoded e = m.encode();
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e.value().size(), 65539u);
  const MessageView v = decode(e.value());
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.header.length, 0xFFFF);
}

TEST(Encode, RefusesMessageLongerThanLengthCanDescribe) {
  const Message m = keep_alive_of_size(65540);
  ASSERT_EQ(m.encoded_size(), 65540u);
  EXPECT_FALSE(m.fits());
  const Encoded e = m.encode();
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.error(), EncodeError::TooLarge);
  EXPECT_EQ(e.size(), 65540u);
  EXPECT_THROW((void)e.value(), std::length_error);
}

TEST(Encode, RefusesUnderTheLiteralConventionOneOctetEarlier) {
  const Message m = keep_alive_of_size(65539);
  EXPECT_TRUE(m.fits(LengthConvention::Total4));
  EXPECT_FALSE(m.fits(LengthConvention::Literal3));
  EXPECT_EQ(m.encode(LengthConvention::Literal3).error(), EncodeError::TooLarge);
}

TEST(Encode, RefusedMessageAppendsNothing) {
  std::vector<std::uint8_t> out = keep_alive(1, 3).encode().value();
  const std::size_t before = out.size();
  const Message big = keep_alive_of_size(107305);
  EXPECT_EQ(big.encode_to(out), EncodeError::TooLarge);
  EXPECT_EQ(out.size(), before);
}

TEST(Encode, RefusesOptionValueLongerThanItsLengthCanDescribe) {
  Message m = keep_alive(1, 3);
  m.add(text_of(65536));
  EXPECT_FALSE(m.fits());
  EXPECT_EQ(m.encode().error(), EncodeError::OptionTooLarge);
  // A value of 65,535 octets has a Length, but no message can hold it.
  Message edge = Message(MsgType::KeepAlive, 1);
  edge.add(text_of(65535));
  EXPECT_EQ(edge.encode().error(), EncodeError::TooLarge);
}

TEST(Encode, FitsWithSaysWhetherOneMoreOptionFits) {
  const Message m = keep_alive_of_size(65539 - 8);
  EXPECT_TRUE(m.fits_with(Option::vendor_info("1234").encoded_size()));
  EXPECT_FALSE(m.fits_with(Option::vendor_info("12345").encoded_size()));
}

TEST(Encode, DeliberateLengthOverrideIsNotRefused) {
  Message m = keep_alive_of_size(65540);
  m.length_override = 12;  // a mutation: the Length says what the caller chose
  const Encoded e = m.encode();
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e.value().size(), 65540u);
}

TEST(Encode, SessionRefusesTooLargeMessageBeforeAssigningASequenceNumber) {
  SessionConfig cfg;
  cfg.local_role = Role::Node;
  cfg.initiator = true;
  Session s(cfg);
  const std::uint32_t before = s.next_seq();
  Message big = keep_alive_of_size(70000);
  big.type = u8(MsgType::StatusUpdate);
  const Sent refused = s.send(big, 0);
  EXPECT_EQ(refused.error, EncodeError::TooLarge);
  EXPECT_EQ(refused.size, 70000u);
  EXPECT_TRUE(refused.bytes.empty());
  EXPECT_EQ(s.next_seq(), before);
  EXPECT_EQ(s.awaiting_ack(), 0u);
  const Sent ok = s.send(status_update(0, 3), 0);
  EXPECT_FALSE(ok.error);
  EXPECT_EQ(ok.seq, before);
}

}  // namespace
}  // namespace vsm
