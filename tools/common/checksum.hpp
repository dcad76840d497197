// SPDX-License-Identifier: GPL-2.0-or-later
// Checksums of the packets the tools synthesize (trace generator, evidence
// captures): the Internet checksum of IPv4, TCP and UDP (RFC 1071) and
// SCTP's CRC32c (RFC 9260, through Boost.CRC).
#pragma once

#include <boost/crc.hpp>
#include <cstddef>
#include <cstdint>
#include <span>

namespace vsm::checksum {

// One's-complement sum of 16-bit big-endian words (an odd last octet is padded with zero), added to acc.
inline std::uint32_t ones_sum(std::span<const std::uint8_t> b, std::uint32_t acc = 0) noexcept {
  std::size_t i = 0;
  for (; i + 1 < b.size(); i += 2) acc += static_cast<std::uint32_t>(b[i] << 8 | b[i + 1]);
  if (i < b.size()) acc += static_cast<std::uint32_t>(b[i] << 8);
  return acc;
}

// The checksum field's value: the folded sum, complemented.
inline std::uint16_t finish(std::uint32_t acc) noexcept {
  while (acc >> 16) acc = (acc & 0xFFFF) + (acc >> 16);
  return static_cast<std::uint16_t>(~acc & 0xFFFF);
}

// Sum of the TCP/UDP pseudo-header: the two addresses (4 or 16 octets each), the protocol and the length.
inline std::uint32_t pseudo_header(std::span<const std::uint8_t> src, std::span<const std::uint8_t> dst,
                                   std::uint8_t proto, std::size_t length) noexcept {
  return ones_sum(dst, ones_sum(src)) + proto + static_cast<std::uint32_t>(length >> 16) +
         static_cast<std::uint32_t>(length & 0xFFFF);
}

// SCTP's CRC32c (Castagnoli). The packet carries it as Linux writes it: least significant octet first.
inline std::uint32_t crc32c(std::span<const std::uint8_t> b) noexcept {
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
  crc.process_bytes(b.data(), b.size());
  return crc.checksum();
}

}  // namespace vsm::checksum
