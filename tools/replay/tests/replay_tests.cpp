// SPDX-License-Identifier: GPL-2.0-or-later
// vsm-replay tests: crafted captures over every link type, IPv4/IPv6, VLAN
// tags, TCP reordering, retransmission, overlaps and gaps, connections open
// before the capture, SCTP, damaged files; the bundled traces against their
// .expect files; the command line; a bounded fuzz loop over the reader.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "capture_builder.hpp"
#include "commands.hpp"
#include "reader.hpp"
#include "vsm/catalogue.hpp"
#include "vsm/message.hpp"

namespace vsm::replay {
namespace {

namespace fs = std::filesystem;
using test::Buf;

struct Seen {
  std::uint64_t frame;
  Dir dir;
  std::uint8_t type, subtype;
  std::uint32_t seq;
  bool ok;
};

class Collect : public Sink {
 public:
  void message(const MessageEvent& e) override {
    msgs.push_back({e.frame, e.dir, e.msg.header.type, e.msg.header.subtype, e.msg.header.seq, e.msg.ok()});
    for (const Finding& f : e.findings) add(e.frame, f);
  }
  void finding(const Conn&, std::optional<Dir>, std::uint64_t frame, const Finding& f) override { add(frame, f); }
  void notice(const Notice& n) override { notices.push_back(n.kind), notice_sizes.push_back(n.size); }
  std::size_t count(Notice::Kind k) const {
    return static_cast<std::size_t>(std::count(notices.begin(), notices.end(), k));
  }
  std::uint64_t size_of(Notice::Kind k) const {
    for (std::size_t i = 0; i < notices.size(); ++i) {
      if (notices[i] == k) return notice_sizes[i];
    }
    return 0;
  }
  std::size_t errors() const {
    std::size_t n = 0;
    for (const auto& [frame, id, sev] : findings) n += sev == Severity::Error ? 1 : 0;
    return n;
  }
  std::string dump() const {
    std::ostringstream o;
    for (const auto& [frame, id, sev] : findings) o << frame << " " << id << "\n";
    return o.str();
  }

  std::vector<Seen> msgs;
  std::vector<std::tuple<std::uint64_t, std::string, Severity>> findings;
  std::vector<Notice::Kind> notices;
  std::vector<std::uint64_t> notice_sizes;

 private:
  void add(std::uint64_t frame, const Finding& f) {
    findings.emplace_back(frame, std::string(f.requirement().id), f.severity());
  }
};

struct Analysis {
  Collect c;
  ReadResult rr;
  EngineStats stats;
};

std::unique_ptr<Analysis> analyze(const std::string& path, Options opt = {}) {
  auto a = std::make_unique<Analysis>();
  Engine e(opt, a->c);
  a->rr = read_capture(path, e);
  e.finish();
  a->stats = e.stats();
  return a;
}

std::string tmp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("vsm-replay-test-" + std::to_string(getpid()) + "-" + name)).string();
}

Buf enc(const Message& m) { return m.encode().value(); }
Buf ack_of(const Buf& request, std::uint32_t node) {
  return enc(ack_for(decode(request).header, ResultCode::Successful, node));
}

// The six-message conversation the crafted captures carry.
struct Conversation {
  Buf reg = enc(registration(1, 0));
  Buf reg_ack = ack_of(reg, 3);
  Buf ka = enc(keep_alive(100, 3));
  Buf ka_ack = ack_of(ka, 3);
  Buf su = enc(status_update(2, 3));
  Buf su_ack = ack_of(su, 3);
};

std::string traces_dir() { return VSM_TRACES_DIR; }

// ---------------------------------------------------------------------------
// Link types and IP versions

struct LinkCase {
  int dlt;
  bool v6;
  int vlan;
};

class LinkTypes : public ::testing::TestWithParam<LinkCase> {};

TEST_P(LinkTypes, DecodesTheWholeConversation) {
  const LinkCase lc = GetParam();
  const std::string path = tmp_path("link-" + std::to_string(lc.dlt) + (lc.v6 ? "-6" : "-4") + ".pcap");
  {
    test::Writer w(path, lc.dlt);
    ASSERT_TRUE(w.ok());
    const auto node = lc.v6 ? test::v6host(3, 40001) : test::v4host(3, 40001);
    const auto mgr = lc.v6 ? test::v6host(1, kDefaultPort) : test::v4host(1, kDefaultPort);
    test::TcpFlow f(w, lc.dlt, lc.v6, node, mgr, lc.vlan);
    Conversation c;
    f.handshake();
    f.send(0, c.reg);
    f.send(1, c.reg_ack);
    f.send(1, c.ka);
    f.send(0, c.ka_ack);
    f.send(0, c.su);
    f.send(1, c.su_ack);
    f.fin();
  }
  auto a = analyze(path);
  EXPECT_EQ(a->rr.status, exit_code::kOk) << a->rr.error;
  ASSERT_EQ(a->c.msgs.size(), 6u);
  EXPECT_EQ(a->c.msgs[0].type, u8(MsgType::Registration));
  EXPECT_EQ(a->c.msgs[0].dir, Dir::FromInitiator);
  EXPECT_EQ(a->c.msgs[0].frame, 4u);
  EXPECT_EQ(a->c.msgs[1].dir, Dir::FromResponder);
  EXPECT_EQ(a->c.msgs[2].type, u8(MsgType::KeepAlive));
  EXPECT_EQ(a->c.msgs[2].seq, 100u);
  EXPECT_EQ(a->c.msgs[5].type, u8(MsgType::Ack));
  EXPECT_EQ(a->c.errors(), 0u) << a->c.dump();
  EXPECT_EQ(a->stats.gaps, 0u);
  EXPECT_EQ(a->c.notices.size(), 0u);
  fs::remove(path);
}

INSTANTIATE_TEST_SUITE_P(All, LinkTypes,
                         ::testing::Values(LinkCase{DLT_EN10MB, false, 0}, LinkCase{DLT_EN10MB, true, 0},
                                           LinkCase{DLT_EN10MB, false, 1}, LinkCase{DLT_EN10MB, true, 2},
                                           LinkCase{DLT_LINUX_SLL, false, 0}, LinkCase{DLT_LINUX_SLL, true, 0},
                                           LinkCase{DLT_LINUX_SLL2, false, 0}, LinkCase{DLT_LINUX_SLL2, true, 0},
                                           LinkCase{DLT_RAW, false, 0}, LinkCase{DLT_RAW, true, 0},
                                           LinkCase{DLT_IPV4, false, 0}, LinkCase{DLT_IPV6, true, 0},
                                           LinkCase{DLT_NULL, false, 0}, LinkCase{DLT_NULL, true, 0},
                                           LinkCase{DLT_LOOP, false, 0}, LinkCase{DLT_LOOP, true, 0}));

// ---------------------------------------------------------------------------
// TCP reassembly

struct Flow {
  std::string path;
  std::unique_ptr<test::Writer> w;
  std::unique_ptr<test::TcpFlow> f;
  explicit Flow(const std::string& name, bool handshake = true) : path(tmp_path(name)) {
    w = std::make_unique<test::Writer>(path, DLT_EN10MB);
    f = std::make_unique<test::TcpFlow>(*w, DLT_EN10MB, false, test::v4host(3, 40001), test::v4host(1, kDefaultPort));
    if (handshake) f->handshake();
  }
  std::unique_ptr<Analysis> run(Options opt = {}) {
    w->close();
    auto a = analyze(path, opt);
    fs::remove(path);
    return a;
  }
};

Buf slice(const Buf& b, std::size_t from, std::size_t to) { return Buf(b.begin() + from, b.begin() + to); }

TEST(Tcp, OutOfOrderSegmentsAreReassembled) {
  Flow fl("ooo.pcap");
  Conversation c;
  fl.f->send(0, c.reg);  // frame 4
  // The manager's Registration ACK and a Keep-Alive in one write.
  Buf two = c.reg_ack;
  two.insert(two.end(), c.ka.begin(), c.ka.end());
  const std::uint32_t s = fl.f->send(1, two, false);
  const std::size_t a = 5, b = c.reg_ack.size() + 3;
  fl.f->segment(1, s + static_cast<std::uint32_t>(b), slice(two, b, two.size()));  // frame 5: third part
  fl.f->segment(1, s + static_cast<std::uint32_t>(a), slice(two, a, b));           // frame 6: second part
  fl.f->segment(1, s, slice(two, 0, a));                                           // frame 7: first part
  fl.f->send(0, c.ka_ack);
  auto r = fl.run();
  ASSERT_EQ(r->c.msgs.size(), 4u);
  EXPECT_EQ(r->c.msgs[1].frame, 7u);
  EXPECT_EQ(r->c.msgs[2].frame, 7u);
  EXPECT_EQ(r->c.msgs[2].type, u8(MsgType::KeepAlive));
  EXPECT_EQ(r->stats.gaps, 0u);
  EXPECT_EQ(r->c.errors(), 0u) << r->c.dump();
}

TEST(Tcp, RetransmissionsAndOverlapsAreDeliveredOnce) {
  Flow fl("retrans.pcap");
  Conversation c;
  const std::uint32_t s = fl.f->send(0, c.reg);
  fl.f->segment(0, s, c.reg);  // plain retransmission
  fl.f->send(1, c.reg_ack);
  Buf two = c.su;
  const std::uint32_t s2 = fl.f->send(0, two, false);
  fl.f->segment(0, s2, slice(two, 0, 10));
  fl.f->segment(0, s2 + 4, slice(two, 4, 14));  // overlaps the first by 6 octets
  fl.f->segment(0, s2, two);                    // all of it again
  fl.f->send(1, c.su_ack);
  auto r = fl.run();
  ASSERT_EQ(r->c.msgs.size(), 4u) << r->c.dump();
  EXPECT_EQ(r->c.msgs[2].type, u8(MsgType::StatusUpdate));
  EXPECT_GE(r->stats.retransmitted, 1u);
  EXPECT_EQ(r->stats.gaps, 0u);
  EXPECT_EQ(r->c.errors(), 0u) << r->c.dump();
}

TEST(Tcp, MissingSegmentIsAGapWithItsSize) {
  Flow fl("gap.pcap");
  Conversation c;
  fl.f->send(0, c.reg);
  fl.f->send(1, c.reg_ack);
  fl.f->send(0, c.su, false);  // never captured
  fl.f->ack(1);                // the manager acknowledges it
  fl.f->send(1, c.ka);
  fl.f->send(0, c.ka_ack);
  auto r = fl.run();
  ASSERT_EQ(r->c.count(Notice::Kind::Gap), 1u);
  EXPECT_EQ(r->c.size_of(Notice::Kind::Gap), c.su.size());
  ASSERT_EQ(r->c.msgs.size(), 4u);
  EXPECT_EQ(r->c.msgs[3].type, u8(MsgType::Ack));
  EXPECT_EQ(r->c.msgs[3].seq, 100u);
}

TEST(Tcp, GapInsideMessagesResynchronisesAtTheNextHeader) {
  Flow fl("resync.pcap");
  Conversation c;
  fl.f->send(0, c.reg);
  fl.f->send(1, c.reg_ack);
  // The end of one Status-Update and the start of the next are lost; a third follows whole.
  Buf su2 = enc(status_update(3, 3));
  Buf su3 = enc(status_update(4, 3));
  Buf data = c.su;
  data.insert(data.end(), su2.begin(), su2.end());
  const std::uint32_t s = fl.f->send(0, data, false);
  fl.f->segment(0, s, slice(data, 0, 6));
  const std::uint32_t s3 = fl.f->send(0, su3, false);
  fl.f->segment(0, s + static_cast<std::uint32_t>(data.size() - 5), slice(data, data.size() - 5, data.size()));
  fl.f->segment(0, s3, su3);
  fl.f->ack(1);
  auto r = fl.run();
  EXPECT_EQ(r->c.count(Notice::Kind::Gap), 1u);
  EXPECT_EQ(r->c.size_of(Notice::Kind::Gap), data.size() - 11);
  EXPECT_EQ(r->c.count(Notice::Kind::Resync), 1u);
  ASSERT_EQ(r->c.msgs.size(), 3u);
  EXPECT_EQ(r->c.msgs[2].type, u8(MsgType::StatusUpdate));
  EXPECT_EQ(r->c.msgs[2].seq, 4u);
  EXPECT_TRUE(r->c.msgs[2].ok);
}

TEST(Tcp, HoleFilledByHeldDataAtEndOfCapture) {
  Flow fl("held.pcap");
  Conversation c;
  fl.f->send(0, c.reg);
  fl.f->send(0, c.su, false);  // lost, and nobody acknowledges it
  fl.f->send(0, c.ka_ack);     // held behind the hole until the end
  auto r = fl.run();
  EXPECT_EQ(r->c.count(Notice::Kind::Gap), 1u);
  EXPECT_EQ(r->c.size_of(Notice::Kind::Gap), c.su.size());
  ASSERT_EQ(r->c.msgs.size(), 2u);
  EXPECT_EQ(r->c.msgs[1].type, u8(MsgType::Ack));
}

TEST(Tcp, ConnectionOpenBeforeTheCapture) {
  Flow fl("midstream.pcap", false);
  Conversation c;
  // Capture starts in the middle of a Keep-Alive: its tail comes first.
  const std::uint32_t s = fl.f->send(1, c.ka, false);
  fl.f->segment(1, s + 3, slice(c.ka, 3, c.ka.size()));
  fl.f->send(0, c.ka_ack);
  fl.f->send(0, c.su);
  fl.f->send(1, c.su_ack);
  auto r = fl.run();
  ASSERT_EQ(r->c.msgs.size(), 3u) << r->c.dump();
  EXPECT_EQ(r->c.msgs[1].type, u8(MsgType::StatusUpdate));
  // The node (port 40001) opened the connection, although no SYN was seen.
  EXPECT_EQ(r->c.msgs[1].dir, Dir::FromInitiator);
  // Without the start, "Registration first" cannot be judged.
  for (const auto& [frame, id, sev] : r->c.findings) EXPECT_NE(id, "VSM-5-REGISTER-FIRST");
}

// ---------------------------------------------------------------------------
// The registration state rules (codec/PROFILE.md, "Registration state")

std::set<std::pair<std::uint64_t, std::string>> read_expect(const std::string& path);  // the bundled traces' .expect

// The requirement IDs of the state rules found, each with the Type of the message it is on.
std::set<std::pair<std::uint8_t, std::string>> state_findings(const Collect& c) {
  std::map<std::uint64_t, std::uint8_t> type_of;
  for (const Seen& m : c.msgs) type_of[m.frame] = m.type;
  std::set<std::pair<std::uint8_t, std::string>> out;
  for (const auto& [frame, id, sev] : c.findings) {
    if (id == "VSM-5-REGISTERED" || id == "VSM-5-REGISTER-ONCE" || id == "VSM-5-DEREGISTERED") {
      out.emplace(type_of[frame], id);
    }
  }
  return out;
}

TEST(StateRules, RequestsOutsideTheRegistrationAreReported) {
  Flow fl("state.pcap");
  Conversation c;
  fl.f->send(1, c.ka);  // the manager speaks before any Registration
  fl.f->send(0, c.ka_ack);
  fl.f->send(0, c.reg);
  fl.f->send(0, c.su);  // pipelined behind the Registration
  fl.f->send(1, c.reg_ack);
  fl.f->send(1, c.su_ack);
  const Buf again = enc(registration(3, 3));
  fl.f->send(0, again);
  fl.f->send(1, ack_of(again, 3));
  const Buf dr = enc(deregistration(4, 3));
  fl.f->send(0, dr);
  fl.f->send(1, ack_of(dr, 3));
  const Buf ka = enc(keep_alive(101, 3));  // after the De-registration was ACKed
  fl.f->send(1, ka);
  fl.f->send(0, ack_of(ka, 3));
  auto r = fl.run();
  const std::set<std::pair<std::uint8_t, std::string>> want{
      {u8(MsgType::KeepAlive), "VSM-5-REGISTERED"},
      {u8(MsgType::StatusUpdate), "VSM-5-REGISTERED"},
      {u8(MsgType::Registration), "VSM-5-REGISTER-ONCE"},
      {u8(MsgType::KeepAlive), "VSM-5-DEREGISTERED"},
  };
  EXPECT_EQ(state_findings(r->c), want) << r->c.dump();
  EXPECT_EQ(r->c.findings.size(), want.size()) << r->c.dump();  // every request ACKed: nothing else
}

TEST(StateRules, TheSameConversationInOrderIsClean) {
  Flow fl("state-good.pcap");
  Conversation c;
  fl.f->send(0, c.reg);
  fl.f->send(1, c.reg_ack);
  fl.f->send(1, c.ka);  // right after the Registration ACK
  fl.f->send(0, c.su);  // crosses the Keep-Alive
  fl.f->send(0, c.ka_ack);
  fl.f->send(1, c.su_ack);
  const Buf dr = enc(deregistration(3, 3));
  fl.f->send(0, dr);
  const Buf ka = enc(keep_alive(101, 3));  // crosses the De-registration: ACKed, not reported
  fl.f->send(1, ka);
  fl.f->send(0, ack_of(ka, 3));
  fl.f->send(1, ack_of(dr, 3));
  auto r = fl.run();
  EXPECT_EQ(r->c.msgs.size(), 10u);
  EXPECT_TRUE(r->c.findings.empty()) << r->c.dump();
}

TEST(StateRules, ConnectionOpenBeforeTheCaptureIsJudgedFromWhatItShows) {
  Flow fl("state-midstream.pcap", false);
  Conversation c;
  fl.f->send(1, c.ka);  // no Registration seen: not judged
  fl.f->send(0, c.ka_ack);
  fl.f->send(0, c.su);
  fl.f->send(1, c.su_ack);
  const Buf dr = enc(deregistration(3, 3));
  fl.f->send(0, dr);
  fl.f->send(1, ack_of(dr, 3));
  const Buf late = enc(status_update(4, 3));
  fl.f->send(0, late);
  fl.f->send(1, ack_of(late, 3));
  auto r = fl.run();
  const std::set<std::pair<std::uint8_t, std::string>> want{{u8(MsgType::StatusUpdate), "VSM-5-DEREGISTERED"}};
  EXPECT_EQ(state_findings(r->c), want) << r->c.dump();
}

TEST(StateRules, CheckNamesEachFindingOfTheBundledTraceAndExitsWithFindings) {
  std::ostringstream out, err;
  EXPECT_EQ(run({"check", traces_dir() + "/state-rules.pcapng"}, out, err), exit_code::kFindings);
  const std::string text = out.str();
  for (const auto& [frame, id] : read_expect(traces_dir() + "/state-rules.expect")) {
    const std::string line = "frame " + std::to_string(frame) + " ";
    const auto at = text.find(line);
    ASSERT_NE(at, std::string::npos) << line << "\n" << text;
    EXPECT_NE(text.substr(at, text.find('\n', at) - at).find("[" + id + "]"), std::string::npos) << text;
  }
  EXPECT_NE(text.find("request after its own De-registration (Operation from the Manager Node)"), std::string::npos)
      << text;
}

TEST(Tcp, SnapLengthCutSegmentIsReportedAndStreamContinues) {
  Flow fl("snap.pcap");
  Conversation c;
  fl.f->send(0, c.reg);
  const std::uint32_t s = fl.f->send(0, c.su, false);
  fl.f->segment(0, s, c.su, 6);  // only 6 payload octets captured
  fl.f->send(0, enc(status_update(3, 3)));
  fl.w->close();
  std::ostringstream out, err;
  EXPECT_EQ(run({"check", fl.path}, out, err), exit_code::kDamaged);
  EXPECT_NE(err.str().find("cut"), std::string::npos) << err.str();
  auto r = fl.run();
  EXPECT_EQ(r->c.count(Notice::Kind::Cut), 1u);
  EXPECT_EQ(r->c.count(Notice::Kind::Gap), 1u);
  EXPECT_EQ(r->c.size_of(Notice::Kind::Gap), c.su.size() - 6);
  ASSERT_EQ(r->c.msgs.size(), 2u);
  EXPECT_EQ(r->c.msgs[1].seq, 3u);
}

TEST(Tcp, PortsAndHeuristic) {
  const std::string path = tmp_path("port.pcap");
  {
    test::Writer w(path, DLT_EN10MB);
    test::TcpFlow f(w, DLT_EN10MB, false, test::v4host(3, 40001), test::v4host(1, 4000));
    Conversation c;
    f.handshake();
    f.send(0, c.reg);
    f.send(1, c.reg_ack);
  }
  EXPECT_EQ(analyze(path)->c.msgs.size(), 0u);
  Options by_port;
  by_port.ports = {4000};
  EXPECT_EQ(analyze(path, by_port)->c.msgs.size(), 2u);
  Options by_auto;
  by_auto.auto_detect = true;
  EXPECT_EQ(analyze(path, by_auto)->c.msgs.size(), 2u);
  fs::remove(path);
}

// ---------------------------------------------------------------------------
// SCTP

TEST(Sctp, BundledFragmentedAndDuplicatedChunks) {
  const std::string path = tmp_path("sctp.pcap");
  Conversation c;
  const auto node = test::v4host(3, 40001), mgr = test::v4host(1, 9900);
  auto packet = [&](bool from_node, const Buf& chunks) {
    return from_node ? test::sctp_frame(node, mgr, chunks) : test::sctp_frame(mgr, node, chunks);
  };
  {
    test::Writer w(path, DLT_EN10MB);
    Buf two = test::sctp_data_chunk(1, 4242, c.reg);
    const Buf ka = test::sctp_data_chunk(2, 4242, c.ka_ack);
    two.insert(two.end(), ka.begin(), ka.end());
    w.add(packet(true, two));
    w.add(packet(true, two));  // retransmitted: same TSNs
    w.add(packet(false, test::sctp_data_chunk(10, 4242, c.reg_ack)));
    // A Status-Update in three fragments.
    w.add(packet(true, test::sctp_data_chunk(3, 4242, slice(c.su, 0, 5), true, false)));
    w.add(packet(true, test::sctp_data_chunk(4, 4242, slice(c.su, 5, 9), false, false)));
    w.add(packet(true, test::sctp_data_chunk(5, 4242, slice(c.su, 9, c.su.size()), false, true)));
  }
  EXPECT_EQ(analyze(path)->c.msgs.size(), 0u);  // port 9900, PPID 4242: not VSM by default
  Options opt;
  opt.ppids = {4242};
  auto a = analyze(path, opt);
  ASSERT_EQ(a->c.msgs.size(), 4u);
  EXPECT_EQ(a->c.msgs[0].frame, 1u);
  EXPECT_EQ(a->c.msgs[1].frame, 1u);
  EXPECT_EQ(a->c.msgs[2].frame, 3u);
  EXPECT_EQ(a->c.msgs[3].frame, 6u);
  EXPECT_EQ(a->c.msgs[3].type, u8(MsgType::StatusUpdate));
  EXPECT_TRUE(a->c.msgs[3].ok);
  EXPECT_EQ(a->stats.retransmitted, 2u);
  Options port;
  port.ports = {9900};
  EXPECT_EQ(analyze(path, port)->c.msgs.size(), 4u);
  fs::remove(path);
}

// The kernel reuses a port for a new association whose TSNs start where the
// old one's did: after the INIT, the same TSNs are new data, not retransmissions.
TEST(Sctp, NewAssociationOnAReusedTupleIsNotTakenForRetransmissions) {
  const std::string path = tmp_path("sctp-reuse.pcap");
  Conversation c;
  const auto node = test::v4host(3, 40003), mgr = test::v4host(1, kDefaultPort);
  // An INIT chunk: type 1, length 20, initiate tag, a_rwnd, streams, initial TSN.
  Buf init = {1, 0, 0, 20};
  for (std::uint8_t b : {0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0x13, 0x88}) init.push_back(b);
  {
    test::Writer w(path, DLT_EN10MB);
    for (int assoc = 0; assoc < 2; ++assoc) {
      w.add(test::sctp_frame(node, mgr, init));
      w.add(test::sctp_frame(node, mgr, test::sctp_data_chunk(5000, 0, c.reg)));
      w.add(test::sctp_frame(mgr, node, test::sctp_data_chunk(1000, 0, c.reg_ack)));
    }
  }
  auto a = analyze(path);
  ASSERT_EQ(a->c.msgs.size(), 4u);
  EXPECT_EQ(a->c.msgs[2].frame, 5u);
  EXPECT_EQ(a->stats.retransmitted, 0u);
  EXPECT_EQ(a->stats.connections, 2u);
  fs::remove(path);
}

// User messages that are not one VSM message each (vsm::SctpJoiner, the dissector's rule too):
// two messages in one chunk, one message across two chunks, a held start at the association's end.
TEST(Sctp, MessagesAndChunksNeedNotMatch) {
  const std::string path = tmp_path("sctp-join.pcap");
  Conversation c;
  const auto node = test::v4host(3, 40002), mgr = test::v4host(1, kDefaultPort);
  auto packet = [&](bool from_node, const Buf& chunks) {
    return from_node ? test::sctp_frame(node, mgr, chunks) : test::sctp_frame(mgr, node, chunks);
  };
  {
    test::Writer w(path, DLT_EN10MB);
    Buf two = c.reg;
    two.insert(two.end(), c.su.begin(), c.su.end());
    w.add(packet(true, test::sctp_data_chunk(1, 0, two)));
    w.add(packet(false, test::sctp_data_chunk(1, 0, slice(c.reg_ack, 0, 8))));
    w.add(packet(false, test::sctp_data_chunk(2, 0, slice(c.reg_ack, 8, c.reg_ack.size()))));
    w.add(packet(true, test::sctp_data_chunk(2, 0, slice(c.su, 0, 10))));  // the association ends here
  }
  auto a = analyze(path);
  ASSERT_EQ(a->c.msgs.size(), 3u) << a->c.dump();
  EXPECT_EQ(a->c.msgs[0].frame, 1u);
  EXPECT_EQ(a->c.msgs[1].frame, 1u);
  EXPECT_EQ(a->c.msgs[1].type, u8(MsgType::StatusUpdate));
  EXPECT_EQ(a->c.msgs[2].frame, 3u);
  EXPECT_TRUE(a->c.msgs[2].ok);
  for (const auto& [frame, id, sev] : a->c.findings) EXPECT_NE(id, "VSM-6.1-LENGTH") << a->c.dump();
  // The held start of the second Status-Update is no message: a gap of its size, as the dissector shows it.
  EXPECT_EQ(a->c.count(Notice::Kind::Gap), 1u);
  EXPECT_EQ(a->c.size_of(Notice::Kind::Gap), 10u);
  fs::remove(path);
}

// ---------------------------------------------------------------------------
// Bad input

TEST(BadInput, TruncatedFileKeepsWhatWasReadable) {
  Flow fl("trunc.pcap");
  Conversation c;
  fl.f->send(0, c.reg);
  fl.f->send(1, c.reg_ack);
  fl.f->send(0, c.su);
  fl.w->close();
  fs::resize_file(fl.path, fs::file_size(fl.path) - 7);
  std::ostringstream out, err;
  EXPECT_EQ(run({"decode", fl.path}, out, err), exit_code::kDamaged);
  EXPECT_NE(err.str().find(fl.path + ": record 6:"), std::string::npos) << err.str();
  EXPECT_NE(out.str().find("Ack seq=1"), std::string::npos) << out.str();
  auto r = fl.run();
  EXPECT_EQ(r->rr.status, exit_code::kDamaged);
  EXPECT_EQ(r->rr.records, 5u);
  EXPECT_EQ(r->c.msgs.size(), 2u);
}

TEST(BadInput, NotACaptureFile) {
  const std::string path = tmp_path("text.pcap");
  std::ofstream(path) << "this is not a capture file\n";
  std::ostringstream out, err;
  EXPECT_EQ(run({"check", path}, out, err), exit_code::kUnreadable);
  EXPECT_NE(err.str().find(path), std::string::npos);
  EXPECT_EQ(run({"stats", path + ".missing"}, out, err), exit_code::kUnreadable);
  fs::remove(path);
}

TEST(BadInput, UnsupportedLinkType) {
  const std::string path = tmp_path("usb.pcap");
  { test::Writer w(path, DLT_USB_LINUX); }
  std::ostringstream out, err;
  EXPECT_EQ(run({"check", path}, out, err), exit_code::kUnreadable);
  EXPECT_NE(err.str().find("not supported"), std::string::npos);
  fs::remove(path);
}

// ---------------------------------------------------------------------------
// gzip-compressed captures (.pcap.gz, .pcapng.gz): told by content, inflated as a stream

Buf file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
void write_file(const std::string& path, const Buf& b) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}
// One gzip member (RFC 1952) of b, as gzip(1) writes it.
Buf gzip_bytes(const Buf& b) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  Buf out(deflateBound(&z, static_cast<uLong>(b.size())) + 32);
  z.next_in = const_cast<Bytef*>(b.data());
  z.avail_in = static_cast<uInt>(b.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}
std::string output_of(const std::vector<std::string>& args, int& status) {
  std::ostringstream out, err;
  status = run(args, out, err);
  return out.str();
}
// What decode --json, check and stats print, the file's name taken out.
std::string all_outputs(const std::string& path, int& status) {
  std::string s;
  int st = 0;
  status = 0;
  for (const char* cmd : {"decode", "check", "stats"}) {
    std::vector<std::string> args{cmd};
    if (std::string(cmd) == "decode") args.push_back("--json");
    args.push_back(path);
    std::string o = output_of(args, st);
    status = std::max(status, st);
    for (std::size_t at; (at = o.find(path)) != std::string::npos;) o.replace(at, path.size(), "FILE");
    s += std::string(cmd) + " -> " + std::to_string(st) + "\n" + o;
  }
  return s;
}

TEST(Replay, ReadsGzipCompressedCaptureByContent) {
  for (const std::string name : {"all-messages", "malformed-tcp", "sctp", "session-mobility"}) {
    const std::string plain = traces_dir() + "/" + name + ".pcapng";
    const Buf bytes = file_bytes(plain);
    ASSERT_GT(bytes.size(), 100u) << plain;
    const std::string gz = tmp_path(name + ".pcapng.gz"), unnamed = tmp_path(name + ".capture");
    write_file(gz, gzip_bytes(bytes));
    write_file(unnamed, gzip_bytes(bytes));  // by content: no .gz in the name
    int want = 0, got = 0;
    const std::string expected = all_outputs(plain, want);
    EXPECT_NE(expected.find("decode -> 0"), std::string::npos) << expected;
    EXPECT_EQ(all_outputs(gz, got), expected) << gz;
    EXPECT_EQ(got, want);
    EXPECT_EQ(all_outputs(unnamed, got), expected) << unnamed;
    // Concatenated members (gzip a >x; gzip b >>x) are one stream, as gzip -d reads them.
    const std::size_t half = bytes.size() / 2;
    Buf two = gzip_bytes(Buf(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(half)));
    const Buf second = gzip_bytes(Buf(bytes.begin() + static_cast<std::ptrdiff_t>(half), bytes.end()));
    two.insert(two.end(), second.begin(), second.end());
    write_file(gz, two);
    EXPECT_EQ(all_outputs(gz, got), expected) << gz << " (two members)";
    two.insert(two.end(), 512, 0);  // padding after the last member: ignored, as gzip -d and zlib's gzread do
    write_file(gz, two);
    EXPECT_EQ(all_outputs(gz, got), expected) << gz << " (two members and padding)";
    fs::remove(gz);
    fs::remove(unnamed);
  }
  // A pcap (not pcapng) compressed, with the library's own record loop.
  Flow fl("gz-seed.pcap");
  Conversation c;
  fl.f->send(0, c.reg);
  fl.f->send(1, c.reg_ack);
  fl.w->close();
  const std::string gz = tmp_path("gz-seed.pcap.gz");
  write_file(gz, gzip_bytes(file_bytes(fl.path)));
  auto a = analyze(gz);
  EXPECT_EQ(a->rr.status, exit_code::kOk) << a->rr.error;
  EXPECT_EQ(a->c.msgs.size(), 2u);
  EXPECT_EQ(a->rr.records, analyze(fl.path)->rr.records);
  fs::remove(gz);
  fs::remove(fl.path);
}

TEST(Replay, ReadsGzipCompressedCaptureFromStandardInput) {
  const std::string plain = traces_dir() + "/all-messages.pcapng";
  const std::string gz = tmp_path("stdin.pcapng.gz");
  write_file(gz, gzip_bytes(file_bytes(plain)));
  int st = 0;
  const std::string expected = output_of({"decode", "--json", plain}, st);
  ASSERT_EQ(st, exit_code::kOk);
  for (const std::string& input : {gz, plain}) {  // compressed and plain, through a stream that cannot seek
    const int saved = dup(STDIN_FILENO);
    const int fd = open(input.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    dup2(fd, STDIN_FILENO);
    close(fd);
    clearerr(stdin);
    const std::string got = output_of({"decode", "--json", "-"}, st);
    dup2(saved, STDIN_FILENO);
    close(saved);
    clearerr(stdin);
    EXPECT_EQ(st, exit_code::kOk) << input;
    EXPECT_EQ(got, expected) << input;
  }
  fs::remove(gz);
}

TEST(Replay, TruncatedOrCorruptGzipIsAnErrorNamingFileAndCompressedOffset) {
  const Buf bytes = file_bytes(traces_dir() + "/all-messages.pcapng");
  const Buf gz = gzip_bytes(bytes);
  const std::string path = tmp_path("cut.pcapng.gz");
  // Cut in the middle of the deflate data, inside the gzip header, and just before the trailer.
  for (const std::size_t keep : {gz.size() / 2, std::size_t{5}, std::size_t{12}, gz.size() - 4}) {
    write_file(path, Buf(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(keep)));
    std::ostringstream out, err;
    EXPECT_EQ(run({"decode", path}, out, err), exit_code::kDamaged) << keep;
    EXPECT_NE(err.str().find(path + ": "), std::string::npos) << err.str();
    EXPECT_NE(err.str().find("gzip data truncated at compressed offset " + std::to_string(keep)), std::string::npos)
        << keep << ": " << err.str();
  }
  // Corrupt deflate data: the offset where inflate gave up, at or before the damage (plus its lookahead).
  Buf bad = gz;
  const std::size_t at = gz.size() / 3;
  for (std::size_t i = at; i < at + 16; ++i) bad[i] ^= 0x5A;
  write_file(path, bad);
  std::ostringstream out, err;
  EXPECT_EQ(run({"check", path}, out, err), exit_code::kDamaged);
  const std::string e = err.str();
  const auto p = e.find("compressed offset ");
  ASSERT_NE(p, std::string::npos) << e;
  EXPECT_NE(e.find(path + ": "), std::string::npos) << e;
  EXPECT_LE(std::stoull(e.substr(p + 18)), bad.size());
  // gzip of something that is not a capture.
  const std::string text = "this is not a capture file\n";
  write_file(path, gzip_bytes(Buf(text.begin(), text.end())));
  EXPECT_EQ(run({"check", path}, out, err), exit_code::kUnreadable);
  EXPECT_NE(err.str().find("after gzip decompression"), std::string::npos) << err.str();
  fs::remove(path);
}

TEST(Replay, PlainCaptureNamedGzIsReadAsPlain) {
  const std::string plain = traces_dir() + "/malformed-tcp.pcapng";
  const std::string named = tmp_path("plain.pcapng.gz");
  write_file(named, file_bytes(plain));
  int want = 0, got = 0;
  const std::string expected = all_outputs(plain, want);
  EXPECT_EQ(all_outputs(named, got), expected);
  EXPECT_EQ(got, want);
  fs::remove(named);
}

// ---------------------------------------------------------------------------
// The bundled traces

// "<frame> <ID>..." lines and "# two-pass <frame> <ID>".
std::set<std::pair<std::uint64_t, std::string>> read_expect(const std::string& path) {
  std::set<std::pair<std::uint64_t, std::string>> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string first;
    ls >> first;
    if (first == "#") {
      std::string word;
      ls >> word >> first;
    }
    const std::uint64_t frame = std::stoull(first);
    for (std::string id; ls >> id;) out.emplace(frame, id);
  }
  return out;
}

TEST(Traces, MalformedTracesShowTheExpectedFindings) {
  // Findings the .expect files leave out; the dissector shows each of them too
  // (replay_vs_tshark compares the two exactly).
  const std::map<std::string, std::set<std::pair<std::uint64_t, std::string>>> consequences{
      {"malformed-tcp",
       {
           {18, "VSM-5-ACK"},  // replaced by the duplicate of frame 19, so never ACKed
       }},
      {"malformed-sctp",
       {
           {4, "VSM-5-ACK"},  // broken Keep-Alives that nobody answers (frame 3's is shown cut short in 4)
           {7, "VSM-5-ACK"},
           {7, "VSM-6.1-SEQ-INCREMENT"},  // frame 6 (5 octets, shown in 7) has no sequence number to count
       }},
      {"state-rules", {}},
  };
  for (const std::string name : {"malformed-tcp", "malformed-sctp", "state-rules"}) {
    auto expect = read_expect(traces_dir() + "/" + name + ".expect");
    ASSERT_GE(expect.size(), 4u);
    expect.insert(consequences.at(name).begin(), consequences.at(name).end());
    auto a = analyze(traces_dir() + "/" + name + ".pcapng");
    std::set<std::pair<std::uint64_t, std::string>> got;
    for (const auto& [frame, id, sev] : a->c.findings) got.emplace(frame, id);
    EXPECT_EQ(got, expect) << name << "\n" << a->c.dump();
  }
}

TEST(Traces, WellFormedTracesAreClean) {
  for (const std::string name : {"all-messages", "session-mobility", "split-coalesced", "ipv6", "seq-wrap", "sctp",
                                 "out-of-order", "late-ack"}) {
    auto a = analyze(traces_dir() + "/" + name + ".pcapng");
    EXPECT_GT(a->c.msgs.size(), 0u) << name;
    EXPECT_EQ(a->c.errors(), 0u) << name << "\n" << a->c.dump();
    EXPECT_EQ(a->stats.gaps, 0u) << name;
    EXPECT_EQ(a->rr.status, exit_code::kOk) << name;
  }
  EXPECT_EQ(analyze(traces_dir() + "/split-coalesced.pcapng")->c.msgs.size(), 32u);
}

TEST(Traces, HeuristicClaimsOnlyVsm) {
  Options autod;
  autod.auto_detect = true;
  EXPECT_EQ(analyze(traces_dir() + "/heuristic.pcapng")->c.msgs.size(), 0u);
  EXPECT_GT(analyze(traces_dir() + "/heuristic.pcapng", autod)->c.msgs.size(), 0u);
  EXPECT_EQ(analyze(traces_dir() + "/not-vsm.pcapng", autod)->c.msgs.size(), 0u);
  Options literal;
  literal.convention = LengthConvention::Literal3;
  auto a = analyze(traces_dir() + "/literal-length.pcapng", literal);
  EXPECT_EQ(a->c.msgs.size(), 8u);
  EXPECT_TRUE(a->c.findings.empty()) << a->c.dump();
}

TEST(Traces, LateAckWithShortTimer) {
  Options opt;
  opt.ack_timeout = 2;
  auto a = analyze(traces_dir() + "/late-ack.pcapng", opt);
  std::set<std::string> ids;
  for (const auto& [frame, id, sev] : a->c.findings) ids.insert(id);
  EXPECT_TRUE(ids.count("VSM-5-ACK")) << a->c.dump();
  EXPECT_TRUE(ids.count("VSM-6.2.6-ACK-UNSOLICITED")) << a->c.dump();
}

// The worker thread changes nothing the sink sees: every trace (and a big
// generated stream) gives the same calls in the same order with threads = 2.
TEST(Threads, WorkerThreadGivesTheSameResults) {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(traces_dir())) {
    if (entry.path().extension() == ".pcapng") files.push_back(entry.path().string());
  }
  const std::string big = tmp_path("threads.pcap");
  {
    test::Writer w(big, DLT_EN10MB);
    test::TcpFlow f(w, DLT_EN10MB, false, test::v4host(3, 40001), test::v4host(1, kDefaultPort));
    Conversation c;
    f.handshake();
    f.send(0, c.reg);
    f.send(1, c.reg_ack);
    for (std::uint32_t i = 0; i < 5000; ++i) {
      const Buf ka = enc(keep_alive(100 + i, 3));
      f.send(1, ka);
      if (i % 97 != 0) f.send(0, ack_of(ka, 3));  // a few never answered
    }
  }
  files.push_back(big);
  for (const std::string& file : files) {
    for (bool autod : {false, true}) {
      for (bool share : {false, true}) {
        Options one, two;
        one.auto_detect = two.auto_detect = autod;
        two.threads = 2;
        two.always_share_checks = share;  // the front end runs the message rules too
        auto a = analyze(file, one);
        auto b = analyze(file, two);
        ASSERT_EQ(a->c.msgs.size(), b->c.msgs.size()) << file;
        for (std::size_t i = 0; i < a->c.msgs.size(); ++i) {
          EXPECT_EQ(a->c.msgs[i].frame, b->c.msgs[i].frame);
          EXPECT_EQ(a->c.msgs[i].seq, b->c.msgs[i].seq);
        }
        EXPECT_EQ(a->c.dump(), b->c.dump()) << file;
        EXPECT_EQ(a->c.notices, b->c.notices) << file;
        EXPECT_EQ(a->stats.messages, b->stats.messages);
      }
    }
  }
  EXPECT_EQ(analyze(big)->c.errors(), 52u);  // 5000 / 97 + 1 Keep-Alives never ACKed
  fs::remove(big);
}

// ---------------------------------------------------------------------------
// Command line

TEST(Cli, ExitCodesJunitJsonAndStats) {
  std::ostringstream out, err;
  EXPECT_EQ(run({"check", traces_dir() + "/all-messages.pcapng"}, out, err), exit_code::kOk);
  const std::string junit = tmp_path("junit.xml");
  out.str("");
  EXPECT_EQ(run({"check", "--junit", junit, traces_dir() + "/malformed-tcp.pcapng"}, out, err), exit_code::kFindings);
  EXPECT_NE(out.str().find("frame 26  c1"), std::string::npos);
  EXPECT_NE(out.str().find("[VSM-6.3.5-MANDATORY]"), std::string::npos);
  std::ifstream j(junit);
  const std::string xml((std::istreambuf_iterator<char>(j)), std::istreambuf_iterator<char>());
  EXPECT_NE(xml.find("<testsuite"), std::string::npos);
  EXPECT_NE(xml.find("<failure"), std::string::npos);
  EXPECT_NE(xml.find("VSM-6.3.5-MANDATORY"), std::string::npos);
  fs::remove(junit);

  out.str("");
  EXPECT_EQ(run({"decode", "--json", traces_dir() + "/all-messages.pcapng"}, out, err), exit_code::kOk);
  std::istringstream lines(out.str());
  std::size_t n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    EXPECT_EQ(line.front(), '{');
    EXPECT_NE(line.find("\"seq\":"), std::string::npos);
  }
  EXPECT_EQ(n, 24u);

  out.str("");
  EXPECT_EQ(run({"stats", traces_dir() + "/session-mobility.pcapng"}, out, err), exit_code::kOk);
  EXPECT_NE(out.str().find("Operation MOVE"), std::string::npos);
  EXPECT_NE(out.str().find("unanswered requests: 0"), std::string::npos);
  out.str("");
  EXPECT_EQ(run({"stats", traces_dir() + "/malformed-tcp.pcapng"}, out, err), exit_code::kOk);
  EXPECT_NE(out.str().find("Keep-Alive: 2 (frames 18 36)"), std::string::npos) << out.str();

  EXPECT_EQ(run({"replay", "x.pcap"}, out, err), exit_code::kUsage);
  EXPECT_EQ(run({"bogus"}, out, err), exit_code::kUsage);
  EXPECT_EQ(run({"check"}, out, err), exit_code::kUsage);
  EXPECT_EQ(run({"check", "--port", "0", "x"}, out, err), exit_code::kUsage);
  EXPECT_EQ(run({"--help"}, out, err), exit_code::kOk);
}

// ---------------------------------------------------------------------------
// Fuzz: mutated captures never crash the reader and the reassembler.

class Null : public Sink {};

TEST(Fuzz, MutatedCapturesAreReadSafely) {
  std::vector<Buf> seeds;
  auto load = [&](const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    seeds.emplace_back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  for (const char* n : {"malformed-tcp", "split-coalesced", "sctp", "ipv6", "out-of-order"}) {
    load(traces_dir() + "/" + n + ".pcapng");
  }
  {
    Flow fl("fuzz-seed.pcap");
    Conversation c;
    fl.f->send(0, c.reg);
    fl.f->send(1, c.reg_ack);
    fl.f->send(0, c.su);
    fl.w->close();
    load(fl.path);
    fs::remove(fl.path);
  }
  // gzip inputs: compressed traces whose compressed bytes are mutated (the inflate side).
  const std::size_t plain_seeds = seeds.size();
  for (std::size_t k = 0; k < plain_seeds; k += 2) seeds.push_back(gzip_bytes(seeds[k]));
  std::mt19937 rng(12345);
  const std::string path = tmp_path("fuzz.pcap");
  const int rounds = 4000;
  for (int i = 0; i < rounds; ++i) {
    Buf b = seeds[static_cast<std::size_t>(i) % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits && !b.empty(); ++e) {
      const std::size_t at = rng() % b.size();
      switch (rng() % 5) {
        case 0: b[at] = static_cast<std::uint8_t>(rng()); break;
        case 1: b[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8)); break;
        case 2: b.resize(at + 1); break;
        case 3: b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), static_cast<std::uint8_t>(rng())); break;
        case 4: {  // splice a copy of another region
          const std::size_t from = rng() % b.size();
          const std::size_t len = std::min<std::size_t>(rng() % 64, b.size() - std::max(from, at));
          std::copy_n(b.begin() + static_cast<std::ptrdiff_t>(from), len, b.begin() + static_cast<std::ptrdiff_t>(at));
          break;
        }
      }
    }
    if (i % 7 == 3) b = gzip_bytes(b);  // a mutated capture, compressed whole (the pcap side, through inflate)
    write_file(path, b);
    Null sink;
    Options opt;
    opt.auto_detect = (i % 2) == 0;
    opt.max_pending_bytes = 4096;
    Engine e(opt, sink);
    const ReadResult rr = read_capture(path, e);
    e.finish();
    EXPECT_TRUE(rr.status == exit_code::kOk || !rr.error.empty());
  }
  fs::remove(path);
}

// The reassembler alone: a real byte stream cut into segments that are
// shuffled, repeated, overlapped, dropped and bit-flipped, on a few
// connections at once, with random flags.
TEST(Fuzz, ReassemblerSurvivesShuffledStreams) {
  std::mt19937 rng(777);
  Conversation c;
  Buf stream;
  for (int i = 0; i < 40; ++i) {
    const Buf& m = i % 3 == 0 ? c.reg : i % 3 == 1 ? c.su : c.ka_ack;
    stream.insert(stream.end(), m.begin(), m.end());
  }
  std::uint64_t messages = 0;
  for (int round = 0; round < 1000; ++round) {
    Collect sink;
    Options opt;
    opt.auto_detect = round % 3 == 0;
    opt.max_pending_bytes = 1 + rng() % 2048;
    Engine e(opt, sink);
    std::uint64_t frame = 0;
    for (int k = 0; k < 60; ++k) {
      Packet p;
      p.kind = Packet::Kind::Tcp;
      p.src.addr[3] = static_cast<std::uint8_t>(3 + rng() % 2);
      p.dst.addr[3] = 1;
      p.src.port = static_cast<std::uint16_t>(40000 + rng() % 2);
      p.dst.port = kDefaultPort;
      if (rng() % 4 == 0) std::swap(p.src, p.dst);
      const std::size_t at = rng() % stream.size();
      const std::size_t len = std::min<std::size_t>(rng() % 80, stream.size() - at);
      Buf payload(stream.begin() + static_cast<std::ptrdiff_t>(at),
                  stream.begin() + static_cast<std::ptrdiff_t>(at + len));
      if (!payload.empty() && rng() % 5 == 0) payload[rng() % payload.size()] ^= 0x5A;
      p.seq = static_cast<std::uint32_t>(0xFFFFFF00u + at);  // wraps within the stream
      p.ack = static_cast<std::uint32_t>(rng());
      p.flags =
          static_cast<std::uint8_t>(tcpflag::kAck | (rng() % 16 == 0 ? tcpflag::kSyn : 0) |
                                    (rng() % 40 == 0 ? tcpflag::kFin : 0) | (rng() % 80 == 0 ? tcpflag::kRst : 0));
      p.payload = payload;
      p.missing = rng() % 20 == 0 ? static_cast<std::uint32_t>(rng() % 100) : 0;
      ++frame;
      e.packet(frame, static_cast<double>(frame) * 0.01, p);
    }
    e.finish();
    EXPECT_EQ(e.open_connections(), 0u);
    messages += sink.msgs.size();
  }
  EXPECT_GT(messages, 0u);
}

}  // namespace
}  // namespace vsm::replay
