// SPDX-License-Identifier: GPL-2.0-or-later
// Test helper: crafts small captures (any supported link type, IPv4/IPv6,
// VLAN tags, TCP or SCTP) through libpcap's pcap_open_dead + pcap_dump.
#pragma once

#include <pcap/pcap.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace vsm::replay::test {

using Buf = std::vector<std::uint8_t>;

inline void put16(Buf& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
inline void put32(Buf& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 16));
  put16(b, static_cast<std::uint16_t>(v));
}

struct Host {
  std::array<std::uint8_t, 16> addr{};
  std::uint16_t port = 0;
};

inline Host v4host(std::uint8_t last, std::uint16_t port) {
  Host h;
  h.addr[0] = 10;
  h.addr[3] = last;
  h.port = port;
  return h;
}
inline Host v6host(std::uint8_t last, std::uint16_t port) {
  Host h;
  h.addr[0] = 0x20;
  h.addr[1] = 0x01;
  h.addr[2] = 0x0d;
  h.addr[3] = 0xb8;
  h.addr[15] = last;
  h.port = port;
  return h;
}

// IP header + transport bytes.
inline Buf ip_packet(bool v6, const Host& src, const Host& dst, std::uint8_t proto, const Buf& transport) {
  Buf b;
  if (!v6) {
    b.push_back(0x45);
    b.push_back(0);
    put16(b, static_cast<std::uint16_t>(20 + transport.size()));
    put32(b, 0);
    b.push_back(64);
    b.push_back(proto);
    put16(b, 0);
    b.insert(b.end(), src.addr.begin(), src.addr.begin() + 4);
    b.insert(b.end(), dst.addr.begin(), dst.addr.begin() + 4);
  } else {
    put32(b, 0x60000000);
    put16(b, static_cast<std::uint16_t>(transport.size()));
    b.push_back(proto);
    b.push_back(64);
    b.insert(b.end(), src.addr.begin(), src.addr.end());
    b.insert(b.end(), dst.addr.begin(), dst.addr.end());
  }
  b.insert(b.end(), transport.begin(), transport.end());
  return b;
}

inline Buf tcp_segment(const Host& src, const Host& dst, std::uint32_t seq, std::uint32_t ack, std::uint8_t flags,
                       const Buf& payload) {
  Buf t;
  put16(t, src.port);
  put16(t, dst.port);
  put32(t, seq);
  put32(t, ack);
  t.push_back(0x50);
  t.push_back(flags);
  put16(t, 65535);
  put32(t, 0);
  t.insert(t.end(), payload.begin(), payload.end());
  return t;
}

// One SCTP packet with the given chunks (already encoded).
inline Buf sctp_packet(const Host& src, const Host& dst, const Buf& chunks) {
  Buf t;
  put16(t, src.port);
  put16(t, dst.port);
  put32(t, 0x01020304);
  put32(t, 0);
  t.insert(t.end(), chunks.begin(), chunks.end());
  return t;
}

inline Buf sctp_data_chunk(std::uint32_t tsn, std::uint32_t ppid, const Buf& data, bool begin = true, bool end = true) {
  Buf c;
  c.push_back(0);
  c.push_back(static_cast<std::uint8_t>((begin ? 2 : 0) | (end ? 1 : 0)));
  put16(c, static_cast<std::uint16_t>(16 + data.size()));
  put32(c, tsn);
  put16(c, 0);
  put16(c, 0);
  put32(c, ppid);
  c.insert(c.end(), data.begin(), data.end());
  while (c.size() % 4) c.push_back(0);
  return c;
}

// Link-layer framing around an IP packet.
inline Buf link_frame(int dlt, bool v6, const Buf& ip, int vlan_tags = 0) {
  Buf b;
  const std::uint16_t ethertype = v6 ? 0x86DD : 0x0800;
  switch (dlt) {
    case DLT_EN10MB:
      for (int i = 0; i < 12; ++i) b.push_back(static_cast<std::uint8_t>(i));
      for (int i = 0; i < vlan_tags; ++i) {
        put16(b, i == 0 && vlan_tags > 1 ? 0x88A8 : 0x8100);
        put16(b, static_cast<std::uint16_t>(100 + i));
      }
      put16(b, ethertype);
      break;
    case DLT_LINUX_SLL:
      put16(b, 0);
      put16(b, 1);
      put16(b, 6);
      for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(i));
      put16(b, ethertype);
      break;
    case DLT_LINUX_SLL2:
      put16(b, ethertype);
      put16(b, 0);
      put32(b, 2);
      put16(b, 1);
      b.push_back(0);
      b.push_back(6);
      for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(i));
      break;
    case DLT_NULL: {  // host byte order address family
      const std::uint32_t af = v6 ? 24 : 2;
      const auto* p = reinterpret_cast<const std::uint8_t*>(&af);
      b.insert(b.end(), p, p + 4);
      break;
    }
    case DLT_LOOP: put32(b, v6 ? 24 : 2); break;
    default: break;  // raw IP
  }
  b.insert(b.end(), ip.begin(), ip.end());
  return b;
}

// An Ethernet frame with one IPv4 SCTP packet holding CHUNKS.
inline Buf sctp_frame(const Host& src, const Host& dst, const Buf& chunks) {
  return link_frame(DLT_EN10MB, false, ip_packet(false, src, dst, 132, sctp_packet(src, dst, chunks)));
}

// Writes packets to a pcap file.
class Writer {
 public:
  Writer(const std::string& path, int dlt, int snaplen = 65535) {
    dead_ = pcap_open_dead(dlt, snaplen);
    dump_ = pcap_dump_open(dead_, path.c_str());
  }
  ~Writer() { close(); }
  void close() {
    if (dump_ != nullptr) pcap_dump_close(dump_);
    if (dead_ != nullptr) pcap_close(dead_);
    dump_ = nullptr;
    dead_ = nullptr;
  }
  bool ok() const { return dump_ != nullptr; }
  // caplen < frame size: the snap length cut it.
  void add(const Buf& frame, std::size_t caplen = SIZE_MAX) {
    pcap_pkthdr h{};
    usec_ += 1000;
    h.ts.tv_sec = 1767225600 + static_cast<long>(usec_ / 1000000);
    h.ts.tv_usec = static_cast<long>(usec_ % 1000000);
    h.len = static_cast<bpf_u_int32>(frame.size());
    h.caplen = static_cast<bpf_u_int32>(std::min(caplen, frame.size()));
    pcap_dump(reinterpret_cast<u_char*>(dump_), &h, frame.data());
  }

 private:
  pcap_t* dead_ = nullptr;
  pcap_dumper_t* dump_ = nullptr;
  std::uint64_t usec_ = 0;
};

// A TCP connection between a node (initiator) and a manager, writing frames.
class TcpFlow {
 public:
  TcpFlow(Writer& w, int dlt, bool v6, Host node, Host mgr, int vlan = 0)
      : w_(w), dlt_(dlt), v6_(v6), h_{node, mgr}, vlan_(vlan) {}
  // The three-way handshake.
  void handshake() {
    emit(0, seq_[0] - 1, 0, 0x02, {});
    emit(1, seq_[1] - 1, seq_[0], 0x12, {});
    emit(0, seq_[0], seq_[1], 0x10, {});
  }
  // Data from side (0 node, 1 manager); returns the segment's sequence number.
  std::uint32_t send(int side, const Buf& data, bool write = true) {
    const std::uint32_t s = seq_[side];
    if (write) emit(side, s, seq_[1 - side], 0x18, data);
    seq_[side] += static_cast<std::uint32_t>(data.size());
    return s;
  }
  // A segment at an explicit sequence number (reordering, retransmission, overlap).
  void segment(int side, std::uint32_t seq, const Buf& data, std::size_t caplen = SIZE_MAX) {
    emit(side, seq, seq_[1 - side], 0x18, data, caplen);
  }
  void ack(int side) { emit(side, seq_[side], seq_[1 - side], 0x10, {}); }
  void fin() {
    emit(0, seq_[0], seq_[1], 0x11, {});
    emit(1, seq_[1], seq_[0] + 1, 0x11, {});
    emit(0, seq_[0] + 1, seq_[1] + 1, 0x10, {});
  }
  std::uint32_t next(int side) const { return seq_[side]; }

 private:
  void emit(int side, std::uint32_t seq, std::uint32_t ack, std::uint8_t flags, const Buf& data,
            std::size_t caplen = SIZE_MAX) {
    const Host& src = h_[side];
    const Host& dst = h_[1 - side];
    const Buf frame =
        link_frame(dlt_, v6_, ip_packet(v6_, src, dst, 6, tcp_segment(src, dst, seq, ack, flags, data)), vlan_);
    const std::size_t cut = caplen == SIZE_MAX ? SIZE_MAX : frame.size() - data.size() + caplen;
    w_.add(frame, cut);
  }
  Writer& w_;
  int dlt_;
  bool v6_;
  Host h_[2];
  int vlan_;
  std::uint32_t seq_[2] = {1000, 0xFFFFFF00u};  // the manager's numbers wrap
};

}  // namespace vsm::replay::test
