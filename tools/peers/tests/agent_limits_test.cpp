// SPDX-License-Identifier: GPL-2.0-or-later
// vsm-agent under heavy requests: the real agent against a scripted manager
// over loopback sockets. A reply that a VSM message cannot carry is refused
// with Code 129 (never sent with a wrapped Length), every resource figure is
// checked arithmetic, and the Functions and sessions a node holds are bounded.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "../common/asio.hpp"
#include "harness.hpp"
#include "vsm/framing.hpp"
#include "vsm/message.hpp"
#include "vsm/text.hpp"

namespace vsm::peers::test {
namespace {

// One end of a TCP connection, read through the codec's framer.
class Wire {
 public:
  explicit Wire(int fd) : fd_(fd) {}
  ~Wire() {
    if (fd_ >= 0) ::close(fd_);
  }
  Wire(const Wire&) = delete;
  Wire& operator=(const Wire&) = delete;
  bool send(const Message& m) {
    const auto b = m.encode().value();
    std::size_t done = 0;
    while (done < b.size()) {
      const ssize_t n = ::send(fd_, b.data() + done, b.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }
  // The next whole message, or nothing by the timeout or at EOF.
  std::optional<std::vector<std::uint8_t>> next(double timeout = 10) {
    std::optional<std::vector<std::uint8_t>> out;
    eventually(
        [&] {
          const FrameResult r = framer_.next();
          if (r.status == FrameStatus::Pdu) {
            out.emplace(r.pdu.begin(), r.pdu.end());
            return true;
          }
          if (r.status == FrameStatus::Error) return true;
          pollfd p{fd_, POLLIN, 0};
          if (::poll(&p, 1, 50) != 1) return false;
          std::uint8_t buf[65536];
          const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
          if (n <= 0) return true;
          framer_.feed(Bytes(buf, static_cast<std::size_t>(n)));
          return false;
        },
        timeout);
    return out;
  }

 private:
  int fd_;
  Framer framer_;
};

int listen_loopback(int& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 8) != 0) return -1;
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

int accept_within(int lfd, int ms) {
  pollfd p{lfd, POLLIN, 0};
  return ::poll(&p, 1, ms) == 1 ? ::accept(lfd, nullptr, nullptr) : -1;
}

// A scripted manager: accepts agents, registers them and sends requests,
// ACKing whatever the agent sends of its own (Status-Updates).
class AgentLimitsTest : public PeerTest {
 protected:
  struct Node {
    std::unique_ptr<Wire> wire;
    std::uint32_t id = 0;
    std::array<std::uint8_t, 4> transfer_ip{};
    std::uint16_t transfer_port = 0;
    std::uint32_t seq = 1;  // of the manager's requests on this connection
  };

  void SetUp() override {
    PeerTest::SetUp();
    lfd_ = listen_loopback(port_);
    ASSERT_GE(lfd_, 0);
  }
  void TearDown() override {
    nodes_.clear();
    if (lfd_ >= 0) ::close(lfd_);
    PeerTest::TearDown();
  }

  // Starts an agent and registers it as node `id`.
  Node& agent(const std::string& name, std::uint32_t id, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--reconnect-delay", "0.1", "--start-delay", "0.05"};
    args.insert(args.end(), extra.begin(), extra.end());
    start_agent(name, args);
    auto n = std::make_unique<Node>();
    const int fd = accept_within(lfd_, 10000);
    EXPECT_GE(fd, 0) << "the agent did not connect";
    n->wire = std::make_unique<Wire>(fd);
    n->id = id;
    const auto reg = n->wire->next();
    EXPECT_TRUE(reg.has_value());
    if (reg) {
      const MessageView v = decode(*reg);
      EXPECT_TRUE(v.is(MsgType::Registration)) << summarize(v);
      if (auto ip = v.find(OptType::IPv4); ip && ip->ipv4()) n->transfer_ip = *ip->ipv4();
      if (auto p = v.find(OptType::Port); p && p->u16()) n->transfer_port = *p->u16();
      n->wire->send(ack_for(v.header, ResultCode::Successful, id));
    }
    nodes_.push_back(std::move(n));
    return *nodes_.back();
  }

  // Sends a request and returns its ACK (the agent's own requests meanwhile are ACKed).
  std::vector<std::uint8_t> request(Node& n, Message m) {
    m.seq = n.seq++;
    EXPECT_TRUE(n.wire->send(m));
    while (true) {
      auto pdu = n.wire->next();
      if (!pdu) {
        ADD_FAILURE() << "no ACK to seq " << m.seq;
        return {};
      }
      const MessageView v = decode(*pdu);
      if (v.is_ack() && v.header.seq == m.seq) return *pdu;
      if (!v.is_ack()) n.wire->send(ack_for(v.header, ResultCode::Successful, n.id));
    }
  }

  static Message add(std::uint32_t node, std::uint32_t fid, std::optional<std::string> memory = {},
                     std::size_t sessions = 0, std::size_t first_session = 0) {
    Message m = add_function(0, node, fid);
    m.add(Option::function_info(function_info::Name, "P-CSCF"));
    if (memory) m.add(Option::function_info(function_info::RequiredMemory, *memory));
    for (std::size_t i = 0; i < sessions; ++i) {
      m.add(Option::session_info(session_info::SipUri,
                                 "sip:user-" + std::to_string(first_session + i) + "@ims.example.com"));
    }
    return m;
  }

  static std::string vendor(const MessageView& v) {
    const auto t = v.find(OptType::VendorInfo, vendor_info::Message);
    return t ? std::string(t->text()) : std::string();
  }

  // The ACK is one whole, valid message whose Length says its size; Code as expected.
  static void expect_ack(const std::vector<std::uint8_t>& pdu, ResultCode code, const std::string& text_like = {}) {
    ASSERT_FALSE(pdu.empty());
    const MessageView v = decode(pdu);
    EXPECT_TRUE(v.ok()) << summarize(v);
    EXPECT_EQ(declared_size(v.header.length, LengthConvention::Total4), pdu.size());
    EXPECT_EQ(v.header.code, u8(code)) << summarize(v) << " " << vendor(v);
    if (!text_like.empty()) {
      EXPECT_TRUE(std::regex_search(vendor(v), std::regex(text_like))) << vendor(v);
    }
  }

  void expect_no_self_finding(const std::string& name) {
    for (auto& p : procs_) {
      if (p->name() == name) {
        EXPECT_FALSE(contains(p->err(), "self-finding")) << p->err();
      }
    }
  }

  int lfd_ = -1;
  std::vector<std::unique_ptr<Node>> nodes_;
};

const std::string kTooLong = "^reply of [0-9]+ octets exceeds the 65539 a VSM message can carry$";

TEST_F(AgentLimitsTest, GetForTenThousandItemsIsRefusedWithCode129) {
  Node& n = agent("agent", 5);
  Message get = vsm::get(0, n.id, 0);
  for (int i = 0; i < 10000; ++i) get.add(Option::empty(OptType::NodeInfo, node_info::TotalMemory));
  ASSERT_TRUE(get.fits());
  expect_ack(request(n, get), ResultCode::InsufficientResources, kTooLong);
  // The connection is still in step: a small GET is answered.
  Message small = vsm::get(0, n.id, 0);
  small.add(Option::empty(OptType::NodeInfo, node_info::TotalMemory));
  expect_ack(request(n, small), ResultCode::Successful);
  expect_no_self_finding("agent");
}

TEST_F(AgentLimitsTest, GetOnAFunctionWith3001SessionsIsRefusedWithCode129) {
  // 3,001 sessions do not fit in one ADD: 1,500 on node 5 and 1,501 on node 6, then MOVE_SESSION 5 -> 6.
  Node& a = agent("agent-a", 5);
  Node& b = agent("agent-b", 6);
  expect_ack(request(a, add(a.id, 7, {}, 1500, 0)), ResultCode::Successful);
  expect_ack(request(b, add(b.id, 7, {}, 1501, 1500)), ResultCode::Successful);
  Message ms = move_session(0, a.id, b.id);
  ms.add(Option::function_id(7));
  ms.add(Option::session_info(session_info::Ratio, "1"));
  ms.add(Option::ipv4(b.transfer_ip));
  // The destination is told first (destination-first transfers), then the source.
  Message announce = ms;
  expect_ack(request(b, announce), ResultCode::Successful);
  ms.add(Option::port(b.transfer_port));
  expect_ack(request(a, ms), ResultCode::Successful);
  Message count = vsm::get(0, b.id, 7);
  count.add(Option::empty(OptType::SessionInfo, session_info::Count));
  const auto c = request(b, count);
  expect_ack(c, ResultCode::Successful);
  ASSERT_TRUE(decode(c).find(OptType::SessionInfo, session_info::Count).has_value());
  EXPECT_EQ(decode(c).find(OptType::SessionInfo, session_info::Count)->text(), "3001");
  Message get = vsm::get(0, b.id, 7);
  get.add(Option::empty(OptType::SessionInfo, session_info::SipUri));
  expect_ack(request(b, get), ResultCode::InsufficientResources, kTooLong);
  expect_no_self_finding("agent-b");
}

TEST_F(AgentLimitsTest, RequiredMemoryThatWouldOverflowTheBudgetIsRefused) {
  Node& n = agent("agent", 5, {"--memory-budget", "1073741824"});
  expect_ack(request(n, add(n.id, 1, "1048576")), ResultCode::Successful);
  expect_ack(request(n, add(n.id, 2, "18446744073709551615")), ResultCode::InsufficientResources,
             "insufficient memory");
  Message get = vsm::get(0, n.id, 1);
  get.add(Option::empty(OptType::FunctionInfo, function_info::AvailableMemory));
  const auto g = request(n, get);
  expect_ack(g, ResultCode::Successful);
  const auto free = decode(g).find(OptType::FunctionInfo, function_info::AvailableMemory);
  ASSERT_TRUE(free.has_value());
  EXPECT_EQ(free->text(), std::to_string(1073741824 - 1048576));
}

TEST_F(AgentLimitsTest, RequiredMemoryZeroChargesTheDefaultFunctionMemory) {
  Node& n = agent("agent", 5, {"--memory-budget", "200000000", "--function-memory", "64000000"});
  for (std::uint32_t fid = 1; fid <= 3; ++fid) expect_ack(request(n, add(n.id, fid, "0")), ResultCode::Successful);
  expect_ack(request(n, add(n.id, 4, "0")), ResultCode::InsufficientResources, "insufficient memory");
}

TEST_F(AgentLimitsTest, FunctionsBeyondMaxFunctionsAreRefusedWithCode129) {
  Node& n = agent("agent", 5, {"--max-functions", "2", "--function-memory", "1000"});
  expect_ack(request(n, add(n.id, 1)), ResultCode::Successful);
  expect_ack(request(n, add(n.id, 2)), ResultCode::Successful);
  expect_ack(request(n, add(n.id, 3)), ResultCode::InsufficientResources, "--max-functions 2");
}

TEST_F(AgentLimitsTest, SessionsBeyondMaxSessionsAreRefusedWithCode129) {
  Node& n = agent("agent", 5, {"--max-sessions", "10"});
  expect_ack(request(n, add(n.id, 1, {}, 6)), ResultCode::Successful);
  expect_ack(request(n, add(n.id, 2, {}, 5, 6)), ResultCode::InsufficientResources, "--max-sessions");
  expect_ack(request(n, add(n.id, 3, {}, 4, 6)), ResultCode::Successful);
}

// A Function that is Running on node n.
void wait_running(AgentLimitsTest* t, std::function<std::vector<std::uint8_t>(Message)> req, std::uint32_t node,
                  std::uint32_t fid) {
  (void)t;
  EXPECT_TRUE(eventually(
      [&] {
        Message g = vsm::get(0, node, fid);
        g.add(Option::empty(OptType::FunctionInfo, function_info::RunningStatus));
        const auto pdu = req(g);
        const auto st = decode(pdu).find(OptType::FunctionInfo, function_info::RunningStatus);
        return st && st->text() == "Running";
      },
      5));
}

TEST_F(AgentLimitsTest, TransferToADestinationThePolicyDoesNotAllowIsRefusedWithCode130) {
  Node& n = agent("agent", 5);
  expect_ack(request(n, add(n.id, 7)), ResultCode::Successful);
  wait_running(
      this, [&](Message m) { return request(n, std::move(m)); }, n.id, 7);
  for (const std::string addr : {"0.0.0.0", "255.255.255.255", "224.0.0.1", "192.0.2.7"}) {
    Message mv = transfer(Operation::Move, 0, n.id, 6, 7);
    mv.add(Option::ipv4(boost::asio::ip::make_address_v4(addr).to_bytes()));
    mv.add(Option::port(9));
    expect_ack(request(n, mv), ResultCode::AdministrativelyProhibited, addr);
  }
  Message ms = move_session(0, n.id, 6);
  ms.add(Option::session_info(session_info::Ratio, "1"));
  ms.add(Option::ipv6(boost::asio::ip::make_address_v6("ff02::1").to_bytes()));
  ms.add(Option::port(9));
  // No session to move is answered before the destination matters: give it one.
  expect_ack(request(n, add(n.id, 8, {}, 1)), ResultCode::Successful);
  expect_ack(request(n, ms), ResultCode::AdministrativelyProhibited, "ff02::1");
  // The Function stayed.
  wait_running(
      this, [&](Message m) { return request(n, std::move(m)); }, n.id, 7);
}

TEST_F(AgentLimitsTest, UnannouncedTransferIsRefusedAndAnnouncedOneTaken) {
  Node& n = agent("agent", 5);
  auto transfer_line = [&](std::uint32_t fid) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(n.transfer_port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    const std::string line = R"({"kind":"function","mode":"move","from_node":9,"function":{"id":)" +
                             std::to_string(fid) + R"(,"name":"x","state":"s","memory":1000,"sessions":[]}})" + "\n";
    EXPECT_EQ(::send(fd, line.data(), line.size(), MSG_NOSIGNAL), static_cast<ssize_t>(line.size()));
    std::string reply;
    char buf[4096];
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t k;
    while ((k = ::recv(fd, buf, sizeof buf, 0)) > 0) reply.append(buf, static_cast<std::size_t>(k));
    ::close(fd);
    return reply;
  };
  EXPECT_TRUE(contains(transfer_line(7), R"("ok":false)"));
  Message get = vsm::get(0, n.id, 7);
  get.add(Option::empty(OptType::FunctionInfo, function_info::RunningStatus));
  expect_ack(request(n, get), ResultCode::StatusUnknown);
  // Announced by the manager: a MOVE naming this node as the destination, the source's address and no Port.
  Message announce = transfer(Operation::Move, 0, 9, n.id, 7);
  announce.add(Option::ipv4({127, 0, 0, 1}));
  expect_ack(request(n, announce), ResultCode::Successful);
  EXPECT_TRUE(contains(transfer_line(7), R"("ok":true)"));
  expect_ack(request(n, get), ResultCode::Successful);
  // Once: the same transfer again is not expected any more.
  Message del = delete_function(0, n.id, 7);
  expect_ack(request(n, del), ResultCode::Successful);
  EXPECT_TRUE(contains(transfer_line(7), R"("ok":false)"));
}

TEST_F(AgentLimitsTest, TransferLongerThanTransferMaxBytesIsCutOff) {
  Node& n = agent("agent", 5, {"--transfer-max-bytes", "1000"});
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(n.transfer_port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  const std::string junk(5000, 'x');
  ::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[64];
  const ssize_t k = ::recv(fd, buf, sizeof buf, 0);
  EXPECT_LE(k, 0) << "the agent answered an over-long transfer";
  ::close(fd);
  // Still serving the manager.
  Message small = vsm::get(0, n.id, 0);
  small.add(Option::empty(OptType::NodeInfo, node_info::TotalMemory));
  expect_ack(request(n, small), ResultCode::Successful);
}

}  // namespace
}  // namespace vsm::peers::test
