// SPDX-License-Identifier: GPL-2.0-or-later
// One VSM connection over TCP for the reference peers: reads with the codec's
// Framer, decodes every PDU, checks it against the codec's rules and the
// exchange tracker (findings are logged with their requirement IDs), matches
// ACKs to outstanding requests, queues writes, and applies the generic fault
// switches (sequence numbers, header fields, ACK fields, length convention).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "asio.hpp"
#include "faults.hpp"
#include "transport.hpp"
#include "vsm/exchange.hpp"
#include "vsm/framing.hpp"
#include "vsm/message.hpp"

namespace vsm::peers {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct ConnConfig {
  Role local_role = Role::Unknown;
  LengthConvention convention = LengthConvention::Total4;
  double ack_timeout = 5.0;  // seconds: a request without ACK by then fails (and breaks VSM-5-ACK)
  std::size_t max_pdu = kMaxPdu;
  bool sctp = false;  // the manager connection runs over SCTP instead of TCP
  std::uint32_t sctp_ppid = 0;  // PPID of every DATA chunk sent (--sctp-ppid)
  FaultSet faults;
};

// The first of the codec's single-message findings that makes a request
// unusable (answered with Code 128 "Protocol error"), or nullptr. The
// receiver ignores Sub-Type and Code outside Operation and Ack (6.1), so those
// findings are logged but do not refuse; notes and warnings never refuse.
const Finding* refusing_finding(const FindingList& fl) noexcept;

// Seconds since the process started (steady clock), the time base of the trackers.
double now_seconds();

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // The ACK of a request, or nullptr when it timed out or the connection closed.
  using AckHandler = std::function<void(const MessageView* ack)>;
  // A received message that is not an ACK of ours (requests, and ACKs that match nothing).
  // `findings` are the codec's single-message findings for it.
  using MessageHandler = std::function<void(const MessageView& m, const FindingList& findings)>;
  using CloseHandler = std::function<void(const std::string& reason)>;

  Connection(tcp::socket socket, const ConnConfig& cfg, std::string label);
  ~Connection();

  void start(MessageHandler on_message, CloseHandler on_close);

  // Sends a non-ACK message: the connection assigns its sequence number and
  // applies the request faults. Returns the sequence number used.
  std::uint32_t send_request(Message m, AckHandler on_ack = {});
  // Sends an ACK (built with vsm::ack_for): applies the ACK faults.
  void send_ack(Message ack);
  // Sends a message exactly as given (no sequence assignment, no faults).
  void send_exact(const Message& m, LengthConvention c);

  // Closes once the queued writes are out.
  void close(const std::string& reason);
  bool is_open() const noexcept { return !closed_ && !closing_; }

  // Marks the node registered on this connection (for faults that act once afterwards).
  void mark_registered() noexcept { registered_ = true; }
  bool registered() const noexcept { return registered_; }
  void set_node_id(std::uint32_t id) noexcept { node_id_ = id; }
  std::uint32_t node_id() const noexcept { return node_id_; }
  const std::string& label() const noexcept { return label_; }
  void set_label(std::string l) { label_ = std::move(l); }
  tcp::endpoint remote() const noexcept { return remote_; }
  std::size_t outstanding() const noexcept { return pending_.size(); }
  const ConnConfig& config() const noexcept { return cfg_; }

 private:
  struct Pending {
    AckHandler handler;
    std::unique_ptr<asio::steady_timer> timer;
  };
  void do_read();
  void on_bytes(std::size_t n);
  void on_pdu(Bytes pdu);
  void write_message(const Message& m, LengthConvention c);
  void do_write();
  void finish_close(const std::string& reason);
  void log_findings(const FindingList& fl, bool from_peer);
  void expire();
  Dir my_dir() const noexcept;

  tcp::socket socket_;
  ConnConfig cfg_;
  std::string label_;
  tcp::endpoint remote_;
  Framer framer_;
  ExchangeTracker tracker_;
  std::array<std::uint8_t, 16384> rbuf_{};
  std::deque<std::vector<std::uint8_t>> outq_;
  bool writing_ = false;
  bool closing_ = false;
  bool closed_ = false;
  bool registered_ = false;
  bool length_fault_done_ = false;
  std::string close_reason_;
  std::uint32_t seq_ = 0;
  bool seq_used_ = false;
  std::uint32_t node_id_ = 0;
  std::uint64_t msg_counter_ = 0;
  std::unordered_map<std::uint32_t, Pending> pending_;
  MessageHandler on_message_;
  CloseHandler on_close_;
};

}  // namespace vsm::peers
