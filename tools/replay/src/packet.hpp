// SPDX-License-Identifier: GPL-2.0-or-later
// Packet parsing for vsm-replay: link layer (Ethernet with VLAN tags, Linux
// cooked SLL and SLL2, raw IP, loopback/null), IPv4/IPv6 and the TCP or SCTP
// header. Pure functions over the captured bytes; nothing here allocates.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

namespace vsm::replay {

using ByteSpan = std::span<const std::uint8_t>;

enum class Transport : std::uint8_t { Tcp, Sctp };

struct Endpoint {
  std::array<std::uint8_t, 16> addr{};  // IPv4 in the first 4 octets
  std::uint16_t port = 0;
  bool operator==(const Endpoint& o) const noexcept {  // word compares (the defaulted one calls memcmp)
    std::uint64_t x[2], y[2];
    std::memcpy(x, addr.data(), 16);
    std::memcpy(y, o.addr.data(), 16);
    return port == o.port && ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
  }
};

std::string endpoint_text(const Endpoint& e, bool v6);

namespace tcpflag {
inline constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kAck = 0x10;
}

// What parse_packet() found in one captured frame.
struct Packet {
  enum class Kind : std::uint8_t {
    Other,      // not IP, or IP without TCP/SCTP: ignored
    Tcp,        // TCP segment (payload may be empty)
    Sctp,       // SCTP packet: chunks in payload
    Fragment,   // an IP fragment: not reassembled
    Malformed,  // headers that do not hold together
    Cut,        // the snap length cut the headers: nothing usable
  } kind = Kind::Other;
  bool v6 = false;
  Endpoint src, dst;
  std::uint8_t flags = 0;     // TCP flags
  std::uint32_t seq = 0;      // TCP sequence number
  std::uint32_t ack = 0;      // TCP acknowledgement number
  ByteSpan payload;           // captured transport payload (TCP data or SCTP chunks)
  std::uint32_t missing = 0;  // payload octets on the wire that the snap length cut off
  const char* why = "";       // Malformed / Cut: what is wrong
};

// The link types parse_packet() understands (DLT_ values).
bool supported_linktype(int dlt) noexcept;
std::string linktype_text(int dlt);

// caplen bytes in data; wire_len is the original length of the frame.
Packet parse_packet(int dlt, ByteSpan data, std::uint32_t wire_len) noexcept;

// SCTP chunk walk: calls f(type, flags, chunk body (after the 4-octet chunk header)) for every chunk.
// Returns false when the chunk chain is malformed (the walk stops there).
template <typename F>
bool for_each_sctp_chunk(ByteSpan chunks, F&& f) {
  std::size_t pos = 0;
  while (pos + 4 <= chunks.size()) {
    const std::uint8_t type = chunks[pos];
    const std::uint8_t flags = chunks[pos + 1];
    const std::size_t len = static_cast<std::size_t>(chunks[pos + 2] << 8 | chunks[pos + 3]);
    if (len < 4 || pos + len > chunks.size()) return false;
    f(type, flags, chunks.subspan(pos + 4, len - 4));
    pos += (len + 3) & ~std::size_t{3};
  }
  return true;
}

}  // namespace vsm::replay
