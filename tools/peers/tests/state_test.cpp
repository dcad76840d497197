// SPDX-License-Identifier: GPL-2.0-or-later
// State files and logs under load, with real processes: a change costs a
// journal line (not a rewrite), kill -9 loses nothing that was ACKed, and a
// flood of bad messages gives a bounded log.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
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
  bool send(const Message& m) { return send(m.encode()); }
  // The next ACK with this sequence number (other messages are skipped), or nullopt.
  std::optional<std::vector<std::uint8_t>> ack(std::uint32_t seq, double timeout = 5) {
    std::optional<std::vector<std::uint8_t>> out;
    eventually(
        [&] {
          for (;;) {
            const FrameResult r = framer_.next();
            if (r.status != FrameStatus::Pdu) break;
            const MessageView v = decode(r.pdu);
            if (v.ok() && v.is_ack() && v.header.seq == seq) {
              out.emplace(r.pdu.begin(), r.pdu.end());
              return true;
            }
          }
          std::uint8_t buf[8192];
          const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
          if (n == 0) return true;
          if (n > 0) framer_.feed(Bytes(buf, static_cast<std::size_t>(n)));
          return false;
        },
        timeout);
    return out;
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

// kill -9 while Registrations flow, several times over the same state file:
// every Node ID that was ACKed is in the restored state, and never handed out again.
TEST_F(PeerTest, ManagerKilledAtRandomLosesNothingAcked) {
  std::mt19937 rng(14);
  std::set<std::uint32_t> acked;
  int port = 0;
  for (int round = 0; round < 6; ++round) {
    Process& m = start_manager({}, "manager", port == 0 ? "127.0.0.1:0" : "127.0.0.1:" + std::to_string(port));
    ASSERT_NE(port_, 0);
    port = port_;
    if (round > 0) {
      EXPECT_TRUE(contains(m.err(), "state restored from")) << m.err();
      EXPECT_FALSE(contains(m.err(), "fatal")) << m.err();
    }
    // Registrations from a few clients at once; the manager dies at a random moment.
    std::vector<std::unique_ptr<Client>> clients;
    for (int k = 0; k < 4; ++k) clients.push_back(std::make_unique<Client>(port_));
    const int kill_after = std::uniform_int_distribution<int>(5, 120)(rng);
    std::uint32_t seq = 1;
    for (int i = 0; i < kill_after; ++i) {
      Client& c = *clients[static_cast<std::size_t>(i) % clients.size()];
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
    const json state = Journal::load(path("manager.json"));
    const std::set<std::uint32_t> kept = node_ids(state);
    for (const auto id : acked) EXPECT_EQ(kept.count(id), 1u) << "ACKed Node ID " << id << " lost in round " << round;
  }
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
    const auto b = a.encode();
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
