// SPDX-License-Identifier: GPL-2.0-or-later
// One VSM connection of a reference peer: the shared adapter
// (tools/common/session_io.hpp, over vsm::Session) plus what only the peers
// do: the generic fault switches of faults.hpp (sequence numbers, header
// fields, ACK fields, length convention), the log lines of every finding
// ("peer-finding" / "self-finding" with the requirement ID), and their answer
// to a broken stream (an Error message, then the close).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "faults.hpp"
#include "session_io.hpp"

namespace vsm::peers {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct ConnConfig {
  Role local_role = Role::Unknown;
  LengthConvention convention = LengthConvention::Total4;
  double ack_timeout = 5.0;  // seconds: a request without ACK by then fails (and breaks VSM-5-ACK)
  std::size_t max_pdu = kMaxPdu;
  bool sctp = false;            // the manager connection runs over SCTP instead of TCP
  std::uint32_t sctp_ppid = 0;  // PPID of every DATA chunk sent (--sctp-ppid)
  FaultSet faults;
};

// The first of the codec's single-message findings that makes a request
// unusable (answered with Code 128 "Protocol error"), or nullptr. The
// receiver ignores Sub-Type and Code outside Operation and Ack (6.1), so those
// findings are logged but do not refuse; notes and warnings never refuse.
const Finding* refusing_finding(const FindingList& fl) noexcept;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // The ACK of a request, or nullptr when it timed out or the connection closed.
  using AckHandler = std::function<void(const MessageView* ack)>;
  // A received message that is not an ACK of ours (requests, and ACKs that match nothing).
  // `findings` are the codec's findings on it.
  using MessageHandler = std::function<void(const MessageView& m, const FindingList& findings)>;
  using CloseHandler = std::function<void(const std::string& reason)>;

  Connection(tcp::socket socket, const ConnConfig& cfg, std::string label);

  void start(MessageHandler on_message, CloseHandler on_close);

  // Sends a non-ACK message: the session assigns its sequence number (the
  // sequence faults bend it) and the request faults apply. Returns the
  // sequence number used. A message the encoder refuses (longer than a
  // Length can describe) is logged with VSM-6.1-LENGTH and not sent: 0, and
  // `on_ack` hears nullptr.
  std::uint32_t send_request(Message m, AckHandler on_ack = {});
  // Sends an ACK (built with vsm::ack_for): applies the ACK faults.
  void send_ack(Message ack);
  // Sends a message exactly as given (no sequence assignment, no faults but length-too-small).
  void send_exact(const Message& m, LengthConvention c);

  // Closes once the queued writes are out.
  void close(const std::string& reason) { io_->close(reason); }
  bool is_open() const noexcept { return io_->is_open(); }
  // io::now() when the last octet arrived (or the connection was made).
  double last_received() const noexcept { return io_->last_received(); }

  // Marks the node registered on this connection (for faults that act once afterwards).
  void mark_registered() noexcept { registered_ = true; }
  bool registered() const noexcept { return registered_; }
  void set_node_id(std::uint32_t id) noexcept { node_id_ = id; }
  std::uint32_t node_id() const noexcept { return node_id_; }
  const std::string& label() const noexcept { return label_; }
  void set_label(std::string l) { label_ = std::move(l); }
  tcp::endpoint remote() const noexcept { return io_->remote(); }
  std::size_t outstanding() const noexcept { return io_->session().awaiting_ack(); }
  const ConnConfig& config() const noexcept { return cfg_; }

 private:
  void handle(const SessionEvent& e, const AckHandler* on_ack);
  void impossible_length(std::uint64_t offset, std::string_view what, std::uint32_t declared);
  void prepare(Message& m);
  void spoil_once(Message& m);
  void sent(const Sent& s);
  void log_earlier(const EarlierFinding& f);

  ConnConfig cfg_;
  std::string label_;
  std::shared_ptr<io::SessionIo> io_;
  bool registered_ = false;
  bool length_fault_done_ = false;
  std::optional<std::uint32_t> last_seq_;  // of the last request sent
  std::uint32_t node_id_ = 0;
  MessageHandler on_message_;
  CloseHandler on_close_;
};

}  // namespace vsm::peers
