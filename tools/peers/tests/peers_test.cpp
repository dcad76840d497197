// SPDX-License-Identifier: GPL-2.0-or-later
// The reference peers end to end: the service-mobility story, admission,
// reconnection, dead nodes, bad input, spontaneous reports, SCTP.
#include <arpa/inet.h>
#include <linux/sctp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/faults.hpp"
#include "common/journal.hpp"
#include "harness.hpp"
#include "vsm/framing.hpp"
#include "vsm/message.hpp"
#include "vsm/text.hpp"

namespace vsm::peers::test {
namespace {

using nlohmann::json;

// The state a peer has written so far: its snapshot plus its journal (common/journal.hpp).
json load_json(const std::string& path) { return Journal::load(path); }

std::string logs_with_findings(const std::string& log) {
  std::string out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.find("-finding") != std::string::npos) out += line + "\n";
  }
  return out;
}

class StoryTest : public PeerTest {
 protected:
  // The story of examples/story.yaml; `common` goes to every peer.
  void run_story(const std::vector<std::string>& common);
};

TEST_F(StoryTest, ServiceMobilityStory) { run_story({}); }

// Both sides configured for the draft's literal Length reading interoperate just as well.
TEST_F(StoryTest, ServiceMobilityStoryWithLiteralLengths) { run_story({"--length-convention", "literal"}); }

void StoryTest::run_story(const std::vector<std::string>& common) {
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), common.begin(), common.end());
    return args;
  };
  Process& m = start_manager(with({"--plan", VSM_STORY_PLAN, "--keepalive-interval", "0.3"}));
  Process& a1 = start_agent("agent1", with({"--start-delay", "0.05", "--stop-delay", "0.05"}));
  ASSERT_TRUE(eventually([&] { return contains(m.err(), "node 1 registered"); }, 10));
  Process& a2 = start_agent("agent2", with({"--start-delay", "0.05", "--stop-delay", "0.05"}));
  // The last step waits for node 1 to de-register itself: stop agent 1 then.
  ASSERT_TRUE(eventually([&] { return contains(m.err(), "wait until node 1 has de-registered"); }, 20));
  a1.signal(SIGTERM);
  const auto status = m.wait(15);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0);
  EXPECT_TRUE(contains(m.out(), "plan succeeded: 19 step(s)")) << m.out();
  EXPECT_EQ(a1.wait(5), std::optional<int>(0));
  EXPECT_EQ(a2.wait(5), std::optional<int>(0));

  // Agent 1 ends with the P-CSCF, all three sessions and the state it was created with.
  const json s1 = load_json(path("agent1.json"));
  ASSERT_TRUE(s1.is_object());
  EXPECT_EQ(s1["node_id"], 1);
  ASSERT_EQ(s1["functions"].size(), 1u);
  const json& f = s1["functions"][0];
  EXPECT_EQ(f["id"], 7);
  EXPECT_EQ(f["name"], "P-CSCF");
  EXPECT_EQ(f["status"], "Running");
  EXPECT_EQ(f["sessions"].size(), 3u);
  EXPECT_TRUE(contains(f["state"].get<std::string>(), "P-CSCF #7 created"));
  std::set<std::string> uris;
  for (const auto& s : f["sessions"]) uris.insert(s["uri"].get<std::string>());
  EXPECT_EQ(uris, (std::set<std::string>{"sip:alice@example.com", "sip:bob@example.com", "sip:carol@example.com"}));
  // Agent 2 gave everything back and was de-registered by the manager.
  const json s2 = load_json(path("agent2.json"));
  EXPECT_EQ(s2["node_id"], 2);
  EXPECT_TRUE(s2["functions"].empty());
  EXPECT_TRUE(contains(a2.err(), "de-registered by the manager"));
  // The manager saw both nodes de-register and knows where Function 7 is.
  const json ms = load_json(path("manager.json"));
  ASSERT_EQ(ms["nodes"].size(), 2u);
  EXPECT_EQ(ms["nodes"][0]["id"], 1);
  EXPECT_EQ(ms["nodes"][0]["deregistered"], true);
  EXPECT_EQ(ms["nodes"][0]["functions"]["7"], "Running");
  EXPECT_EQ(ms["nodes"][1]["deregistered"], true);
  EXPECT_EQ(ms["nodes"][1]["functions"]["7"], "Unknown");
  EXPECT_FALSE(ms["nodes"][0]["info"]["mem_total"].get<std::string>().empty());
  // Clean traffic: neither side's rules flagged anything, in either direction.
  EXPECT_EQ(logs_with_findings(m.err()), "");
  EXPECT_EQ(logs_with_findings(a1.err()), "");
  EXPECT_EQ(logs_with_findings(a2.err()), "");
}

TEST_F(PeerTest, HelpAndFaultList) {
  for (const char* bin : {VSM_AGENT_BIN, VSM_MANAGER_BIN}) {
    Process& h = spawn(std::string("help") + (bin == std::string(VSM_AGENT_BIN) ? "a" : "m"), {bin, "--help"});
    EXPECT_EQ(h.wait(5), std::optional<int>(0));
    EXPECT_TRUE(contains(h.out(), "--fault"));
  }
  Process& la = spawn("list-agent", {VSM_AGENT_BIN, "--list-faults"});
  Process& lm = spawn("list-manager", {VSM_MANAGER_BIN, "--list-faults"});
  ASSERT_EQ(la.wait(5), std::optional<int>(0));
  ASSERT_EQ(lm.wait(5), std::optional<int>(0));
  for (const FaultSpec& f : fault_table()) {
    const std::string& list = (f.peers & kAgent) ? la.out() : lm.out();
    EXPECT_TRUE(contains(list, std::string(f.name))) << f.name;
    EXPECT_TRUE(contains(list, std::string(requirement(f.req).id))) << f.name;
  }
  Process& bad = spawn("bad-fault", {VSM_AGENT_BIN, "--fault", "swap-src-dst"});
  EXPECT_EQ(bad.wait(5), std::optional<int>(2));
}

TEST_F(PeerTest, AdmissionRefusedWithCode130) {
  Process& m = start_manager({"--allow", "10.0.0.0/8"});
  Process& a = start_agent("agent", {});
  EXPECT_EQ(a.wait(10), std::optional<int>(4));
  EXPECT_TRUE(contains(a.err(), "registration refused: Administratively prohibited"));
  EXPECT_TRUE(contains(m.err(), "not in the manager's allowlist"));
}

TEST_F(PeerTest, ReRegistersWithTheSameNodeIdAfterADrop) {
  Process& m1 = start_manager({}, "manager1");
  const int port = port_;
  Process& a = start_agent("agent", {"--reconnect-delay", "0.1"});
  Process& p = start_agent("provisioned", {"--node-id", "42", "--reconnect-delay", "0.1"});
  ASSERT_TRUE(eventually(
      [&] { return contains(m1.err(), "node 1 registered") && contains(m1.err(), "node 42 registered from"); }, 10));
  EXPECT_TRUE(contains(m1.err(), "node 42 registered from 127.0.0.1"));
  m1.signal(SIGTERM);
  ASSERT_EQ(m1.wait(5), std::optional<int>(0));
  ASSERT_TRUE(eventually([&] { return contains(a.err(), "connection to manager lost"); }, 5));
  Process& m2 = start_manager({}, "manager2", "127.0.0.1:" + std::to_string(port));
  ASSERT_TRUE(eventually(
      [&] { return contains(m2.err(), "node 1 registered") && contains(m2.err(), "node 42 registered"); }, 10));
  EXPECT_TRUE(contains(m2.err(), "node 1 registered from 127.0.0.1"));
  EXPECT_TRUE(contains(m2.err(), "(provisioned"));
  EXPECT_EQ(load_json(path("agent.json"))["node_id"], 1);
  EXPECT_EQ(load_json(path("provisioned.json"))["node_id"], 42);
  a.signal(SIGTERM);
  p.signal(SIGTERM);
  EXPECT_EQ(a.wait(5), std::optional<int>(0));
  EXPECT_EQ(p.wait(5), std::optional<int>(0));
  EXPECT_TRUE(eventually([&] { return contains(m2.err(), "node 1 de-registered"); }, 5));
}

TEST_F(PeerTest, NodeDeclaredDeadAfterMissedKeepAlives) {
  const std::string plan = path("dead.yaml");
  std::ofstream(plan) << "steps:\n  - wait: {registered: 1}\n  - wait: {dead: 1, timeout: 10}\n";
  Process& m =
      start_manager({"--plan", plan, "--keepalive-interval", "0.1", "--max-missed", "2", "--ack-timeout", "0.3"});
  start_agent("agent", {"--fault", "no-ack-keepalive", "--ack-timeout", "0.3"});
  EXPECT_EQ(m.wait(15), std::optional<int>(0));
  EXPECT_TRUE(contains(m.err(), "node 1 declared dead after 2 missed Keep-Alive ACKs"));
  EXPECT_TRUE(contains(load_json(path("manager.json")).dump(), "\"dead\":true"));
}

TEST_F(PeerTest, SpontaneousStatusUpdateWhenLoadCrossesThreshold) {
  Process& m = start_manager({});
  start_agent("agent", {"--load-threshold", "0", "--sample-interval", "0.1"});
  EXPECT_TRUE(eventually([&] { return contains(m.err(), "status-update from node 1 (load above threshold"); }, 10));
}

// --transport sctp on this kernel: with SCTP both peers start and speak it;
// without, both refuse with exit status 2 (a usage error on this machine,
// README "Exit status") and say why. (Before the option check was fixed,
// both exited 2 "--transport is tcp or sctp" everywhere.)
TEST_F(PeerTest, SctpTransportOption) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
  if (fd < 0) {
    ASSERT_EQ(std::getenv("VSM_UML"), nullptr) << "no SCTP inside User-Mode Linux: " << std::strerror(errno);
    for (const char* bin : {VSM_AGENT_BIN, VSM_MANAGER_BIN}) {
      Process& p =
          spawn(bin == std::string(VSM_AGENT_BIN) ? "sctp-agent" : "sctp-manager", {bin, "--transport", "sctp"});
      const auto st = p.wait(5);
      ASSERT_TRUE(st.has_value());
      EXPECT_EQ(*st, 2);
      EXPECT_TRUE(contains(p.err(), "SCTP transport unavailable")) << p.err();
    }
    std::cout << "this kernel has no SCTP: refusal checked; the SCTP tests (SctpLive.*) run in User-Mode Linux\n";
    return;
  }
  ::close(fd);
  Process& m = start_manager({"--transport", "sctp"});
  start_agent("agent", {"--transport", "sctp"});
  EXPECT_TRUE(eventually([&] { return contains(m.err(), "node 1 registered"); }, 10)) << m.err();
}

}  // namespace
}  // namespace vsm::peers::test

// ---- SCTP, live (run inside User-Mode Linux by tools/uml/vsm-uml; ctest uml.peers.sctp)

namespace vsm::peers::test {
namespace {

class SctpLive : public StoryTest {};

// The whole story over SCTP: two agents, ADD, MOVE with sessions, COPY,
// MOVE_SESSION, DELETE, de-registration both ways.
TEST_F(SctpLive, ServiceMobilityStory) { run_story({"--transport", "sctp"}); }

int sctp_socket() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
  if (fd >= 0) {
    // One read per DATA chunk is asked for below: learn the PPID and the end of each message.
    const int on = 1;
    ::setsockopt(fd, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on);
    ::setsockopt(fd, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof on);
  }
  return fd;
}

int sctp_connect(int port) {
  const int fd = sctp_socket();
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

// Ends the association with an ABORT chunk instead of SHUTDOWN.
void sctp_abort(int fd) {
  const linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

// One SCTP user message as received: its bytes, its PPID, and whether it ended there (MSG_EOR).
struct Chunk {
  std::vector<std::uint8_t> data;
  std::uint32_t ppid = 0;
  bool whole = false;
};

std::optional<Chunk> recv_chunk(int fd, double timeout = 5) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout * 1000)) != 1) return std::nullopt;
  Chunk c;
  c.data.resize(kMaxPdu * 2);
  iovec iov{c.data.data(), c.data.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(sctp_rcvinfo))];
  msghdr h{};
  h.msg_iov = &iov;
  h.msg_iovlen = 1;
  h.msg_control = control;
  h.msg_controllen = sizeof control;
  const ssize_t n = ::recvmsg(fd, &h, 0);
  if (n <= 0) return std::nullopt;
  c.data.resize(static_cast<std::size_t>(n));
  c.whole = (h.msg_flags & MSG_EOR) != 0;
  for (cmsghdr* m = CMSG_FIRSTHDR(&h); m != nullptr; m = CMSG_NXTHDR(&h, m)) {
    if (m->cmsg_level == IPPROTO_SCTP && m->cmsg_type == SCTP_RCVINFO) {
      sctp_rcvinfo info{};
      std::memcpy(&info, CMSG_DATA(m), sizeof info);
      c.ppid = ntohl(info.rcv_ppid);
    }
  }
  return c;
}

void send_all(int fd, const std::vector<std::uint8_t>& b) {
  ASSERT_EQ(::send(fd, b.data(), b.size(), MSG_NOSIGNAL), static_cast<ssize_t>(b.size()));
}

// A listening SCTP socket on a free loopback port (the test plays the manager).
int sctp_listener(int& port) {
  const int lfd = sctp_socket();
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (lfd < 0 || ::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(lfd, 4) != 0) return -1;
  socklen_t len = sizeof a;
  getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return lfd;
}

int accept_within(int lfd, double timeout) {
  pollfd p{lfd, POLLIN, 0};
  const int fd = ::poll(&p, 1, static_cast<int>(timeout * 1000)) == 1 ? ::accept(lfd, nullptr, nullptr) : -1;
  if (fd >= 0) {
    const int on = 1;
    ::setsockopt(fd, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on);
  }
  return fd;
}

// The agent's side of the association: every VSM message it sends is one
// whole DATA chunk with the configured PPID; it handles a message split over
// two chunks and three messages in one chunk; after an ABORT, and after a
// SHUTDOWN, it associates again and registers with its Node ID.
TEST_F(SctpLive, AgentChunksPpidAndReassociation) {
  const int lfd = sctp_listener(port_);
  ASSERT_GE(lfd, 0) << std::strerror(errno);
  Process& agent = start_agent("agent", {"--transport", "sctp", "--sctp-ppid", "4242", "--reconnect-delay", "0.1"});
  // The next DATA chunk from the agent: one whole message with PPID 4242 (its bytes are kept in `keep`).
  std::deque<std::vector<std::uint8_t>> keep;
  auto expect_one_message = [&](int fd) {
    const auto c = recv_chunk(fd);
    EXPECT_TRUE(c.has_value()) << "no DATA chunk from the agent";
    if (!c) return MessageView{};
    EXPECT_TRUE(c->whole) << "a message did not end its DATA chunk";
    EXPECT_EQ(c->ppid, 4242u);
    keep.push_back(c->data);
    const MessageView v = decode(keep.back());
    EXPECT_TRUE(v.ok()) << summarize(v);
    EXPECT_EQ(declared_size(v.header.length, LengthConvention::Total4), c->data.size())
        << "the chunk holds more or less than one message: " << summarize(v);
    return v;
  };
  int fd = accept_within(lfd, 5);
  ASSERT_GE(fd, 0);
  {
    const MessageView reg = expect_one_message(fd);
    ASSERT_TRUE(reg.is(MsgType::Registration)) << summarize(reg);
    EXPECT_EQ(reg.node_id(), std::optional<std::uint32_t>(0));
    send_all(fd, ack_for(reg.header, ResultCode::Successful, 5).encode().value());
  }
  // One Keep-Alive split over two DATA chunks (two sends), then three in one chunk.
  const std::vector<std::uint8_t> ka = keep_alive(10, 5).encode().value();
  send_all(fd, std::vector<std::uint8_t>(ka.begin(), ka.begin() + 6));
  send_all(fd, std::vector<std::uint8_t>(ka.begin() + 6, ka.end()));
  EXPECT_EQ(expect_one_message(fd).header.seq, 10u);
  std::vector<std::uint8_t> three;
  for (std::uint32_t seq : {11u, 12u, 13u}) {
    const auto b = keep_alive(seq, 5).encode().value();
    three.insert(three.end(), b.begin(), b.end());
  }
  send_all(fd, three);
  for (std::uint32_t seq : {11u, 12u, 13u}) {
    const MessageView v = expect_one_message(fd);
    EXPECT_TRUE(v.is_ack());
    EXPECT_EQ(v.header.seq, seq);
  }
  // ABORT: the agent reports the loss like a TCP reset, associates again and keeps its Node ID.
  sctp_abort(fd);
  ASSERT_TRUE(eventually([&] { return contains(agent.err(), "connection to manager lost"); }, 5)) << agent.err();
  fd = accept_within(lfd, 5);
  ASSERT_GE(fd, 0) << "no new association after the ABORT";
  {
    const MessageView reg = expect_one_message(fd);
    ASSERT_TRUE(reg.is(MsgType::Registration)) << summarize(reg);
    EXPECT_EQ(reg.node_id(), std::optional<std::uint32_t>(5));
    send_all(fd, ack_for(reg.header, ResultCode::Successful, 5).encode().value());
  }
  // SHUTDOWN (a plain close): the same.
  ::close(fd);
  fd = accept_within(lfd, 5);
  ASSERT_GE(fd, 0) << "no new association after the SHUTDOWN";
  const MessageView reg = expect_one_message(fd);
  ASSERT_TRUE(reg.is(MsgType::Registration)) << summarize(reg);
  EXPECT_EQ(reg.node_id(), std::optional<std::uint32_t>(5));
  EXPECT_FALSE(agent.poll().has_value()) << "the agent exited";
  ::close(fd);
  ::close(lfd);
}

// The manager's side: one message per DATA chunk with PPID 0 by default; an
// ABORT from a registered node is reported like a TCP close, the manager keeps
// serving, and the node registers again with its Node ID.
TEST_F(SctpLive, ManagerSurvivesAbort) {
  Process& m = start_manager({"--transport", "sctp", "--keepalive-interval", "0.2"});
  int fd = sctp_connect(port_);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  send_all(fd, registration(1, 0).encode().value());
  auto c = recv_chunk(fd);
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->whole);
  EXPECT_EQ(c->ppid, 0u);
  const std::vector<std::uint8_t> ack_bytes = c->data;
  const MessageView ack = decode(ack_bytes);
  ASSERT_TRUE(ack.is_ack()) << summarize(ack);
  const std::uint32_t id = ack.node_id().value_or(0);
  ASSERT_NE(id, 0u);
  EXPECT_EQ(declared_size(ack.header.length, LengthConvention::Total4), c->data.size());
  // The Keep-Alive that follows is a chunk of its own too.
  c = recv_chunk(fd);
  ASSERT_TRUE(c.has_value());
  const MessageView ka = decode(c->data);
  EXPECT_TRUE(ka.is(MsgType::KeepAlive)) << summarize(ka);
  EXPECT_EQ(declared_size(ka.header.length, LengthConvention::Total4), c->data.size());
  sctp_abort(fd);
  EXPECT_TRUE(eventually([&] { return contains(m.err(), "node " + std::to_string(id) + " lost"); }, 5)) << m.err();
  EXPECT_FALSE(m.poll().has_value()) << "the manager exited after an ABORT";
  fd = sctp_connect(port_);
  ASSERT_GE(fd, 0);
  send_all(fd, registration(1, id).encode().value());
  c = recv_chunk(fd);
  ASSERT_TRUE(c.has_value());
  const MessageView again = decode(c->data);
  EXPECT_TRUE(again.is_ack());
  EXPECT_EQ(again.header.code, 0);
  EXPECT_EQ(again.node_id(), std::optional<std::uint32_t>(id));
  ::close(fd);
}

// ---- Bad input, from a hand-driven socket --------------------------------

class RawPeer {
 public:
  explicit RawPeer(int fd) : fd_(fd) {
    timeval tv{0, 100000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawPeer() { ::close(fd_); }
  void send(const std::vector<std::uint8_t>& b) {
    ASSERT_EQ(::send(fd_, b.data(), b.size(), MSG_NOSIGNAL), static_cast<ssize_t>(b.size()));
  }
  void send(const Message& m) { send(m.encode().value()); }
  // The next PDU, or an empty vector on timeout or EOF (eof_ tells which).
  std::vector<std::uint8_t> next(double timeout = 5) {
    std::vector<std::uint8_t> out;
    eventually(
        [&] {
          const FrameResult r = framer_.next();
          if (r.status == FrameStatus::Pdu) {
            out.assign(r.pdu.begin(), r.pdu.end());
            return true;
          }
          std::uint8_t buf[4096];
          const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
          if (n == 0) {
            eof_ = true;
            return true;
          }
          if (n > 0) framer_.feed(Bytes(buf, static_cast<std::size_t>(n)));
          return false;
        },
        timeout);
    return out;
  }
  bool eof() {
    if (!eof_) next(2);
    return eof_;
  }

 private:
  int fd_;
  Framer framer_;
  bool eof_ = false;
};

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// clean: the ACK itself breaks no rule (not so when the request lacked what the ACK must copy).
void expect_protocol_error_ack(const std::vector<std::uint8_t>& pdu, std::uint32_t seq, bool clean = true) {
  const MessageView v = decode(pdu);
  ASSERT_TRUE(v.ok()) << summarize(v);
  EXPECT_TRUE(v.is_ack()) << summarize(v);
  EXPECT_EQ(v.header.seq, seq);
  EXPECT_EQ(v.header.code, u8(ResultCode::Failed));
  const auto text = v.find(OptType::VendorInfo, vendor_info::Message);
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(text->text().substr(0, 14), "Protocol error");
  if (!clean) return;
  FindingList fl;
  check_message(v, fl);
  EXPECT_TRUE(fl.empty()) << describe(fl[0]);
}

Message unknown_type(std::uint32_t seq, std::uint32_t node) {
  Message m;
  m.type = 99;
  m.seq = seq;
  m.add(Option::node_id(node));
  return m;
}

Message impossible_length() {
  Message m = keep_alive(9, 1);
  m.length_override = 1;
  return m;
}

void expect_error_then_close(RawPeer& raw) {
  const auto e = raw.next();
  ASSERT_FALSE(e.empty()) << "no Error message before the close";
  const MessageView v = decode(e);
  EXPECT_TRUE(v.is(MsgType::Error)) << summarize(v);
  FindingList fl;
  check_message(v, fl);
  EXPECT_TRUE(fl.empty()) << describe(fl[0]);
  EXPECT_TRUE(raw.eof());
}

TEST_F(PeerTest, ManagerSurvivesBadInput) {
  Process& m = start_manager({});
  const int fd = connect_to(port_);
  ASSERT_GE(fd, 0);
  RawPeer raw(fd);
  raw.send(registration(1, 0));
  const auto ack = raw.next();
  ASSERT_FALSE(ack.empty());
  const std::uint32_t id = decode(ack).node_id().value_or(0);
  EXPECT_NE(id, 0u);
  raw.send(unknown_type(2, id));
  expect_protocol_error_ack(raw.next(), 2);
  Message overrun = status_update(3, id);
  overrun.options.back().length_override = 40;
  raw.send(overrun);
  expect_protocol_error_ack(raw.next(), 3);
  raw.send(status_update(4, id));  // the connection survived
  const auto ok_pdu = raw.next();
  const MessageView ok = decode(ok_pdu);
  EXPECT_EQ(ok.header.seq, 4u);
  EXPECT_EQ(ok.header.code, 0);
  raw.send(impossible_length());
  expect_error_then_close(raw);
  EXPECT_TRUE(contains(m.err(), "impossible length"));
  EXPECT_FALSE(m.poll().has_value()) << "manager exited";
  // Still serving.
  const int fd2 = connect_to(port_);
  ASSERT_GE(fd2, 0);
  RawPeer raw2(fd2);
  raw2.send(registration(1, 0));
  EXPECT_FALSE(raw2.next().empty());
}

// Over SCTP the chunk ends a message whose Length is impossible, but no
// sequence number of the peer can be trusted either: the same Error, then the close.
TEST_F(SctpLive, ManagerAnswersAnImpossibleLengthWithAnErrorAndCloses) {
  Process& m = start_manager({"--transport", "sctp"});
  const int fd = sctp_connect(port_);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  send_all(fd, registration(1, 0).encode().value());
  const auto ack = recv_chunk(fd);
  ASSERT_TRUE(ack.has_value());
  ASSERT_TRUE(decode(ack->data).is_ack());
  send_all(fd, impossible_length().encode().value());
  auto c = recv_chunk(fd);
  // A Keep-Alive may come first.
  while (c && decode(c->data).is(MsgType::KeepAlive)) c = recv_chunk(fd);
  ASSERT_TRUE(c.has_value()) << "no Error message before the close";
  const MessageView e = decode(c->data);
  EXPECT_TRUE(e.is(MsgType::Error)) << summarize(e);
  EXPECT_FALSE(recv_chunk(fd).has_value()) << "the association stayed up";
  EXPECT_TRUE(eventually([&] { return contains(m.err(), "impossible length"); }, 5)) << m.err();
  EXPECT_FALSE(m.poll().has_value()) << "manager exited";
  ::close(fd);
}

TEST_F(PeerTest, AgentSurvivesBadInput) {
  const int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(lfd, 4), 0);
  socklen_t len = sizeof a;
  getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  Process& agent = start_agent("agent", {"--reconnect-delay", "0.1"});
  auto accept_one = [&] {
    pollfd p{lfd, POLLIN, 0};
    return ::poll(&p, 1, 5000) == 1 ? ::accept(lfd, nullptr, nullptr) : -1;
  };
  {
    const int fd = accept_one();
    ASSERT_GE(fd, 0);
    RawPeer raw(fd);
    const auto reg_pdu = raw.next();
    const MessageView reg = decode(reg_pdu);
    ASSERT_TRUE(reg.is(MsgType::Registration));
    raw.send(ack_for(reg.header, ResultCode::Successful, 5));
    raw.send(unknown_type(1, 5));
    expect_protocol_error_ack(raw.next(), 1);
    Message add = operation(Operation::Add, 2, 5);  // no Function ID
    raw.send(add);
    const auto r = raw.next();
    expect_protocol_error_ack(r, 2, false);  // no Function ID to copy into the ACK
    EXPECT_TRUE(decode(r).find(OptType::FunctionInfo, function_info::RunningStatus).has_value());
    raw.send(keep_alive(3, 5));  // the connection survived
    const auto ka_pdu = raw.next();
    const MessageView ka = decode(ka_pdu);
    EXPECT_EQ(ka.header.seq, 3u);
    EXPECT_EQ(ka.header.code, 0);
    raw.send(impossible_length());
    expect_error_then_close(raw);
  }
  // The agent comes back and registers again with the Node ID it was given.
  const int fd = accept_one();
  ASSERT_GE(fd, 0);
  RawPeer raw(fd);
  const auto reg_pdu = raw.next();
  const MessageView reg = decode(reg_pdu);
  ASSERT_TRUE(reg.is(MsgType::Registration));
  EXPECT_EQ(reg.node_id(), std::optional<std::uint32_t>(5));
  EXPECT_FALSE(agent.poll().has_value());
  ::close(lfd);
}

}  // namespace
}  // namespace vsm::peers::test

// ---- Behaviour faults: not visible to the codec's rules, but to what the other side can do

namespace vsm::peers::test {
namespace {

std::string write_plan(const std::string& file, const std::string& text) {
  std::ofstream(file) << text;
  return file;
}

TEST_F(PeerTest, BehaviourFaultNoStatusUpdateAfterAdd) {
  const auto plan = write_plan(path("p.yaml"),
                               "steps:\n  - wait: {registered: 1}\n  - add: {node: 1, function: 7}\n"
                               "  - wait: {node: 1, function: 7, status: Running, timeout: 1}\n");
  Process& m = start_manager({"--plan", plan});
  start_agent("agent", {"--fault", "no-status-update-after-add", "--start-delay", "0.05"});
  EXPECT_EQ(m.wait(10), std::optional<int>(1));
  EXPECT_TRUE(contains(m.out(), "plan FAILED at step 3 of 3")) << m.out();
}

TEST_F(PeerTest, BehaviourFaultNoStatusUpdateAfterDelete) {
  const auto plan = write_plan(path("p.yaml"),
                               "steps:\n  - wait: {registered: 1}\n  - add: {node: 1, function: 7}\n"
                               "  - wait: {node: 1, function: 7, status: Running}\n  - delete: {node: 1, function: 7}\n"
                               "  - wait: {node: 1, function: 7, status: Unknown, timeout: 1}\n");
  Process& m = start_manager({"--plan", plan});
  start_agent("agent", {"--fault", "no-status-update-after-delete", "--start-delay", "0.05", "--stop-delay", "0.05"});
  EXPECT_EQ(m.wait(10), std::optional<int>(1));
  EXPECT_TRUE(contains(m.out(), "plan FAILED at step 5 of 5")) << m.out();
}

TEST_F(PeerTest, BehaviourFaultNoKeepalive) {
  // The plan's pause is the observation window: Keep-Alives would be due every 50 ms.
  const auto plan = write_plan(path("p.yaml"), "steps:\n  - wait: {registered: 1}\n  - sleep: 0.5\n");
  Process& m = start_manager({"--plan", plan, "--keepalive-interval", "0.05", "--fault", "no-keepalive"});
  Process& a = start_agent("agent", {"--log-level", "debug"});
  EXPECT_EQ(m.wait(10), std::optional<int>(0));
  EXPECT_TRUE(contains(a.err(), "<- Ack seq=1"));
  EXPECT_FALSE(contains(a.err(), "<- Keep-Alive"));
}

TEST_F(PeerTest, BehaviourFaultAdmitEveryone) {
  Process& m = start_manager({"--allow", "10.0.0.0/8", "--fault", "admit-everyone"});
  Process& a = start_agent("agent", {});
  EXPECT_TRUE(eventually([&] { return contains(a.err(), "registered as node 1"); }, 10)) << m.err();
}

TEST_F(PeerTest, BehaviourFaultReassignNodeId) {
  start_manager({"--fault", "reassign-node-id"});
  Process& a = start_agent("agent", {"--node-id", "42"});
  EXPECT_TRUE(eventually([&] { return contains(a.err(), "manager changed our Node ID from 42 to 1"); }, 10));
}

}  // namespace
}  // namespace vsm::peers::test

namespace vsm::peers::test {
namespace {

TEST_F(PeerTest, BehaviourFaultNoResourceReport) {
  const auto plan = path("p.yaml");
  std::ofstream(plan) << "steps:\n  - wait: {registered: 1}\n";
  Process& m = start_manager({"--plan", plan});
  start_agent("agent", {"--fault", "no-resource-report"});
  EXPECT_EQ(m.wait(10), std::optional<int>(0));
  const json s = load_json(path("manager.json"));
  EXPECT_TRUE(s["nodes"][0]["info"].empty()) << s.dump();
}

TEST_F(PeerTest, BehaviourFaultNoSpontaneousReport) {
  // Same threshold as SpontaneousStatusUpdateWhenLoadCrossesThreshold; the plan's pause is the window.
  const auto plan = path("p.yaml");
  std::ofstream(plan) << "steps:\n  - wait: {registered: 1}\n  - sleep: 0.5\n";
  Process& m = start_manager({"--plan", plan});
  start_agent("agent", {"--fault", "no-spontaneous-report", "--load-threshold", "0", "--sample-interval", "0.05"});
  EXPECT_EQ(m.wait(10), std::optional<int>(0));
  EXPECT_FALSE(contains(m.err(), "status-update from node 1"));
}

}  // namespace
}  // namespace vsm::peers::test

namespace vsm::peers::test {
namespace {

TEST_F(PeerTest, StepsFromTheCommandLine) {
  Process& m =
      start_manager({"--step", "wait: {registered: 1}", "--step", "get: {node: 1, items: [node_info.mem_total]}",
                     "--step", "delete: {node: 1, function: 5, expect: status_unknown}"});
  start_agent("agent", {});
  EXPECT_EQ(m.wait(10), std::optional<int>(0));
  EXPECT_TRUE(contains(m.out(), "step 2/3 get node 1 function 0: ok -> Successful [Running] node_info.mem_total="))
      << m.out();
  EXPECT_TRUE(contains(m.out(), "plan succeeded: 3 step(s)"));
  Process& bad = spawn("bad-plan", {VSM_MANAGER_BIN, "--step", "teleport: {node: 1}"});
  EXPECT_EQ(bad.wait(5), std::optional<int>(2));
  EXPECT_TRUE(contains(bad.err(), "plan step 1: unknown step kind 'teleport'")) << bad.err();
}

}  // namespace
}  // namespace vsm::peers::test
