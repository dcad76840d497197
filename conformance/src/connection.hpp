// SPDX-License-Identifier: GPL-2.0-or-later
// The runner's connections to the implementation under test, in one unit:
// the sockets (TCP or SCTP one-to-one, tools/common/transport.hpp), the
// event loop, the framing of received bytes and the always-on checks of each
// message (vsm::check_message and one vsm::ExchangeTracker per connection,
// fed with both directions). The executor sees whole messages with their
// findings, closures and lost framing, and sends messages or raw bytes; it
// never touches a socket. Nothing else in conformance/ includes Asio for the
// runner's connections (loadgen.cpp has its own, for load mode).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "model.hpp"
#include "vsm/exchange.hpp"
#include "vsm/rules.hpp"

namespace vsm::conform {

// The runner's clock: steady seconds since the program started. Deadlines are in it.
double now_s();

struct LinkConfig {
  LengthConvention convention = LengthConvention::Total4;
  bool sctp = false;
  std::uint32_t sctp_ppid = 0;  // PPID of the DATA chunks sent
  double ack_timeout = 5.0;     // the tracker's ACK timer
  bool iut_initiates = true;    // agent under test: the IUT opened the connection (TCP client)
};

// One message received, with what the always-on checks found in it.
struct Inbound {
  std::vector<std::uint8_t> bytes;
  LengthConvention conv = LengthConvention::Total4;
  double t = 0;
  bool other_convention = false;          // whole only under the other length convention (VSM-6.1-LENGTH-LITERAL)
  FindingList checks;                     // vsm::check_message
  FindingList exchange;                   // the tracker, on this message in its exchange
  std::optional<PendingRequest> answers;  // an ACK: the request it answers
};

struct LinkEvents {
  std::function<void(Inbound&)> message;
  // A Length no message can have: framing stops on this connection.
  std::function<void(std::uint16_t length_field, std::span<const std::uint8_t> bytes)> framing_lost;
  std::function<void(bool by_runner, const std::string& why)> closed;
};

// One connection. Inert until start(); after detach() it reports nothing more.
class Link {
 public:
  enum class Sent { Queued, Closed, Overflow };  // Overflow: the IUT does not read; the link closed itself
  static constexpr std::size_t kMaxQueued = 10000;

  struct Impl;
  explicit Link(std::shared_ptr<Impl> impl);
  ~Link();
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  void start(LinkEvents events);  // starts reading
  const std::string& name() const;
  void rename(const std::string& name);  // an accepted connection a step took later under its own name
  std::uint64_t uid() const;             // unique over the run, from start()
  const Endpoint& local() const;
  const Endpoint& remote() const;
  bool open() const;
  const std::string& close_reason() const;

  Sent send(std::vector<std::uint8_t> message);       // one message from the runner: tracked, then written
  void track(std::span<const std::uint8_t> message);  // tracked only (the bytes go out by send_raw)
  Sent send_raw(std::vector<std::uint8_t> bytes);     // written as they are, not tracked
  bool idle() const;                                  // nothing waits to be written

  std::span<const std::uint8_t> partial() const;       // received bytes that are not a whole message yet
  std::size_t unanswered() const;                      // the runner's requests waiting for their ACK
  std::vector<Finding> expire_unanswered(double now);  // VSM-5-ACK on the runner's requests still waiting at `now`

  void close(const std::string& why);   // FIN / SHUTDOWN
  void abort(const std::string& why);   // RST / SCTP ABORT (SO_LINGER 0)
  void detach(const std::string& why);  // closes (reported) and stops every further event

 private:
  std::shared_ptr<Impl> impl_;
};

// Connecting in progress: done once it succeeded (link set) or failed.
struct Connecting {
  bool done = false;
  std::shared_ptr<Link> link;
  struct Impl;
  std::shared_ptr<Impl> impl;
};

class Network {
 public:
  explicit Network(LinkConfig cfg);
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // Agent under test: listen (port 0: any) and accept every connection. Throws std::exception.
  void listen(const std::string& host, std::uint16_t port);
  std::uint16_t listening_port() const;
  bool accept_waiting() const;
  std::shared_ptr<Link> accept(const std::string& name);  // the oldest waiting connection (accept_waiting())
  void drop_waiting();                                    // closes the connections nobody took
  // Called from the loop whenever a connection was accepted and waits (the executor takes it at once during
  // a test, so what the IUT sends on a connection the scenario did not ask for is still checked and shown).
  void on_incoming(std::function<void()> f);

  // Manager under test: starts connecting (from `bind` when not empty); the loop makes progress.
  std::shared_ptr<Connecting> connect(const std::string& host, std::uint16_t port, const std::string& bind,
                                      const std::string& name);
  void cancel(Connecting& c);  // gives up; done follows
  std::uint16_t free_port(const std::string& host);

  // The event loop: runs until done() or the deadline (now_s()); false at the deadline. A child process
  // exiting (SIGCHLD) wakes it, so waits on processes are event-driven too.
  bool run_until(const std::function<bool()>& done, double deadline);
  void poll();  // runs what is ready

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vsm::conform
