// SPDX-License-Identifier: GPL-2.0-or-later
// Evidence captures: messages exchanged over TCP connections or SCTP
// associations, written as pcapng (raw IP packets, link type 101) through
// libwiretap's dump API. Each TCP connection gets a synthesized three-way
// handshake, consistent sequence and acknowledgement numbers and a FIN when
// it is closed; each SCTP association an INIT / INIT ACK / COOKIE ECHO /
// COOKIE ACK handshake, one DATA chunk per message (TSNs, stream sequence
// numbers, CRC32c) and a SHUTDOWN. Every packet can carry a comment. Knows
// nothing of the programs that use it.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace vsm::evidence {

struct Endpoint {
  std::array<std::uint8_t, 16> addr{};  // IPv4 in the first 4 octets
  bool v6 = false;
  std::uint16_t port = 0;
};

// False when this build has no libwiretap (open() then always fails).
bool available();

enum class Transport : std::uint8_t { Tcp, Sctp };
// SCTP DATA chunks carry this payload protocol identifier: none was assigned to VSM (codec/PROFILE.md).
inline constexpr std::uint32_t kSctpPpid = 0;

class Writer {
 public:
  // A new capture at `path`; nullptr with `error` set on failure. `app` names the capture interface.
  static std::unique_ptr<Writer> open(const std::string& path, const std::string& app, std::string& error);
  ~Writer();  // finishes the file if finish() was not called (errors then lost)
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // The transport of the connections opened from now on (TCP unless said).
  void set_transport(Transport t);
  // The handshake of connection `conn` (client -> server), with `comment` on the SYN (SCTP: the INIT). Optional:
  // message() opens a connection not seen before with its sender as the client. The ISNs are the
  // sequence numbers of each side's first payload octet.
  bool open_conn(std::uint64_t conn, const Endpoint& client, const Endpoint& server, double wall,
                 const std::string& comment, std::uint32_t client_isn = 1000, std::uint32_t server_isn = 5000);
  // One message from `src` to `dst` at `wall` (UTC seconds since 1970), in segments (SCTP: DATA
  // chunk fragments) of at most 65000 octets; `comment` on the first. Ignored (true) once the
  // connection is closed.
  bool message(std::uint64_t conn, const Endpoint& src, const Endpoint& dst, double wall,
               std::span<const std::uint8_t> bytes, const std::string& comment);
  // A FIN (SCTP: a SHUTDOWN) from `src` (one of the connection's two endpoints); later messages are ignored.
  bool close_conn(std::uint64_t conn, const Endpoint& src, const Endpoint& dst, double wall,
                  const std::string& comment = {});
  // Closes the file. False with error() set on any failure since open().
  bool finish();

  const std::string& error() const { return error_; }
  std::uint64_t packets() const { return packets_; }

 private:
  struct Flow {
    Endpoint client;
    std::uint32_t seq_client = 0, seq_server = 0;  // next sequence number (SCTP: TSN) of each side
    bool closed = false;
    bool sctp = false;
    std::uint16_t ssn_client = 0, ssn_server = 0;  // SCTP: next stream sequence number of each side
    std::uint32_t tag_client = 0, tag_server = 0;  // SCTP: verification tag each side expects
  };
  // The connection's flow (opened with src as the client when unknown), or
  // nullptr after a write error; seq and ack are the sender's side of it
  // (SCTP: its next TSN and the peer's), ssn its stream sequence and
  // peer_tag the tag its packets carry.
  struct Side {
    Flow* flow;
    std::uint32_t* seq;
    std::uint32_t ack;
    std::uint16_t* ssn;
    std::uint32_t peer_tag;
  };
  std::optional<Side> side(std::uint64_t conn, const Endpoint& src, const Endpoint& dst, double wall);
  struct Impl;
  explicit Writer(std::unique_ptr<Impl> impl, std::string path);
  bool put(double wall, const Endpoint& src, const Endpoint& dst, std::uint32_t seq, std::uint32_t ack,
           std::uint8_t flags, std::span<const std::uint8_t> payload, const std::string& comment);
  bool put_sctp(double wall, const Endpoint& src, const Endpoint& dst, std::uint32_t vtag, std::uint8_t type,
                std::uint8_t flags, std::span<const std::uint8_t> body, const std::string& comment);
  bool put_packet(double wall, const std::vector<std::uint8_t>& packet, const std::string& comment);

  std::unique_ptr<Impl> impl_;
  std::string path_, error_;
  std::map<std::uint64_t, Flow> flows_;
  std::uint64_t packets_ = 0;
  bool ok_ = true, finished_ = false;
  Transport transport_ = Transport::Tcp;
};

}  // namespace vsm::evidence
