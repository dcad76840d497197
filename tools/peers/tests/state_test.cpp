// SPDX-License-Identifier: GPL-2.0-or-later
// State files and logs under load, with real processes: a change costs a
// journal line (not a rewrite), kill -9 loses nothing that was ACKed, and a
// flood of bad messages gives a bounded log.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <sstream>

#include "common/journal.hpp"
#include "harness.hpp"
#include "vsm/framing.hpp"
#include "vsm/message.hpp"

namespace vsm::peers::test {
namespace {

using nlohmann::json;

// A hand-driven node: blocking socket, one PDU at a time.
class Client {
 public:
  // Takes an accepted connection.
  static std::unique_ptr<Client> adopt(int fd) { return std::unique_ptr<Client>(new Client(fd, true)); }
  explicit Client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    timeval tv{0, 50000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Client() { ::close(fd_); }
  // The next request of this type (ACKs and other messages are skipped), or nullopt.
  std::optional<std::vector<std::uint8_t>> request(MsgType t, double timeout = 5) {
    return next_matching([t](const MessageView& v) { return v.is(t); }, timeout);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  bool ok() const { return ok_; }
  bool send(const std::vector<std::uint8_t>& b) {
    std::size_t done = 0;
    while (done < b.size()) {
      const ssize_t n = ::send(fd_, b.data() + done, b.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }
  bool send(const Message& m) { return send(m.encode().value()); }
  // The next ACK with this sequence number (other messages are skipped), or nullopt.
  std::optional<std::vector<std::uint8_t>> ack(std::uint32_t seq, double timeout = 5) {
    return next_matching([seq](const MessageView& v) { return v.ok() && v.is_ack() && v.header.seq == seq; }, timeout);
  }
  // Registers (Node ID 0: the manager assigns one); the Node ID ACKed, or 0.
  std::uint32_t register_node(std::uint32_t seq) {
    if (!send(registration(seq, 0))) return 0;
    const auto a = ack(seq);
    if (!a) return 0;
    const MessageView v = decode(*a);
    return v.header.code == u8(ResultCode::Successful) ? v.node_id().value_or(0) : 0;
  }

 private:
  Client(int fd, bool) : fd_(fd), ok_(fd >= 0) {
    timeval tv{0, 50000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  template <typename Pred>
  std::optional<std::vector<std::uint8_t>> next_matching(Pred pred, double timeout) {
    std::optional<std::vector<std::uint8_t>> out;
    eventually(
        [&] {
          for (;;) {
            for (FrameResult r = framer_.next(); r.status == FrameStatus::Pdu; r = framer_.next()) {
              if (pred(decode(r.pdu))) {
                out.emplace(r.pdu.begin(), r.pdu.end());
                return true;
              }
            }
            std::uint8_t buf[8192];
            const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n == 0) return true;  // EOF
            if (n < 0) return false;  // nothing within the socket's timeout: ask again
            framer_.feed(Bytes(buf, static_cast<std::size_t>(n)));
          }
        },
        timeout);
    return out;
  }
  int fd_ = -1;
  bool ok_ = false;
  Framer framer_;
};

// Octets the process has written so far (write(2) and the like, /proc/PID/io).
std::uint64_t written(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/io");
  for (std::string key; in >> key;) {
    std::uint64_t v = 0;
    in >> v;
    if (key == "wchar:") return v;
  }
  return 0;
}

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

std::set<std::uint32_t> node_ids(const json& state) {
  std::set<std::uint32_t> ids;
  for (const auto& n : state["nodes"]) ids.insert(n["id"].get<std::uint32_t>());
  return ids;
}

// 1,000 Registrations cost the manager about what they say, not the whole
// node table each (main rewrote the file on every change: ~100 MB written).
TEST_F(PeerTest, ManagerStateFileGrowsByOneRecordPerChange) {
  Process& m = start_manager({});
  ASSERT_NE(port_, 0);
  const std::uint64_t before = written(m.pid());
  constexpr int kNodes = 1000;
  std::set<std::uint32_t> acked;
  for (int i = 0; i < kNodes; ++i) {
    Client c(port_);
    ASSERT_TRUE(c.ok());
    const std::uint32_t id = c.register_node(static_cast<std::uint32_t>(i + 1));
    ASSERT_NE(id, 0u) << "registration " << i;
    acked.insert(id);
  }
  ASSERT_TRUE(eventually([&] { return node_ids(Journal::load(path("manager.json"))).size() == kNodes; }, 10));
  const std::uint64_t bytes = written(m.pid()) - before;
  // The state file ends at ~250 KB; journal lines, log lines and compactions stay within 4 KiB per Registration.
  EXPECT_LT(bytes, kNodes * 4096u) << bytes << " octets written for " << kNodes << " Registrations";
  EXPECT_EQ(node_ids(Journal::load(path("manager.json"))), acked);
  m.signal(SIGTERM);
  ASSERT_EQ(m.wait(10), std::optional<int>(0));
  EXPECT_EQ(node_ids(json::parse(read_file(path("manager.json")))), acked) << "at exit the snapshot alone holds it";
}

// Not a test: the figures of issue 14 (3 batches of 1,000 Registrations on a
// manager with --state-file; main took 6.8 s, 21 s, 40 s). Run with
// --gtest_also_run_disabled_tests --gtest_filter=PeerTest.DISABLED_StateFileBatches
TEST_F(PeerTest, DISABLED_StateFileBatches) {
  Process& m = start_manager({});
  ASSERT_NE(port_, 0);
  std::uint32_t seq = 1;
  for (int batch = 1; batch <= 3; ++batch) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::uint64_t w0 = written(m.pid());
    for (int i = 0; i < 1000; ++i) {
      Client c(port_);
      ASSERT_NE(c.register_node(seq++), 0u);
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cout << fmt::format("batch {}: 1000 Registrations in {:.2f} s, {:.1f} MB written by the manager\n", batch, s,
                             static_cast<double>(written(m.pid()) - w0) / 1e6);
  }
  m.signal(SIGTERM);
  ASSERT_EQ(m.wait(10), std::optional<int>(0));
  EXPECT_EQ(node_ids(json::parse(read_file(path("manager.json")))).size(), 3000u);
}

// kill -9 while Registrations flow, several times over the same state file:
// every Node ID that was ACKed is in the restored state, and never handed out again.
TEST_F(PeerTest, ManagerKilledAtRandomLosesNothingAcked) {
  std::mt19937 rng(14);
  std::set<std::uint32_t> acked;
  for (int round = 0; round < 6; ++round) {
    // Each round's manager starts from the files the one before was killed over.
    const std::string name = fmt::format("manager{}", round);
    if (round > 0) {
      const std::string before = path(fmt::format("manager{}.json", round - 1));
      std::filesystem::rename(before, path(name + ".json"));
      std::filesystem::rename(before + ".journal", path(name + ".json.journal"));
    }
    Process& m = start_manager({}, name);
    ASSERT_NE(port_, 0);
    if (round > 0) {
      EXPECT_TRUE(contains(m.err(), "state restored from")) << m.err();
      EXPECT_FALSE(contains(m.err(), "fatal")) << m.err();
    }
    // Registrations from a few clients at once; the manager dies at a random moment.
    // (one connection each: a second Registration on a connection keeps its Node ID)
    std::vector<std::unique_ptr<Client>> clients;
    const int kill_after = std::uniform_int_distribution<int>(5, 120)(rng);
    std::uint32_t seq = 1;
    for (int i = 0; i < kill_after; ++i) {
      clients.push_back(std::make_unique<Client>(port_));
      Client& c = *clients.back();
      const std::uint32_t s = seq++;
      if (!c.send(registration(s, 0))) break;
      if (i + 1 == kill_after) {
        // The last one is in flight: its ACK may or may not come before the kill.
        m.signal(SIGKILL);
        if (const auto a = c.ack(s, 0.5)) {
          const auto id = decode(*a).node_id().value_or(0);
          if (id != 0) acked.insert(id);
        }
        break;
      }
      const auto a = c.ack(s);
      ASSERT_TRUE(a.has_value()) << "no ACK to registration " << i << " of round " << round;
      const std::uint32_t id = decode(*a).node_id().value_or(0);
      ASSERT_NE(id, 0u);
      EXPECT_EQ(acked.count(id), 0u) << "Node ID " << id << " handed out twice";
      acked.insert(id);
    }
    m.wait(5);
    const json state = Journal::load(path(name + ".json"));
    const std::set<std::uint32_t> kept = node_ids(state);
    for (const auto id : acked) EXPECT_EQ(kept.count(id), 1u) << "ACKed Node ID " << id << " lost in round " << round;
  }
}

// The agent's side: kill -9 while ADDs flow; every Function it ACKed is in the
// restored state, and the restarted agent comes back with its Node ID.
TEST_F(PeerTest, AgentKilledAtRandomLosesNothingAcked) {
  const int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(lfd, 4), 0);
  socklen_t len = sizeof a;
  getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  std::mt19937 rng(6);
  std::set<std::uint32_t> acked;
  std::uint32_t next_fid = 1;
  constexpr std::uint32_t kNode = 5;
  for (int round = 0; round < 5; ++round) {
    Process& agent = start_agent("agent", {"--function-memory", "1024", "--start-delay", "0.01"});
    pollfd p{lfd, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 10000), 1) << agent.err();
    auto c = Client::adopt(::accept(lfd, nullptr, nullptr));
    const auto reg_pdu = c->request(MsgType::Registration);
    ASSERT_TRUE(reg_pdu.has_value()) << agent.err();
    const MessageView reg = decode(*reg_pdu);
    if (round > 0) {
      EXPECT_EQ(reg.node_id(), std::optional<std::uint32_t>(kNode)) << "the Node ID was not restored";
    }
    ASSERT_TRUE(c->send(ack_for(reg.header, ResultCode::Successful, kNode)));
    const int kill_after = std::uniform_int_distribution<int>(3, 60)(rng);
    for (int i = 0; i < kill_after; ++i) {
      const std::uint32_t fid = next_fid++;
      const std::uint32_t seq = 1000 * static_cast<std::uint32_t>(round + 1) + static_cast<std::uint32_t>(i);
      ASSERT_TRUE(c->send(add_function(seq, kNode, fid)));
      if (i + 1 == kill_after) agent.signal(SIGKILL);  // the last ADD is in flight
      if (const auto ack = c->ack(seq, i + 1 == kill_after ? 0.5 : 5)) {
        if (decode(*ack).header.code == u8(ResultCode::Successful)) acked.insert(fid);
      } else {
        ASSERT_EQ(i + 1, kill_after) << "no ACK to the ADD of Function " << fid;
      }
    }
    agent.wait(5);
    std::set<std::uint32_t> kept;
    const json state = Journal::load(path("agent.json"));
    for (const auto& f : state["functions"]) kept.insert(f["id"].get<std::uint32_t>());
    for (const auto fid : acked) {
      ASSERT_EQ(kept.count(fid), 1u) << "ACKed Function " << fid << " lost in round " << round << ": "
                                     << state.dump().substr(0, 300);
    }
  }
  ::close(lfd);
}

// 10,000 unsolicited ACKs: each is a peer-finding, but the log keeps 10 a template per 10 s and says how many more.
TEST_F(PeerTest, FloodOfUnsolicitedAcksGivesABoundedLog) {
  Process& m = start_manager({});
  Client c(port_);
  ASSERT_TRUE(c.ok());
  const std::uint32_t id = c.register_node(1);
  ASSERT_NE(id, 0u);
  std::vector<std::uint8_t> flood;
  for (std::uint32_t i = 0; i < 10000; ++i) {
    Message a(MsgType::Ack, 100000 + i);
    a.add(Option::node_id(id));
    const auto b = a.encode().value();
    flood.insert(flood.end(), b.begin(), b.end());
  }
  ASSERT_TRUE(c.send(flood));
  // A request after the flood: once it is ACKed, the manager has read everything before it.
  ASSERT_TRUE(c.send(deregistration(2, id)));
  ASSERT_TRUE(c.ack(2, 20).has_value());
  m.signal(SIGTERM);
  ASSERT_EQ(m.wait(10), std::optional<int>(0));
  const std::string err = m.err();
  EXPECT_LT(lines(err), 100u) << err.substr(0, 2000);
  EXPECT_TRUE(contains(err, "more like this: ")) << err.substr(0, 2000);
}

}  // namespace
}  // namespace vsm::peers::test
