// SPDX-License-Identifier: GPL-2.0-or-later
// vsm-replay-benchgen: writes a large pcap of clean VSM traffic over many TCP
// connections for the vsm-replay benchmark (bench/run.py).
//
//   vsm-replay-benchgen <megabytes> <connections> <file>
//
// Every connection opens with a handshake and a Registration; then, round
// robin over the connections, the Manager sends a segment of Keep-Alives and
// MOVEs and the node answers with one segment of their ACKs. Messages come from
// the codec's encoder (encoded once, sequence numbers patched per copy).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "vsm/message.hpp"

namespace {

using Buf = std::vector<std::uint8_t>;

void be16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void be32(std::uint8_t* p, std::uint32_t v) {
  be16(p, static_cast<std::uint16_t>(v >> 16));
  be16(p + 2, static_cast<std::uint16_t>(v));
}
void set_seq(std::uint8_t* msg, std::uint32_t seq) {
  msg[vsm::off::kSeq] = static_cast<std::uint8_t>(seq >> 16);
  msg[vsm::off::kSeq + 1] = static_cast<std::uint8_t>(seq >> 8);
  msg[vsm::off::kSeq + 2] = static_cast<std::uint8_t>(seq);
}

struct Conn {
  std::uint8_t node_ip[4];
  std::uint16_t node_port;
  std::uint32_t seq[2];  // [0] node, [1] manager
  std::uint32_t mgr_msg_seq = 100;
  std::uint32_t node_id;
};

class Writer {
 public:
  explicit Writer(const char* path) : f_(std::fopen(path, "wb")) {
    if (f_ == nullptr) {
      std::perror(path);
      std::exit(1);
    }
    std::setvbuf(f_, nullptr, _IOFBF, 1 << 22);
    const std::uint32_t hdr[6] = {0xA1B2C3D4, 0x00040002, 0, 0, 262144, 1};  // pcap, v2.4, Ethernet
    std::fwrite(hdr, sizeof hdr, 1, f_);
    bytes_ = sizeof hdr;
  }
  ~Writer() { std::fclose(f_); }
  void packet(const Conn& c, int side, std::uint8_t flags, const std::uint8_t* data, std::size_t len,
              std::uint32_t ack) {
    std::uint8_t h[54] = {};
    // Ethernet
    h[0] = 0x02, h[5] = static_cast<std::uint8_t>(side + 1), h[6] = 0x02, h[11] = static_cast<std::uint8_t>(2 - side);
    be16(h + 12, 0x0800);
    // IPv4
    std::uint8_t* ip = h + 14;
    ip[0] = 0x45;
    be16(ip + 2, static_cast<std::uint16_t>(40 + len));
    ip[8] = 64;
    ip[9] = 6;
    const std::uint8_t mgr[4] = {10, 0, 0, 1};
    std::memcpy(ip + 12, side == 0 ? c.node_ip : mgr, 4);
    std::memcpy(ip + 16, side == 0 ? mgr : c.node_ip, 4);
    // TCP
    std::uint8_t* t = ip + 20;
    be16(t, side == 0 ? c.node_port : vsm::kDefaultPort);
    be16(t + 2, side == 0 ? vsm::kDefaultPort : c.node_port);
    be32(t + 4, c.seq[side]);
    be32(t + 8, ack);
    t[12] = 0x50;
    t[13] = flags;
    be16(t + 14, 65535);
    usec_ += 20;
    const std::uint32_t rec[4] = {static_cast<std::uint32_t>(1767225600 + usec_ / 1000000),
                                  static_cast<std::uint32_t>(usec_ % 1000000), static_cast<std::uint32_t>(54 + len),
                                  static_cast<std::uint32_t>(54 + len)};
    std::fwrite(rec, sizeof rec, 1, f_);
    std::fwrite(h, sizeof h, 1, f_);
    if (len > 0) std::fwrite(data, len, 1, f_);
    bytes_ += sizeof rec + sizeof h + len;
  }
  std::uint64_t bytes() const { return bytes_; }

 private:
  std::FILE* f_;
  std::uint64_t bytes_ = 0;
  std::uint64_t usec_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <megabytes> <connections> <file>\n", argv[0]);
    return 2;
  }
  const std::uint64_t target = std::strtoull(argv[1], nullptr, 10) << 20;
  const std::size_t nconn = std::max<std::size_t>(1, std::strtoul(argv[2], nullptr, 10));
  Writer w(argv[3]);
  std::vector<Conn> conns(nconn);
  // Templates from the codec.
  const Buf reg = vsm::registration(1, 0).encode().value();
  const Buf ka = vsm::keep_alive(0, 3).encode().value();
  const Buf move = vsm::transfer(vsm::Operation::Move, 0, 3, 5, 7).encode().value();
  const Buf ka_ack = vsm::ack_for(vsm::decode(ka).header, vsm::ResultCode::Successful, 3).encode().value();
  vsm::Message ma = vsm::ack_for(vsm::decode(move).header, vsm::ResultCode::Successful, 3);
  ma.add(vsm::Option::node_id(5)).add(vsm::Option::function_id(7)).add(vsm::Option::running_status("Running"));
  const Buf move_ack = ma.encode().value();

  for (std::size_t i = 0; i < nconn; ++i) {
    Conn& c = conns[i];
    c.node_ip[0] = 10, c.node_ip[1] = 1, c.node_ip[2] = static_cast<std::uint8_t>(i >> 8),
    c.node_ip[3] = static_cast<std::uint8_t>(i);
    c.node_port = static_cast<std::uint16_t>(20000 + i % 40000);
    c.seq[0] = static_cast<std::uint32_t>(1000 + i * 7919);
    c.seq[1] = static_cast<std::uint32_t>(0xFFFF0000u + i * 104729);
    c.node_id = 3;
    w.packet(c, 0, 0x02, nullptr, 0, 0);
    ++c.seq[0];
    w.packet(c, 1, 0x12, nullptr, 0, c.seq[0]);
    ++c.seq[1];
    w.packet(c, 0, 0x10, nullptr, 0, c.seq[1]);
    w.packet(c, 0, 0x18, reg.data(), reg.size(), c.seq[1]);
    c.seq[0] += static_cast<std::uint32_t>(reg.size());
    Buf a = vsm::ack_for(vsm::decode(reg).header, vsm::ResultCode::Successful, 3).encode().value();
    w.packet(c, 1, 0x18, a.data(), a.size(), c.seq[0]);
    c.seq[1] += static_cast<std::uint32_t>(a.size());
  }
  Buf reqs, acks;
  std::uint64_t messages = 2 * nconn;
  for (std::size_t round = 0; w.bytes() < target; ++round) {
    Conn& c = conns[round % nconn];
    reqs.clear();
    acks.clear();
    for (int k = 0; k < 4; ++k) {
      const bool is_move = (round + static_cast<std::size_t>(k)) % 2 == 1;
      const Buf& q = is_move ? move : ka;
      const Buf& r = is_move ? move_ack : ka_ack;
      const std::size_t qa = reqs.size(), ra = acks.size();
      reqs.insert(reqs.end(), q.begin(), q.end());
      acks.insert(acks.end(), r.begin(), r.end());
      set_seq(reqs.data() + qa, c.mgr_msg_seq);
      set_seq(acks.data() + ra, c.mgr_msg_seq);
      c.mgr_msg_seq = vsm::next_seq(c.mgr_msg_seq);
      messages += 2;
    }
    w.packet(c, 1, 0x18, reqs.data(), reqs.size(), c.seq[0]);
    c.seq[1] += static_cast<std::uint32_t>(reqs.size());
    w.packet(c, 0, 0x18, acks.data(), acks.size(), c.seq[1]);
    c.seq[0] += static_cast<std::uint32_t>(acks.size());
  }
  for (Conn& c : conns) {
    w.packet(c, 0, 0x11, nullptr, 0, c.seq[1]);
    ++c.seq[0];
    w.packet(c, 1, 0x11, nullptr, 0, c.seq[0]);
    ++c.seq[1];
    w.packet(c, 0, 0x10, nullptr, 0, c.seq[1]);
  }
  std::printf("%s: %llu bytes, %zu connections, %llu messages\n", argv[3], static_cast<unsigned long long>(w.bytes()),
              nconn, static_cast<unsigned long long>(messages));
  return 0;
}
