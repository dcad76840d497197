// SPDX-License-Identifier: GPL-2.0-or-later
// Stream framing: any split of a byte stream yields the same PDUs.
#include "vsm/framing.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "vectors.hpp"

namespace vsm {
namespace {

using test::Buf;

struct Pdu {
  Buf bytes;
  std::uint64_t offset;
  bool operator==(const Pdu&) const = default;
};

// Feeds `data` (all of it, in as many calls as feed() needs) and drains every PDU.
// Stops at the first error and returns it in *error.
void feed_all(Framer& f, Bytes data, std::vector<Pdu>& out, FrameResult* error = nullptr) {
  std::size_t pos = 0;
  for (;;) {
    const std::size_t before = out.size();
    const std::size_t taken = f.feed(data.subspan(pos));
    EXPECT_LE(taken, data.size() - pos);
    EXPECT_LE(f.buffered(), f.capacity());
    pos += taken;
    for (;;) {
      const FrameResult r = f.next();
      if (r.status == FrameStatus::Pdu) {
        out.push_back({Buf(r.pdu.begin(), r.pdu.end()), r.stream_offset});
        continue;
      }
      if (r.status == FrameStatus::Error) {
        if (error) *error = r;
        return;
      }
      break;
    }
    if (pos == data.size()) return;
    if (taken == 0 && out.size() == before) {
      ADD_FAILURE() << "framer takes no bytes and gives no PDU: the caller loop would spin";
      return;
    }
  }
}

Buf concat(std::initializer_list<const Buf*> parts) {
  Buf s;
  for (const Buf* p : parts) s.insert(s.end(), p->begin(), p->end());
  return s;
}

std::vector<Pdu> expected_pdus(std::initializer_list<const Buf*> parts) {
  std::vector<Pdu> v;
  std::uint64_t off = 0;
  for (const Buf* p : parts) {
    v.push_back({*p, off});
    off += p->size();
  }
  return v;
}

const std::initializer_list<const Buf*> kStreamParts{&test::kRegistration, &test::kAckRegistration, &test::kMove,
                                                     &test::kMoveAck, &test::kError};

TEST(Framing, WholeStreamInOneFeedYieldsEveryPdu) {
  const Buf stream = concat(kStreamParts);
  Framer f;
  std::vector<Pdu> got;
  feed_all(f, stream, got);
  EXPECT_EQ(got, expected_pdus(kStreamParts));
  EXPECT_EQ(f.buffered(), 0u);
  EXPECT_EQ(f.stream_offset(), stream.size());
}

TEST(Framing, EverySplitPointYieldsTheSamePdus) {
  const Buf stream = concat(kStreamParts);
  const auto want = expected_pdus(kStreamParts);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    SCOPED_TRACE(cut);
    Framer f;
    std::vector<Pdu> got;
    feed_all(f, Bytes(stream).first(cut), got);
    feed_all(f, Bytes(stream).subspan(cut), got);
    EXPECT_EQ(got, want);
    EXPECT_EQ(f.buffered(), 0u);
  }
}

TEST(Framing, EveryPairOfSplitPointsYieldsTheSamePdus) {
  const Buf stream = concat(kStreamParts);
  const auto want = expected_pdus(kStreamParts);
  for (std::size_t a = 0; a <= stream.size(); ++a) {
    for (std::size_t b = a; b <= stream.size(); ++b) {
      Framer f(LengthConvention::Total4, 256);
      std::vector<Pdu> got;
      feed_all(f, Bytes(stream).subspan(0, a), got);
      feed_all(f, Bytes(stream).subspan(a, b - a), got);
      feed_all(f, Bytes(stream).subspan(b), got);
      ASSERT_EQ(got, want) << "splits at " << a << " and " << b;
    }
  }
}

TEST(Framing, ByteByByteYieldsTheSamePdus) {
  const Buf stream = concat(kStreamParts);
  Framer f;
  std::vector<Pdu> got;
  for (std::size_t i = 0; i < stream.size(); ++i) {
    feed_all(f, Bytes(stream).subspan(i, 1), got);
    // A PDU comes out exactly when its last byte arrives.
    std::size_t ended = 0;
    for (const auto& p : expected_pdus(kStreamParts)) ended += (p.offset + p.bytes.size() <= i + 1) ? 1 : 0;
    EXPECT_EQ(got.size(), ended) << "after byte " << i;
  }
  EXPECT_EQ(got, expected_pdus(kStreamParts));
}

TEST(Framing, ManyPdusInOneFeed) {
  Buf stream;
  std::vector<Pdu> want;
  for (int i = 0; i < 500; ++i) {
    for (const auto& [name, v] : test::all_vectors()) {
      want.push_back({*v, stream.size()});
      stream.insert(stream.end(), v->begin(), v->end());
    }
  }
  Framer f;
  std::vector<Pdu> got;
  feed_all(f, stream, got);
  EXPECT_EQ(got.size(), want.size());
  EXPECT_EQ(got, want);
}

TEST(Framing, FeedNeverTakesMoreThanCapacityAndTheCallerLoopDrains) {
  Framer f(LengthConvention::Total4, 64);
  EXPECT_EQ(f.capacity(), 128u);
  Buf stream;
  std::size_t count = 0;
  for (int i = 0; i < 40; ++i) {
    stream.insert(stream.end(), test::kMoveAck.begin(), test::kMoveAck.end());
    stream.insert(stream.end(), test::kKeepAlive.begin(), test::kKeepAlive.end());
    count += 2;
  }
  // One big offer: only what fits is taken.
  const std::size_t first = f.feed(stream);
  EXPECT_EQ(first, f.capacity());
  EXPECT_EQ(f.buffered(), f.capacity());
  EXPECT_EQ(f.feed(Bytes(stream).subspan(first)), 0u);  // full until PDUs are taken
  // Drain and go on.
  std::vector<Pdu> got;
  for (;;) {
    const FrameResult r = f.next();
    if (r.status != FrameStatus::Pdu) break;
    got.push_back({Buf(r.pdu.begin(), r.pdu.end()), r.stream_offset});
  }
  feed_all(f, Bytes(stream).subspan(first), got);
  ASSERT_EQ(got.size(), count);
  std::uint64_t off = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].offset, off);
    EXPECT_EQ(got[i].bytes, i % 2 ? test::kKeepAlive : test::kMoveAck);
    off += got[i].bytes.size();
  }
}

TEST(Framing, ImpossibleLengthIsAnErrorAtItsStreamOffset) {
  // A Keep-Alive, then a header whose Length 2 announces 6 octets: less than a header.
  Buf stream = test::kKeepAlive;
  const Buf bad{0x02, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x08};
  stream.insert(stream.end(), bad.begin(), bad.end());
  Framer f;
  std::vector<Pdu> got;
  FrameResult err;
  feed_all(f, stream, got, &err);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(err.status, FrameStatus::Error);
  EXPECT_EQ(err.stream_offset, 16u);
  EXPECT_EQ(err.declared, 2u);
  EXPECT_FALSE(err.error.empty());
  // The error stays until the caller resyncs.
  EXPECT_EQ(f.next().status, FrameStatus::Error);
}

TEST(Framing, ErrorIsKnownFromTheFirstFourBytes) {
  Framer f;
  const Buf head{0x02, 0x00, 0x00, 0x01};
  f.feed(head);
  const FrameResult r = f.next();
  EXPECT_EQ(r.status, FrameStatus::Error);
  EXPECT_EQ(r.stream_offset, 0u);
  const Buf three{0x02, 0x00, 0x00};
  Framer g;
  g.feed(three);
  EXPECT_EQ(g.next().status, FrameStatus::NeedMore);
}

TEST(Framing, LengthAboveConfiguredMaximumIsAnError) {
  Framer f(LengthConvention::Total4, 32);
  f.feed(test::kMoveAck);  // 43 octets
  const FrameResult r = f.next();
  EXPECT_EQ(r.status, FrameStatus::Error);
  EXPECT_EQ(r.declared, 43u);
  EXPECT_EQ(r.stream_offset, 0u);
  // The largest Length the field can hold is accepted by default.
  Framer big;
  const Buf huge{0x02, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01};
  big.feed(huge);
  EXPECT_EQ(big.next().status, FrameStatus::NeedMore);
}

TEST(Framing, LiteralConventionFramesLiteralMessages) {
  Buf stream = concat({&test::kKeepAliveLiteral, &test::kKeepAliveLiteral});
  Framer f(LengthConvention::Literal3);
  EXPECT_EQ(f.convention(), LengthConvention::Literal3);
  std::vector<Pdu> got;
  feed_all(f, stream, got);
  EXPECT_EQ(got, expected_pdus({&test::kKeepAliveLiteral, &test::kKeepAliveLiteral}));
}

TEST(Framing, ResyncAfterGarbageFindsTheNextRealMessage) {
  // Garbage whose Length field is impossible, then a Keep-Alive and a Move.
  const Buf garbage{0xff, 0xff, 0x00, 0x01, 0xff, 0xff};
  Buf stream = garbage;
  stream.insert(stream.end(), test::kKeepAlive.begin(), test::kKeepAlive.end());
  stream.insert(stream.end(), test::kMove.begin(), test::kMove.end());
  Framer f;
  std::vector<Pdu> got;
  FrameResult err;
  feed_all(f, stream, got, &err);
  ASSERT_EQ(err.status, FrameStatus::Error);
  EXPECT_EQ(err.stream_offset, 0u);
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(f.resync(), garbage.size());
  EXPECT_EQ(f.stream_offset(), garbage.size());
  feed_all(f, Bytes{}, got);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].bytes, test::kKeepAlive);
  EXPECT_EQ(got[0].offset, garbage.size());
  EXPECT_EQ(got[1].bytes, test::kMove);
  EXPECT_EQ(got[1].offset, garbage.size() + test::kKeepAlive.size());
}

TEST(Framing, ResyncSkipsPlausibleLookingBytesThatAreNotAMessage) {
  // Length 0 (impossible), then a plausible MOVE header whose options are not VSM options.
  const Buf garbage{0xff, 0xff, 0x00, 0x00, 0x03, 0x04, 0x00, 0x0c, 0x00, 0x80,
                    0x00, 0x01, 0x63, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff};
  Buf stream = garbage;
  stream.insert(stream.end(), test::kAdd.begin(), test::kAdd.end());
  Framer f;
  std::vector<Pdu> got;
  FrameResult err;
  feed_all(f, stream, got, &err);
  ASSERT_EQ(err.status, FrameStatus::Error);
  EXPECT_EQ(f.resync(), garbage.size());
  feed_all(f, Bytes{}, got);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].bytes, test::kAdd);
  EXPECT_EQ(got[0].offset, garbage.size());
}

TEST(Framing, ResyncDropsEverythingWhenNothingCanStartAMessage) {
  const Buf garbage{0xff, 0xff, 0x00, 0x00};
  Framer f;
  f.feed(garbage);
  ASSERT_EQ(f.next().status, FrameStatus::Error);
  EXPECT_EQ(f.resync(), garbage.size());  // nothing there can start a message
  EXPECT_EQ(f.buffered(), 0u);
  // The message arrives in pieces after the resync.
  std::vector<Pdu> got;
  feed_all(f, Bytes(test::kStatusUpdate).first(3), got);
  feed_all(f, Bytes(test::kStatusUpdate).subspan(3), got);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].bytes, test::kStatusUpdate);
  EXPECT_EQ(got[0].offset, garbage.size());
}

TEST(Framing, ResyncKeepsATailThatMayStartAHeader) {
  // Impossible Length, then the first octet of a Keep-Alive: it is kept for the rest to arrive.
  const Buf garbage{0xff, 0xff, 0x00, 0x00};
  Buf head = garbage;
  head.push_back(test::kKeepAlive[0]);
  Framer f;
  f.feed(head);
  ASSERT_EQ(f.next().status, FrameStatus::Error);
  EXPECT_EQ(f.resync(), garbage.size());
  EXPECT_EQ(f.buffered(), 1u);
  std::vector<Pdu> got;
  feed_all(f, Bytes(test::kKeepAlive).subspan(1), got);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].bytes, test::kKeepAlive);
  EXPECT_EQ(got[0].offset, garbage.size());
}

TEST(Framing, ResetForgetsBufferedBytesAndMovesTheOffset) {
  Framer f;
  f.feed(Bytes(test::kMove).first(10));
  EXPECT_EQ(f.buffered(), 10u);
  f.reset(100);
  EXPECT_EQ(f.buffered(), 0u);
  EXPECT_EQ(f.stream_offset(), 110u);
  std::vector<Pdu> got;
  feed_all(f, test::kMove, got);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].offset, 110u);
}

TEST(Framing, PduStaysValidUntilTheNextCall) {
  Framer f;
  f.feed(concat({&test::kKeepAlive, &test::kAdd}));
  const FrameResult a = f.next();
  ASSERT_EQ(a.status, FrameStatus::Pdu);
  EXPECT_EQ(Buf(a.pdu.begin(), a.pdu.end()), test::kKeepAlive);
  EXPECT_EQ(f.buffered(), test::kAdd.size());  // the PDU handed out no longer counts
  const FrameResult b = f.next();
  ASSERT_EQ(b.status, FrameStatus::Pdu);
  EXPECT_EQ(Buf(b.pdu.begin(), b.pdu.end()), test::kAdd);
  EXPECT_EQ(b.stream_offset, test::kKeepAlive.size());
  EXPECT_EQ(f.next().status, FrameStatus::NeedMore);
  EXPECT_EQ(f.buffered(), 0u);
}

// ---- SCTP: DATA chunks to messages (SctpJoiner), as the dissector and vsm-replay read them.

struct Got {
  Buf bytes;
  std::size_t at;
  bool joined, cut_short;
  bool operator==(const Got&) const = default;
};

std::vector<Got> pieces(SctpJoiner& j, const Buf& chunk) {
  std::vector<Got> out;
  for (const SctpPiece& p : j.feed(chunk)) out.push_back({Buf(p.pdu.begin(), p.pdu.end()), p.at, p.joined, p.cut_short});
  return out;
}

Buf part(const Buf& b, std::size_t from, std::size_t to) { return Buf(b.begin() + from, b.begin() + to); }

TEST(SctpJoiner, OneMessagePerChunk) {
  SctpJoiner j;
  EXPECT_EQ(pieces(j, test::kRegistration), (std::vector<Got>{{test::kRegistration, 0, false, false}}));
  EXPECT_EQ(pieces(j, test::kMove), (std::vector<Got>{{test::kMove, 0, false, false}}));
  EXPECT_EQ(j.held(), 0u);
  EXPECT_TRUE(j.finish().empty());
}

TEST(SctpJoiner, SeveralMessagesInOneChunk) {
  SctpJoiner j;
  const Buf chunk = concat({&test::kKeepAlive, &test::kMove, &test::kError});
  const std::size_t a = test::kKeepAlive.size(), b = a + test::kMove.size();
  EXPECT_EQ(pieces(j, chunk), (std::vector<Got>{{test::kKeepAlive, 0, false, false},
                                                {test::kMove, a, false, false},
                                                {test::kError, b, false, false}}));
}

TEST(SctpJoiner, OneMessageAcrossChunksAtEverySplit) {
  for (std::size_t cut = 1; cut < test::kMove.size(); ++cut) {
    SCOPED_TRACE(cut);
    // One octet short is where the literal convention's Length would end it: read as that (next test).
    if (cut == test::kMove.size() - 1) continue;
    SctpJoiner j;
    EXPECT_TRUE(pieces(j, part(test::kMove, 0, cut)).empty());
    EXPECT_EQ(j.held(), cut);
    EXPECT_EQ(pieces(j, part(test::kMove, cut, test::kMove.size())),
              (std::vector<Got>{{test::kMove, 0, true, false}}));
    EXPECT_EQ(j.held(), 0u);
  }
}

TEST(SctpJoiner, ContinuationThatCompletesExactlyWinsOverAPlausibleHeader) {
  // A header held alone whose Length announces exactly what the next chunk holds: that chunk
  // continues it, even though it reads as a whole message of its own (as option bytes can).
  ASSERT_TRUE(plausible_header(Bytes(test::kKeepAlive.data(), kHeaderSize)));
  Buf head = part(test::kMove, 0, kHeaderSize);
  const std::uint16_t length = length_field_for(kHeaderSize + test::kKeepAlive.size(), LengthConvention::Total4);
  head[off::kLength] = static_cast<std::uint8_t>(length >> 8);
  head[off::kLength + 1] = static_cast<std::uint8_t>(length);
  SctpJoiner j;
  EXPECT_TRUE(pieces(j, head).empty());
  Buf whole = head;
  whole.insert(whole.end(), test::kKeepAlive.begin(), test::kKeepAlive.end());
  EXPECT_EQ(pieces(j, test::kKeepAlive), (std::vector<Got>{{whole, 0, true, false}}));
}

TEST(SctpJoiner, AcrossThreeChunksThenMoreInTheLast) {
  SctpJoiner j;
  const Buf& m = test::kMove;
  EXPECT_TRUE(pieces(j, part(m, 0, 2)).empty());  // not even the Length field yet
  EXPECT_TRUE(pieces(j, part(m, 2, 10)).empty());
  Buf last = part(m, 10, m.size());
  last.insert(last.end(), test::kKeepAlive.begin(), test::kKeepAlive.end());
  EXPECT_EQ(pieces(j, last), (std::vector<Got>{{m, 0, true, false}, {test::kKeepAlive, m.size() - 10, false, false}}));
}

TEST(SctpJoiner, HeldMessageStandsCutShortWhenTheNextChunkStartsAMessage) {
  SctpJoiner j;
  const Buf head = part(test::kMove, 0, 12);
  EXPECT_TRUE(pieces(j, head).empty());
  EXPECT_EQ(pieces(j, test::kKeepAlive),
            (std::vector<Got>{{head, 0, true, true}, {test::kKeepAlive, 0, false, false}}));
  EXPECT_TRUE(pieces(j, head).empty());
  const auto& end = j.finish();  // the association ended
  ASSERT_EQ(end.size(), 1u);
  EXPECT_TRUE(end[0].cut_short);
  EXPECT_EQ(Buf(end[0].pdu.begin(), end[0].pdu.end()), head);
}

TEST(SctpJoiner, TrailingOctetsAndImpossibleLengthStayInTheirChunk) {
  SctpJoiner j;
  Buf trailing = test::kKeepAlive;
  trailing.push_back(0xEE);
  trailing.push_back(0xEE);
  EXPECT_EQ(pieces(j, trailing), (std::vector<Got>{{trailing, 0, false, false}}));
  Buf impossible = test::kKeepAlive;
  impossible[off::kLength] = 0;
  impossible[off::kLength + 1] = 1;
  EXPECT_EQ(pieces(j, impossible), (std::vector<Got>{{impossible, 0, false, false}}));
  // The literal convention's Length announces one octet more than the chunk: that message, not a held one.
  EXPECT_EQ(pieces(j, test::kKeepAliveLiteral), (std::vector<Got>{{test::kKeepAliveLiteral, 0, false, false}}));
  EXPECT_EQ(j.held(), 0u);
}

}  // namespace
}  // namespace vsm
