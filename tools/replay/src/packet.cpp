// SPDX-License-Identifier: GPL-2.0-or-later
#include "packet.hpp"

#include <arpa/inet.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdio>

namespace vsm::replay {
namespace {

constexpr std::uint16_t kEtherIpv4 = 0x0800, kEtherIpv6 = 0x86DD, kEtherVlan = 0x8100, kEtherQinQ = 0x88A8,
                        kEtherQinQOld = 0x9100;
constexpr std::uint8_t kProtoTcp = 6, kProtoSctp = 132;

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}

Packet fail(Packet::Kind k, const char* why) {
  Packet p;
  p.kind = k;
  p.why = why;
  return p;
}

// Transport header at `t` (captured bytes), `wire_payload` octets of IP payload on the wire.
Packet parse_transport(Packet p, std::uint8_t proto, ByteSpan t, std::size_t wire_payload) {
  if (proto == kProtoTcp) {
    if (t.size() < 20)
      return wire_payload < 20 ? fail(Packet::Kind::Malformed, "TCP header too short")
                               : fail(Packet::Kind::Cut, "snap length cut the TCP header");
    const std::size_t hlen = static_cast<std::size_t>(t[12] >> 4) * 4;
    if (hlen < 20 || hlen > wire_payload) return fail(Packet::Kind::Malformed, "bad TCP header length");
    if (hlen > t.size()) return fail(Packet::Kind::Cut, "snap length cut the TCP header");
    p.kind = Packet::Kind::Tcp;
    p.src.port = be16(&t[0]);
    p.dst.port = be16(&t[2]);
    p.seq = be32(&t[4]);
    p.ack = be32(&t[8]);
    p.flags = t[13];
    p.payload = t.subspan(hlen);
    p.missing = static_cast<std::uint32_t>(wire_payload - hlen - p.payload.size());
    return p;
  }
  if (proto == kProtoSctp) {
    if (wire_payload < 12) return fail(Packet::Kind::Malformed, "SCTP header too short");
    if (t.size() < 12) return fail(Packet::Kind::Cut, "snap length cut the SCTP header");
    p.kind = Packet::Kind::Sctp;
    p.src.port = be16(&t[0]);
    p.dst.port = be16(&t[2]);
    p.payload = t.subspan(12);
    p.missing = static_cast<std::uint32_t>(wire_payload - 12 - p.payload.size());
    return p;
  }
  return fail(Packet::Kind::Other, "");
}

Packet parse_ipv4(ByteSpan d, std::size_t wire_len) {
  if (d.size() < 20)
    return wire_len < 20 ? fail(Packet::Kind::Malformed, "IPv4 header too short")
                         : fail(Packet::Kind::Cut, "snap length cut the IPv4 header");
  const std::size_t ihl = static_cast<std::size_t>(d[0] & 0x0F) * 4;
  std::size_t total = be16(&d[2]);
  if (total == 0) total = wire_len;  // segmentation offload: the capturing host left it to the NIC
  if (ihl < 20 || total < ihl) return fail(Packet::Kind::Malformed, "bad IPv4 header or total length");
  if (ihl > d.size()) return fail(Packet::Kind::Cut, "snap length cut the IPv4 header");
  if (total > wire_len) return fail(Packet::Kind::Malformed, "IPv4 total length beyond the frame");
  Packet p;
  const std::uint16_t frag = be16(&d[6]);
  if ((frag & 0x3FFF) != 0) {  // MF set or non-zero offset
    p.kind = Packet::Kind::Fragment;
    p.why = "IPv4 fragment (not reassembled)";
    return p;
  }
  std::copy(&d[12], &d[16], p.src.addr.begin());
  std::copy(&d[16], &d[20], p.dst.addr.begin());
  const std::size_t have = std::min(total, d.size());
  return parse_transport(p, d[9], d.subspan(ihl, have - ihl), total - ihl);
}

Packet parse_ipv6(ByteSpan d, std::size_t wire_len) {
  if (d.size() < 40)
    return wire_len < 40 ? fail(Packet::Kind::Malformed, "IPv6 header too short")
                         : fail(Packet::Kind::Cut, "snap length cut the IPv6 header");
  const std::size_t plen = be16(&d[4]);
  if (40 + plen > wire_len) return fail(Packet::Kind::Malformed, "IPv6 payload length beyond the frame");
  Packet p;
  p.v6 = true;
  std::copy(&d[8], &d[24], p.src.addr.begin());
  std::copy(&d[24], &d[40], p.dst.addr.begin());
  std::uint8_t next = d[6];
  std::size_t pos = 40;
  const std::size_t end_wire = 40 + plen;
  for (int guard = 0; guard < 16; ++guard) {
    if (next == 0 || next == 43 || next == 60 || next == 44) {
      if (pos + 8 > end_wire) return fail(Packet::Kind::Malformed, "IPv6 extension header too short");
      if (pos + 8 > d.size()) return fail(Packet::Kind::Cut, "snap length cut an IPv6 extension header");
      if (next == 44) {
        const std::uint16_t fo = be16(&d[pos + 2]);
        if ((fo & 0xFFF9) != 0) {  // offset or M flag
          p.kind = Packet::Kind::Fragment;
          p.why = "IPv6 fragment (not reassembled)";
          return p;
        }
        next = d[pos];
        pos += 8;
      } else {
        const std::size_t len = (static_cast<std::size_t>(d[pos + 1]) + 1) * 8;
        next = d[pos];
        pos += len;
      }
      if (pos > end_wire) return fail(Packet::Kind::Malformed, "IPv6 extension header beyond the payload");
      continue;
    }
    break;
  }
  if (pos > d.size()) return fail(Packet::Kind::Cut, "snap length cut an IPv6 extension header");
  const std::size_t have = std::min(end_wire, d.size());
  return parse_transport(p, next, d.subspan(pos, have - pos), end_wire - pos);
}

Packet parse_ip(ByteSpan d, std::size_t wire_len) {
  if (d.empty())
    return wire_len == 0 ? fail(Packet::Kind::Malformed, "empty IP packet")
                         : fail(Packet::Kind::Cut, "snap length cut the IP header");
  switch (d[0] >> 4) {
    case 4: return parse_ipv4(d, wire_len);
    case 6: return parse_ipv6(d, wire_len);
    default: return fail(Packet::Kind::Other, "");
  }
}

Packet parse_ethertype(std::uint16_t type, ByteSpan d, std::size_t wire_len) {
  for (int tags = 0; type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQOld; ++tags) {
    if (tags > 8) return fail(Packet::Kind::Malformed, "too many VLAN tags");
    if (d.size() < 4) return fail(wire_len < 4 ? Packet::Kind::Malformed : Packet::Kind::Cut, "VLAN tag cut");
    type = be16(&d[2]);
    d = d.subspan(4);
    wire_len -= 4;
  }
  if (type == kEtherIpv4 || type == kEtherIpv6) return parse_ip(d, wire_len);
  return fail(Packet::Kind::Other, "");
}

}  // namespace

std::string endpoint_text(const Endpoint& e, bool v6) {
  char a[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, e.addr.data(), a, sizeof a);
  char out[INET6_ADDRSTRLEN + 16];
  std::snprintf(out, sizeof out, v6 ? "[%s]:%u" : "%s:%u", a, static_cast<unsigned>(e.port));
  return out;
}

bool supported_linktype(int dlt) noexcept {
  switch (dlt) {
    case DLT_EN10MB:
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
    case DLT_NULL:
    case DLT_LOOP: return true;
    default: return false;
  }
}

std::string linktype_text(int dlt) {
  const char* name = pcap_datalink_val_to_name(dlt);
  return name != nullptr ? std::string(name) + " (" + std::to_string(dlt) + ")" : std::to_string(dlt);
}

Packet parse_packet(int dlt, ByteSpan d, std::uint32_t wire_len_in) noexcept {
  std::size_t wire = wire_len_in < d.size() ? d.size() : wire_len_in;
  auto skip = [&](std::size_t n) {
    d = d.subspan(n);
    wire -= n;
  };
  switch (dlt) {
    case DLT_EN10MB:
      if (d.size() < 14) return fail(wire < 14 ? Packet::Kind::Malformed : Packet::Kind::Cut, "Ethernet header cut");
      {
        const std::uint16_t type = be16(&d[12]);
        skip(14);
        return parse_ethertype(type, d, wire);
      }
    case DLT_LINUX_SLL:
      if (d.size() < 16) return fail(wire < 16 ? Packet::Kind::Malformed : Packet::Kind::Cut, "SLL header cut");
      {
        const std::uint16_t type = be16(&d[14]);
        skip(16);
        return parse_ethertype(type, d, wire);
      }
    case DLT_LINUX_SLL2:
      if (d.size() < 20) return fail(wire < 20 ? Packet::Kind::Malformed : Packet::Kind::Cut, "SLL2 header cut");
      {
        const std::uint16_t type = be16(&d[0]);
        skip(20);
        return parse_ethertype(type, d, wire);
      }
    case DLT_NULL:
    case DLT_LOOP:
      if (d.size() < 4) return fail(wire < 4 ? Packet::Kind::Malformed : Packet::Kind::Cut, "loopback header cut");
      skip(4);
      return parse_ip(d, wire);
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6: return parse_ip(d, wire);
    default: return fail(Packet::Kind::Other, "");
  }
}

}  // namespace vsm::replay
