// SPDX-License-Identifier: GPL-2.0-or-later
// vsm-tracegen: writes the project's sample captures (pcapng) from the codec's
// encoder, with real Ethernet / IPv4 / IPv6 / TCP and SCTP framing, consistent
// TCP sequence numbers and fixed timestamps, so the traces can be regenerated
// byte for byte.
//
//   vsm-tracegen <output folder>                 all sample traces (+ .expect files)
//   vsm-tracegen --bench <messages> <file>       one large capture for the benchmark
//
// A <trace>.expect file lists, per frame, the requirement IDs whose expert
// info the dissector must show there ("<frame> <ID> [<ID>...]"), and lines
// "# two-pass <frame> <ID>" for findings that need the whole capture.
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "checksum.hpp"
#include "cli.hpp"
#include "vsm/message.hpp"

namespace {

using vsm::LengthConvention;
using vsm::Message;
using vsm::MsgType;
using vsm::Operation;
using vsm::Option;
using vsm::ResultCode;
using Buf = std::vector<std::uint8_t>;

// ---------------------------------------------------------------------------
// pcapng writer (section header, one Ethernet interface, enhanced packets).

class Pcapng {
 public:
  explicit Pcapng(const std::string& path) : out_(path, std::ios::binary) {
    if (!out_) {
      std::fprintf(stderr, "vsm-tracegen: cannot write %s: %s\n", path.c_str(), std::strerror(errno));
      std::exit(vsm::cli::kExitIo);
    }
    Buf shb;
    put32(shb, 0x0A0D0D0A);
    put32(shb, 28);
    put32(shb, 0x1A2B3C4D);
    put16(shb, 1);
    put16(shb, 0);
    put32(shb, 0xFFFFFFFF);
    put32(shb, 0xFFFFFFFF);
    put32(shb, 28);
    write(shb);
    Buf idb;
    put32(idb, 1);
    put32(idb, 20);
    put16(idb, 1);  // LINKTYPE_ETHERNET
    put16(idb, 0);
    put32(idb, 0);  // no snap length limit
    put32(idb, 20);
    write(idb);
  }
  // time in microseconds since the Unix epoch
  std::uint32_t packet(std::uint64_t usec, const Buf& frame) {
    const std::uint32_t padded = static_cast<std::uint32_t>((frame.size() + 3) & ~std::size_t{3});
    const std::uint32_t len = 32 + padded;
    Buf b;
    put32(b, 6);
    put32(b, len);
    put32(b, 0);
    put32(b, static_cast<std::uint32_t>(usec >> 32));
    put32(b, static_cast<std::uint32_t>(usec));
    put32(b, static_cast<std::uint32_t>(frame.size()));
    put32(b, static_cast<std::uint32_t>(frame.size()));
    b.insert(b.end(), frame.begin(), frame.end());
    b.resize(28 + padded, 0);
    put32(b, len);
    write(b);
    return ++frames_;
  }
  std::uint32_t frames() const { return frames_; }

 private:
  static void put32(Buf& b, std::uint32_t v) {  // little-endian file
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  static void put16(Buf& b, std::uint16_t v) {
    b.push_back(static_cast<std::uint8_t>(v));
    b.push_back(static_cast<std::uint8_t>(v >> 8));
  }
  void write(const Buf& b) {
    out_.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  }

  std::ofstream out_;
  std::uint32_t frames_ = 0;
};

// ---------------------------------------------------------------------------
// Packet building.

void be16(Buf& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void be32(Buf& b, std::uint32_t v) {
  be16(b, static_cast<std::uint16_t>(v >> 16));
  be16(b, static_cast<std::uint16_t>(v));
}

struct Host {
  std::array<std::uint8_t, 6> mac;
  std::array<std::uint8_t, 4> v4;
  std::array<std::uint8_t, 16> v6;
};

Host host(std::uint8_t n) {
  Host h{};
  h.mac = {0x02, 0x00, 0x5e, 0x00, 0x00, n};
  h.v4 = {10, 0, 0, n};
  h.v6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, n};
  return h;
}

// Ethernet + IPv4/IPv6 around a transport payload.
Buf ip_frame(const Host& src, const Host& dst, bool v6, std::uint8_t proto, const Buf& l4, std::uint16_t ip_id) {
  Buf f;
  f.insert(f.end(), dst.mac.begin(), dst.mac.end());
  f.insert(f.end(), src.mac.begin(), src.mac.end());
  be16(f, v6 ? 0x86DD : 0x0800);
  if (v6) {
    be32(f, 0x60000000);
    be16(f, static_cast<std::uint16_t>(l4.size()));
    f.push_back(proto);
    f.push_back(64);
    f.insert(f.end(), src.v6.begin(), src.v6.end());
    f.insert(f.end(), dst.v6.begin(), dst.v6.end());
  } else {
    const std::size_t at = f.size();
    f.push_back(0x45);
    f.push_back(0);
    be16(f, static_cast<std::uint16_t>(20 + l4.size()));
    be16(f, ip_id);
    be16(f, 0x4000);  // don't fragment
    f.push_back(64);
    f.push_back(proto);
    be16(f, 0);
    f.insert(f.end(), src.v4.begin(), src.v4.end());
    f.insert(f.end(), dst.v4.begin(), dst.v4.end());
    const std::uint16_t c = vsm::checksum::finish(vsm::checksum::ones_sum(std::span(f).subspan(at, 20)));
    f[at + 10] = static_cast<std::uint8_t>(c >> 8);
    f[at + 11] = static_cast<std::uint8_t>(c);
  }
  f.insert(f.end(), l4.begin(), l4.end());
  return f;
}

// A capture being written: a clock, and the frames written so far.
class Capture {
 public:
  explicit Capture(const std::string& path) : pcap_(path) {}
  // Fixed base: 2026-01-01T00:00:00Z.
  static constexpr std::uint64_t kBase = 1767225600ull * 1000000ull;
  void advance(std::uint64_t usec) { now_ += usec; }
  std::uint32_t write(const Buf& frame) { return pcap_.packet(kBase + now_, frame); }
  std::uint32_t next_frame() const { return pcap_.frames() + 1; }
  std::uint16_t ip_id() { return ++ip_id_; }

 private:
  Pcapng pcap_;
  std::uint64_t now_ = 0;
  std::uint16_t ip_id_ = 0;
};

// One TCP connection with consistent sequence and acknowledgement numbers.
class TcpConn {
 public:
  TcpConn(Capture& cap, Host client, std::uint16_t cport, Host server, std::uint16_t sport, bool v6 = false)
      : cap_(cap), c_(client), s_(server), cport_(cport), sport_(sport), v6_(v6) {}

  void handshake() {
    segment(true, 0x02, {});  // SYN
    cseq_ += 1;
    segment(false, 0x12, {});  // SYN-ACK
    sseq_ += 1;
    segment(true, 0x10, {});  // ACK
  }
  // Data from the client (Execution Node) or the server (Manager); returns the frame number.
  std::uint32_t send(bool from_client, const Buf& data) {
    const std::uint32_t frame = segment(from_client, 0x18, data);
    (from_client ? cseq_ : sseq_) += static_cast<std::uint32_t>(data.size());
    return frame;
  }
  // Data cut in two, the second piece sent first (out of order).
  void send_reversed(bool from_client, const Buf& data, std::size_t cut) {
    std::uint32_t& seq = from_client ? cseq_ : sseq_;
    const std::uint32_t start = seq;
    seq = start + static_cast<std::uint32_t>(cut);
    segment(from_client, 0x18, Buf(data.begin() + static_cast<std::ptrdiff_t>(cut), data.end()));
    seq = start;
    segment(from_client, 0x18, Buf(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(cut)));
    seq = start + static_cast<std::uint32_t>(data.size());
  }
  void close() {
    segment(true, 0x11, {});
    cseq_ += 1;
    segment(false, 0x11, {});
    sseq_ += 1;
    segment(true, 0x10, {});
  }

 private:
  std::uint32_t segment(bool from_client, std::uint8_t flags, const Buf& data) {
    Buf t;
    be16(t, from_client ? cport_ : sport_);
    be16(t, from_client ? sport_ : cport_);
    be32(t, from_client ? cseq_ : sseq_);
    be32(t, (flags & 0x10) ? (from_client ? sseq_ : cseq_) : 0);
    t.push_back(0x50);
    t.push_back(flags);
    be16(t, 65535);
    be16(t, 0);
    be16(t, 0);
    t.insert(t.end(), data.begin(), data.end());
    const Host& src = from_client ? c_ : s_;
    const Host& dst = from_client ? s_ : c_;
    const std::uint32_t pseudo = v6_ ? vsm::checksum::pseudo_header(src.v6, dst.v6, 6, t.size())
                                     : vsm::checksum::pseudo_header(src.v4, dst.v4, 6, t.size());
    const std::uint16_t c = vsm::checksum::finish(vsm::checksum::ones_sum(t, pseudo));
    t[16] = static_cast<std::uint8_t>(c >> 8);
    t[17] = static_cast<std::uint8_t>(c);
    cap_.advance(150);
    return cap_.write(ip_frame(src, dst, v6_, 6, t, cap_.ip_id()));
  }

  Capture& cap_;
  Host c_, s_;
  std::uint16_t cport_, sport_;
  bool v6_;
  std::uint32_t cseq_ = 1000, sseq_ = 50000;
};

// One SCTP association: DATA chunks only (one or several per packet).
class SctpAssoc {
 public:
  SctpAssoc(Capture& cap, Host a, std::uint16_t aport, Host b, std::uint16_t bport, std::uint32_t ppid)
      : cap_(cap), a_(a), b_(b), aport_(aport), bport_(bport), ppid_(ppid) {}
  std::uint32_t send(bool from_a, const std::vector<Buf>& messages) {
    Buf p;
    be16(p, from_a ? aport_ : bport_);
    be16(p, from_a ? bport_ : aport_);
    be32(p, from_a ? 0x11223344 : 0x55667788);  // verification tag of the receiver
    be32(p, 0);
    for (const Buf& m : messages) {
      p.push_back(0);     // DATA
      p.push_back(0x03);  // B and E: unfragmented
      be16(p, static_cast<std::uint16_t>(16 + m.size()));
      be32(p, (from_a ? tsn_a_ : tsn_b_)++);
      be16(p, 0);
      be16(p, (from_a ? ssn_a_ : ssn_b_)++);
      be32(p, ppid_);
      p.insert(p.end(), m.begin(), m.end());
      while (p.size() % 4) p.push_back(0);
    }
    const std::uint32_t crc = vsm::checksum::crc32c(p);
    for (int i = 0; i < 4; ++i) p[8 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
    cap_.advance(200);
    return cap_.write(ip_frame(from_a ? a_ : b_, from_a ? b_ : a_, false, 132, p, cap_.ip_id()));
  }

 private:
  Capture& cap_;
  Host a_, b_;
  std::uint16_t aport_, bport_;
  std::uint32_t ppid_;
  std::uint32_t tsn_a_ = 1, tsn_b_ = 1;
  std::uint16_t ssn_a_ = 0, ssn_b_ = 0;
};

// ---------------------------------------------------------------------------
// Messages.

vsm::Header header_of(const Message& m) {
  vsm::Header h;
  h.type = m.type;
  h.subtype = m.subtype;
  h.code = m.code;
  h.seq = m.seq;
  return h;
}

Message ack(const Message& req, std::uint32_t node, ResultCode code = ResultCode::Successful) {
  return vsm::ack_for(header_of(req), code, node);
}

// The ACK of an operation with the options its section asks for.
Message op_ack(const Message& req, std::uint32_t node, std::uint32_t dst, std::uint32_t function,
               std::string_view status, ResultCode code = ResultCode::Successful) {
  Message a = ack(req, node, code);
  if (vsm::has_src_dst(req.subtype) && req.subtype != vsm::u8(Operation::MoveSession)) a.add(Option::node_id(dst));
  if (function != 0 || req.subtype != vsm::u8(Operation::MoveSession)) a.add(Option::function_id(function));
  a.add(Option::running_status(status));
  return a;
}

Option ntp_boot(vsm::OptType t) {
  return Option::ntp(t, vsm::node_info::BootTime, vsm::NtpTime::from_unix(1767222000));  // 2025-12-31T23:00:00Z
}

Message get_request(std::uint32_t seq, std::uint32_t node, std::uint32_t function) {
  Message m = vsm::get(seq, node, function);
  m.add(Option::empty(vsm::OptType::NodeInfo, vsm::node_info::ProcessingCapacity));
  m.add(Option::empty(vsm::OptType::NodeInfo, vsm::node_info::AvailableMemory));
  m.add(Option::empty(vsm::OptType::NodeInfo, vsm::node_info::BootTime));
  return m;
}

Message get_ack(const Message& req, std::uint32_t node, std::uint32_t function) {
  Message a = ack(req, node);
  a.add(Option::function_id(function));
  a.add(Option::node_info(vsm::node_info::ProcessingCapacity, "2.4"));
  a.add(Option::node_info(vsm::node_info::AvailableMemory, "8589934592"));
  a.add(ntp_boot(vsm::OptType::NodeInfo));
  a.add(Option::running_status("Running"));
  return a;
}

Message status_report(std::uint32_t seq, std::uint32_t node, std::uint32_t function, std::string_view status) {
  Message m = vsm::status_update(seq, node);
  m.add(Option::function_id(function));
  m.add(Option::function_info(vsm::function_info::Name, "P-CSCF"));
  m.add(Option::running_status(status));
  m.add(Option::function_info(vsm::function_info::CurrentLoad, "0.75"));
  m.add(Option::function_info(vsm::function_info::RequiredMemory, "536870912"));
  m.add(Option::function_info(vsm::function_info::AvailableStorage, "1073741824"));
  m.add(ntp_boot(vsm::OptType::FunctionInfo));
  m.add(Option::node_info(vsm::node_info::CurrentLoad, "1.5"));
  m.add(Option::node_info(vsm::node_info::TotalMemory, "17179869184"));
  m.add(Option::node_info(vsm::node_info::AvailableMemory, "900000"));
  m.add(Option::node_info(vsm::node_info::TotalBandwidth, "10000000000"));
  return m;
}

Message session_move(std::uint32_t seq, std::uint32_t src, std::uint32_t dst, bool v6 = false) {
  Message m = vsm::move_session(seq, src, dst);
  m.add(Option::session_info(vsm::session_info::SipUri, "sip:alice@example.com"));
  if (v6) {
    const Host h = host(77);
    m.add(Option::raw(vsm::u8(vsm::OptType::SessionInfo), vsm::session_info::ContactAddress, h.v6));
  } else {
    const std::array<std::uint8_t, 4> a{192, 0, 2, 10};
    m.add(Option::raw(vsm::u8(vsm::OptType::SessionInfo), vsm::session_info::ContactAddress, a));
  }
  m.add(Option::session_info(vsm::session_info::Ratio, "0.3"));
  m.add(Option::session_info(vsm::session_info::Count, "120"));
  return m;
}

// A generated trace never holds what the wire cannot carry: value() throws on a refused message.
Buf enc(const Message& m, LengthConvention c = LengthConvention::Total4) { return m.encode(c).value(); }

// Expected expert entries, written next to a trace.
class Expect {
 public:
  void at(std::uint32_t frame, std::string_view id) { lines_[frame] += " " + std::string(id); }
  void two_pass(std::uint32_t frame, std::string_view id) {
    extra_ += "# two-pass " + std::to_string(frame) + " " + std::string(id) + "\n";
  }
  void save(const std::string& path) const {
    std::ofstream o(path);
    for (const auto& [frame, ids] : lines_) o << frame << ids << "\n";
    o << extra_;
  }

 private:
  std::map<std::uint32_t, std::string> lines_;
  std::string extra_;
};

// A node (TCP client) and the manager (server) on one connection.
struct Session {
  TcpConn& tcp;
  std::uint32_t node_seq = 1;
  std::uint32_t mgr_seq = 100;
  std::uint32_t node = 0;
  std::uint32_t node_send(const Message& m) { return tcp.send(true, enc(m)); }
  std::uint32_t mgr_send(const Message& m) { return tcp.send(false, enc(m)); }
  // A request and its ACK.
  void node_exchange(const Message& m, const Message& a) {
    node_send(m);
    mgr_send(a);
  }
  void mgr_exchange(const Message& m, const Message& a) {
    mgr_send(m);
    node_send(a);
  }
};

void registration(Session& s, std::uint32_t assigned, bool addresses, bool v6 = false) {
  Message r = vsm::registration(s.node_seq++, 0);
  if (addresses) {
    const Host h = host(static_cast<std::uint8_t>(assigned));
    if (v6) {
      r.add(Option::ipv6(h.v6));
    } else {
      r.add(Option::ipv4(h.v4));
    }
    r.add(Option::port(vsm::kDefaultPort));
  }
  s.node_exchange(r, ack(r, assigned));
  s.node = assigned;
}

// ---------------------------------------------------------------------------
// The traces.

// Every message type and every operation, each with its ACK.
void all_messages(const std::string& dir) {
  Capture cap(dir + "/all-messages.pcapng");
  TcpConn tcp(cap, host(3), 40001, host(1), vsm::kDefaultPort);
  Session s{tcp};
  tcp.handshake();
  registration(s, 3, true);
  Message ka = vsm::keep_alive(s.mgr_seq++, 3);
  s.mgr_exchange(ka, ack(ka, 3));
  Message g = get_request(s.mgr_seq++, 3, 0);
  s.mgr_exchange(g, get_ack(g, 3, 0));
  Message add = vsm::add_function(s.mgr_seq++, 3, 7);
  s.mgr_exchange(add, op_ack(add, 3, 0, 7, "Starting"));
  Message su = status_report(s.node_seq++, 3, 7, "Running");
  s.node_exchange(su, ack(su, 3));
  Message mv = vsm::transfer(Operation::Move, s.mgr_seq++, 3, 5, 7);
  s.mgr_exchange(mv, op_ack(mv, 3, 5, 7, "Running"));
  Message cp = vsm::transfer(Operation::Copy, s.mgr_seq++, 3, 6, 7);
  s.mgr_exchange(cp, op_ack(cp, 3, 6, 7, "Running"));
  Message ms = session_move(s.mgr_seq++, 3, 5);
  s.mgr_exchange(ms, op_ack(ms, 3, 0, 0, "Running"));
  Message del = vsm::delete_function(s.mgr_seq++, 3, 7);
  s.mgr_exchange(del, op_ack(del, 3, 0, 7, "Terminating"));
  Message err = vsm::error_message(s.node_seq++, ResultCode::InsufficientResources, "storage exhausted");
  s.node_exchange(err, ack(err, 3));
  Message refused = vsm::add_function(s.mgr_seq++, 3, 8);
  s.mgr_exchange(refused, op_ack(refused, 3, 0, 8, "Unknown", ResultCode::AdministrativelyProhibited));
  Message dr = vsm::deregistration(s.node_seq++, 3);
  s.node_exchange(dr, ack(dr, 3));
  tcp.close();
}

// A service-mobility session: two Execution Nodes, a Function moved from one
// to the other, its sessions following it.
void session_mobility(const std::string& dir) {
  Capture cap(dir + "/session-mobility.pcapng");
  TcpConn ta(cap, host(3), 40003, host(1), vsm::kDefaultPort);
  TcpConn tb(cap, host(5), 40005, host(1), vsm::kDefaultPort);
  Session a{ta};
  Session b{tb};
  ta.handshake();
  registration(a, 3, true);
  tb.handshake();
  registration(b, 5, true);
  for (int round = 0; round < 2; ++round) {
    Message ka = vsm::keep_alive(a.mgr_seq++, 3);
    a.mgr_exchange(ka, ack(ka, 3));
    Message kb = vsm::keep_alive(b.mgr_seq++, 5);
    b.mgr_exchange(kb, ack(kb, 5));
    cap.advance(1000000);
  }
  Message add = vsm::add_function(a.mgr_seq++, 3, 7);
  a.mgr_exchange(add, op_ack(add, 3, 0, 7, "Starting"));
  cap.advance(200000);
  Message up = status_report(a.node_seq++, 3, 7, "Running");
  a.node_exchange(up, ack(up, 3));
  Message g = get_request(a.mgr_seq++, 3, 7);
  a.mgr_exchange(g, get_ack(g, 3, 7));
  Message mv = vsm::transfer(Operation::Move, a.mgr_seq++, 3, 5, 7);
  a.mgr_send(mv);
  cap.advance(300000);
  Message upb = status_report(b.node_seq++, 5, 7, "Running");
  b.node_exchange(upb, ack(upb, 5));
  a.node_send(op_ack(mv, 3, 5, 7, "Running"));
  Message ms = session_move(a.mgr_seq++, 3, 5);
  a.mgr_exchange(ms, op_ack(ms, 3, 0, 0, "Running"));
  Message down = status_report(a.node_seq++, 3, 7, "Terminating");
  a.node_exchange(down, ack(down, 3));
  Message kb = vsm::keep_alive(b.mgr_seq++, 5);
  b.mgr_exchange(kb, ack(kb, 5));
  Message dr = vsm::deregistration(a.node_seq++, 3);
  a.node_exchange(dr, ack(dr, 3));
  ta.close();
  tb.close();
}

// The same kind of exchange written with the draft's literal Length (total - 3).
void literal_length(const std::string& dir) {
  Capture cap(dir + "/literal-length.pcapng");
  TcpConn tcp(cap, host(3), 40011, host(1), vsm::kDefaultPort);
  tcp.handshake();
  const auto L = LengthConvention::Literal3;
  std::uint32_t ns = 1, ms = 100;
  Message r = vsm::registration(ns++, 0);
  tcp.send(true, enc(r, L));
  tcp.send(false, enc(ack(r, 3), L));
  Message ka = vsm::keep_alive(ms++, 3);
  tcp.send(false, enc(ka, L));
  tcp.send(true, enc(ack(ka, 3), L));
  Message add = vsm::add_function(ms++, 3, 7);
  tcp.send(false, enc(add, L));
  tcp.send(true, enc(op_ack(add, 3, 0, 7, "Starting"), L));
  Message dr = vsm::deregistration(ns++, 3);
  tcp.send(true, enc(dr, L));
  tcp.send(false, enc(ack(dr, 3), L));
  tcp.close();
}

// PDUs split over segments at every byte, at odd points, and many per segment.
void split_coalesced(const std::string& dir) {
  Capture cap(dir + "/split-coalesced.pcapng");
  TcpConn tcp(cap, host(3), 40021, host(1), vsm::kDefaultPort);
  Session s{tcp};
  tcp.handshake();
  registration(s, 3, false);
  // A MOVE sent one byte per segment.
  Message mv = vsm::transfer(Operation::Move, s.mgr_seq++, 3, 5, 7);
  for (std::uint8_t byte : enc(mv)) tcp.send(false, Buf{byte});
  s.node_send(op_ack(mv, 3, 5, 7, "Running"));
  // A Status-Update cut in three uneven pieces.
  Buf su = enc(status_report(s.node_seq++, 3, 7, "Running"));
  tcp.send(true, Buf(su.begin(), su.begin() + 3));
  tcp.send(true, Buf(su.begin() + 3, su.begin() + 29));
  tcp.send(true, Buf(su.begin() + 29, su.end()));
  s.mgr_send(ack(Message(MsgType::StatusUpdate, s.node_seq - 1), 3));
  // Ten Keep-Alives in one segment, their ten ACKs in another.
  Buf many, acks;
  for (int i = 0; i < 10; ++i) {
    Message ka = vsm::keep_alive(s.mgr_seq++, 3);
    Buf b = enc(ka);
    many.insert(many.end(), b.begin(), b.end());
    Buf a = enc(ack(ka, 3));
    acks.insert(acks.end(), a.begin(), a.end());
  }
  tcp.send(false, many);
  tcp.send(true, acks);
  // End of one message + a whole one + the start of a third.
  Message g1 = get_request(s.mgr_seq++, 3, 0);
  Message g2 = vsm::add_function(s.mgr_seq++, 3, 8);
  Message g3 = vsm::delete_function(s.mgr_seq++, 3, 8);
  Buf b1 = enc(g1), b2 = enc(g2), b3 = enc(g3);
  tcp.send(false, Buf(b1.begin(), b1.begin() + 10));
  Buf mid(b1.begin() + 10, b1.end());
  mid.insert(mid.end(), b2.begin(), b2.end());
  mid.insert(mid.end(), b3.begin(), b3.begin() + 5);
  tcp.send(false, mid);
  tcp.send(false, Buf(b3.begin() + 5, b3.end()));
  s.node_send(get_ack(g1, 3, 0));
  s.node_send(op_ack(g2, 3, 0, 8, "Starting"));
  s.node_send(op_ack(g3, 3, 0, 8, "Terminating"));
  tcp.close();
}

// Segments arriving out of order (reassembled with TCP's out-of-order preference).
void out_of_order(const std::string& dir) {
  Capture cap(dir + "/out-of-order.pcapng");
  TcpConn tcp(cap, host(3), 40025, host(1), vsm::kDefaultPort);
  Session s{tcp};
  tcp.handshake();
  registration(s, 3, false);
  Message mv = vsm::transfer(Operation::Move, s.mgr_seq++, 3, 5, 7);
  tcp.send_reversed(false, enc(mv), 11);
  s.node_send(op_ack(mv, 3, 5, 7, "Running"));
  Message ka = vsm::keep_alive(s.mgr_seq++, 3);
  s.mgr_exchange(ka, ack(ka, 3));
  tcp.close();
}

// VSM over TCP on IPv6, with IPv6 address options.
void ipv6(const std::string& dir) {
  Capture cap(dir + "/ipv6.pcapng");
  TcpConn tcp(cap, host(3), 40031, host(1), vsm::kDefaultPort, true);
  Session s{tcp};
  tcp.handshake();
  registration(s, 3, true, true);
  Message ms = session_move(s.mgr_seq++, 3, 5, true);
  s.mgr_exchange(ms, op_ack(ms, 3, 0, 0, "Running"));
  Message dr = vsm::deregistration(s.node_seq++, 3);
  s.node_exchange(dr, ack(dr, 3));
  tcp.close();
}

// VSM on a TCP port nobody configured: found by the heuristic or Decode As.
void heuristic(const std::string& dir) {
  Capture cap(dir + "/heuristic.pcapng");
  TcpConn tcp(cap, host(3), 40041, host(1), 4000);
  Session s{tcp};
  tcp.handshake();
  registration(s, 3, false);
  Message ka = vsm::keep_alive(s.mgr_seq++, 3);
  s.mgr_exchange(ka, ack(ka, 3));
  Message add = vsm::add_function(s.mgr_seq++, 3, 7);
  s.mgr_exchange(add, op_ack(add, 3, 0, 7, "Starting"));
  tcp.close();
}

// Other protocols on an unconfigured TCP port: the heuristic must leave them alone.
void not_vsm(const std::string& dir) {
  Capture cap(dir + "/not-vsm.pcapng");
  TcpConn tcp(cap, host(3), 40045, host(1), 8081);
  tcp.handshake();
  const std::string_view http = "GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n";
  tcp.send(true, Buf(http.begin(), http.end()));
  const std::string_view reply = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  tcp.send(false, Buf(reply.begin(), reply.end()));
  // Byte patterns close to a VSM header: a valid-looking type and length but
  // options that do not fill the message, and pseudo-random payloads.
  tcp.send(true, Buf{2, 0, 0, 12, 0, 0, 0, 1, 4, 0, 0, 4, 0, 0, 0});
  tcp.send(true, Buf{0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x03});
  std::uint32_t x = 12345;
  for (int i = 0; i < 20; ++i) {
    Buf b(40 + static_cast<std::size_t>(i) * 7);
    for (auto& c : b) {
      x = x * 1103515245u + 12345u;
      c = static_cast<std::uint8_t>(x >> 16);
    }
    tcp.send(i % 2 == 0, b);
  }
  tcp.close();
}

// Sequence numbers wrapping from 0xFFFFFF to 0, and reused after their ACK.
void seq_wrap(const std::string& dir) {
  Capture cap(dir + "/seq-wrap.pcapng");
  TcpConn tcp(cap, host(3), 40051, host(1), vsm::kDefaultPort);
  Session s{tcp};
  s.mgr_seq = 0xFFFFFE;
  tcp.handshake();
  registration(s, 3, false);
  for (int i = 0; i < 4; ++i) {
    Message ka = vsm::keep_alive(s.mgr_seq, 3);
    s.mgr_seq = vsm::next_seq(s.mgr_seq);
    s.mgr_exchange(ka, ack(ka, 3));
    cap.advance(250000);
  }
  tcp.close();
}

// An ACK three seconds after its Keep-Alive: paired by default, given up on
// with a pairing interval under three seconds.
void late_ack(const std::string& dir) {
  Capture cap(dir + "/late-ack.pcapng");
  TcpConn tcp(cap, host(3), 40055, host(1), vsm::kDefaultPort);
  Session s{tcp};
  tcp.handshake();
  registration(s, 3, false);
  Message ka = vsm::keep_alive(s.mgr_seq++, 3);
  s.mgr_send(ka);
  cap.advance(3000000);
  s.node_send(ack(ka, 3));
  tcp.close();
}

// SCTP on the default port; one packet bundles two DATA chunks.
void sctp(const std::string& dir, const std::string& name, std::uint16_t port, std::uint32_t ppid) {
  Capture cap(dir + "/" + name);
  SctpAssoc sc(cap, host(3), 40061, host(1), port, ppid);
  Message r = vsm::registration(1, 0);
  sc.send(true, {enc(r)});
  sc.send(false, {enc(ack(r, 3))});
  Message ka = vsm::keep_alive(100, 3);
  Message g = get_request(101, 3, 0);
  sc.send(false, {enc(ka), enc(g)});
  sc.send(true, {enc(ack(ka, 3)), enc(get_ack(g, 3, 0))});
  Message mv = vsm::transfer(Operation::Move, 102, 3, 5, 7);
  sc.send(false, {enc(mv)});
  sc.send(true, {enc(op_ack(mv, 3, 5, 7, "Running"))});
  Message dr = vsm::deregistration(2, 3);
  sc.send(true, {enc(dr)});
  sc.send(false, {enc(ack(dr, 3))});
}

// Messages that break one rule each, framed correctly on TCP.
void malformed_tcp(const std::string& dir) {
  Capture cap(dir + "/malformed-tcp.pcapng");
  TcpConn tcp(cap, host(3), 40071, host(1), vsm::kDefaultPort);
  Session s{tcp};
  Expect ex;
  tcp.handshake();
  std::uint32_t f;

  // Registration without its Node ID.
  Message r(MsgType::Registration, s.node_seq++);
  r.add(Option::port(vsm::kDefaultPort));
  ex.at(s.node_send(r), "VSM-6.2.1-NODE-ID");
  s.mgr_send(ack(r, 3));
  s.node = 3;

  // Keep-Alive with a Sub-Type.
  Message ka = vsm::keep_alive(s.mgr_seq++, 3);
  ka.subtype = 5;
  ex.at(s.mgr_send(ka), "VSM-6.1-SUBTYPE-ZERO");
  s.node_send(ack(ka, 3));

  // Status-Update with a Code.
  Message su = vsm::status_update(s.node_seq++, 3);
  su.code = 3;
  ex.at(s.node_send(su), "VSM-6.1-CODE-ZERO");
  s.mgr_send(ack(su, 3));

  // ADD whose Node ID option is 3 octets long.
  Message add(MsgType::Operation, s.mgr_seq++, vsm::u8(Operation::Add));
  add.add(Option::raw(vsm::u8(vsm::OptType::NodeId), 0, std::array<std::uint8_t, 3>{0, 0, 3}));
  add.add(Option::function_id(7));
  ex.at(s.mgr_send(add), "VSM-6.4.4-LENGTH");
  s.node_send(op_ack(add, 3, 0, 7, "Starting"));

  // Unknown message type 9.
  Message unknown;
  unknown.type = 9;
  unknown.seq = s.mgr_seq++;
  unknown.add(Option::node_id(3));
  ex.at(s.mgr_send(unknown), "VSM-6.1-TYPE");

  // Keep-Alive with an unknown option 42.
  Message ko = vsm::keep_alive(s.mgr_seq++, 3);
  ko.add(Option::raw(42, 0, std::array<std::uint8_t, 2>{1, 2}));
  ex.at(s.mgr_send(ko), "VSM-6.1-OPTION-TYPE");
  s.node_send(ack(ko, 3));

  // An ACK nobody asked for.
  ex.at(s.mgr_send(ack(Message(MsgType::StatusUpdate, 777), 3)), "VSM-6.2.6-ACK-UNSOLICITED");

  // MOVE answered with the wrong Sub-Type.
  Message mv = vsm::transfer(Operation::Move, s.mgr_seq++, 3, 5, 7);
  s.mgr_send(mv);
  Message bad = op_ack(mv, 3, 5, 7, "Running");
  bad.subtype = vsm::u8(Operation::Copy);
  ex.at(s.node_send(bad), "VSM-6.2.6-ACK-SUBTYPE");

  // The same sequence number twice while the first waits for its ACK.
  Message k1 = vsm::keep_alive(s.mgr_seq, 3);
  s.mgr_send(k1);
  ex.at(s.mgr_send(k1), "VSM-6.1-SEQ-DUPLICATE");
  s.mgr_seq++;
  s.node_send(ack(k1, 3));

  // A Keep-Alive sent by the Execution Node.
  Message kn = vsm::keep_alive(s.node_seq++, 3);
  ex.at(s.node_send(kn), "VSM-5-ROLE");
  s.mgr_send(ack(kn, 3));

  // An ACK of that ACK.
  ex.at(s.node_send(ack(kn, 3)), "VSM-5-ACK-NOT-ACKED");

  // MOVE naming this node (3) as the destination of a move from node 5.
  Message rev = vsm::transfer(Operation::Move, s.mgr_seq++, 5, 3, 7);
  // With a Port it is not the destination-first announcement of codec/PROFILE.md
  // "Transfers" (which carries none): the Node IDs are in the wrong order.
  rev.add(Option::ipv4({10, 0, 0, 5})).add(Option::port(vsm::kDefaultPort + 1));
  ex.at(s.mgr_send(rev), "VSM-6.3.4-ORDER");
  s.node_send(op_ack(rev, 5, 3, 7, "Running"));

  // COPY without its Function ID.
  Message cp(MsgType::Operation, s.mgr_seq++, vsm::u8(Operation::Copy));
  cp.add(Option::node_id(3)).add(Option::node_id(6));
  ex.at(s.mgr_send(cp), "VSM-6.3.5-MANDATORY");
  s.node_send(op_ack(cp, 3, 6, 7, "Running"));

  // A Status-Update whose last option runs past the end of the message.
  Message over = vsm::status_update(s.node_seq++, 3);
  over.add(Option::function_info(vsm::function_info::Name, "P-CSCF"));
  over.options.back().length_override = 40;
  ex.at(s.node_send(over), "VSM-6.1-OPTION-LENGTH");
  s.mgr_send(ack(over, 3));

  // Error message without a failure Code.
  Message e = vsm::error_message(s.node_seq++, ResultCode::Failed, "no code");
  e.code = 0;
  ex.at(s.node_send(e), "VSM-5-ERROR-CONTENT");
  s.mgr_send(ack(e, 3));

  // GET listing an item with a value; its ACK without a Running status.
  Message g = get_request(s.mgr_seq++, 3, 0);
  g.add(Option::node_info(vsm::node_info::TotalMemory, "1"));
  ex.at(s.mgr_send(g), "VSM-6.3.1-ZERO-VALUES");
  Message ga = ack(g, 3);
  ga.add(Option::function_id(0));
  ga.add(Option::node_info(vsm::node_info::ProcessingCapacity, "2.4"));
  ga.add(Option::node_info(vsm::node_info::AvailableMemory, "8589934592"));
  ga.add(ntp_boot(vsm::OptType::NodeInfo));
  ga.add(Option::node_info(vsm::node_info::TotalMemory, "17179869184"));
  ex.at(s.node_send(ga), "VSM-6.3.1-ACK-OPTIONS");

  // Status-Update with a binary number, an unknown Running status and an
  // unknown Node information item.
  Message odd = vsm::status_update(s.node_seq++, 3);
  odd.add(Option::raw(vsm::u8(vsm::OptType::NodeInfo), vsm::node_info::AvailableMemory,
                      std::array<std::uint8_t, 4>{0x00, 0x10, 0x00, 0x00}));
  odd.add(Option::running_status("Sleeping"));
  odd.add(Option::node_info(99, "1"));
  f = s.node_send(odd);
  ex.at(f, "VSM-6.4-ENCODING");
  ex.at(f, "VSM-6.4.7-RUNNING-STATUS");
  ex.at(f, "VSM-6.4.6-SUB-OP-TYPE");
  s.mgr_send(ack(odd, 3));

  // A Keep-Alive never ACKed (seen only once the whole capture is read).
  Message lone = vsm::keep_alive(s.mgr_seq++, 3);
  ex.two_pass(s.mgr_send(lone), "VSM-5-ACK");
  tcp.close();
  ex.save(dir + "/malformed-tcp.expect");
}

// Requests sent in a state where the profile allows none (PROFILE.md,
// "Registration state"), every one ACKed: three connections.
void state_rules(const std::string& dir) {
  Capture cap(dir + "/state-rules.pcapng");
  Expect ex;
  // Node 3: requests before its Registration is ACKed, a second Registration,
  // requests after its De-registration was ACKed.
  TcpConn ta(cap, host(3), 40081, host(1), vsm::kDefaultPort);
  Session a{ta};
  ta.handshake();
  Message early = vsm::keep_alive(a.mgr_seq++, 3);  // the manager speaks before any Registration
  ex.at(a.mgr_send(early), "VSM-5-REGISTERED");
  a.node_send(ack(early, 0));
  Message reg = vsm::registration(a.node_seq++, 3);
  a.node_send(reg);
  Message su = vsm::status_update(a.node_seq++, 3);  // pipelined behind the Registration
  ex.at(a.node_send(su), "VSM-5-REGISTERED");
  Message add = vsm::add_function(a.mgr_seq++, 3, 7);  // before the manager's own ACK of it
  ex.at(a.mgr_send(add), "VSM-5-REGISTERED");
  a.mgr_send(ack(reg, 3));
  a.mgr_send(ack(su, 3));
  a.node_send(op_ack(add, 3, 0, 7, "Starting"));
  Message again = vsm::registration(a.node_seq++, 3);
  ex.at(a.node_send(again), "VSM-5-REGISTER-ONCE");
  a.mgr_send(ack(again, 3));
  Message dr = vsm::deregistration(a.node_seq++, 3);
  a.node_exchange(dr, ack(dr, 3));
  Message ka = vsm::keep_alive(a.mgr_seq++, 3);
  ex.at(a.mgr_send(ka), "VSM-5-DEREGISTERED");
  a.node_send(ack(ka, 3));
  Message late = vsm::status_update(a.node_seq++, 3);
  ex.at(a.node_send(late), "VSM-5-DEREGISTERED");
  a.mgr_send(ack(late, 3));
  ta.close();
  // Node 5: refused (Code 130), then a Status-Update anyway.
  TcpConn tb(cap, host(5), 40083, host(1), vsm::kDefaultPort);
  Session b{tb};
  tb.handshake();
  Message refused = vsm::registration(b.node_seq++, 5);
  b.node_exchange(refused, ack(refused, 5, ResultCode::AdministrativelyProhibited));
  Message su5 = vsm::status_update(b.node_seq++, 5);
  ex.at(b.node_send(su5), "VSM-5-REGISTERED");
  b.mgr_send(ack(su5, 5, ResultCode::Failed));
  tb.close();
  // Node 6: de-registered by the manager, which then sends a GET; the node
  // ACKs both and sends a Status-Update after its ACK of the De-registration.
  TcpConn tc(cap, host(6), 40085, host(1), vsm::kDefaultPort);
  Session c{tc};
  tc.handshake();
  registration(c, 6, false);
  Message force = vsm::deregistration(c.mgr_seq++, 6);
  c.mgr_send(force);
  Message g = get_request(c.mgr_seq++, 6, 0);
  ex.at(c.mgr_send(g), "VSM-5-DEREGISTERED");
  c.node_send(ack(force, 6));
  c.node_send(get_ack(g, 6, 0));
  Message su6 = vsm::status_update(c.node_seq++, 6);
  ex.at(c.node_send(su6), "VSM-5-DEREGISTERED");
  c.mgr_send(ack(su6, 6));
  tc.close();
  ex.save(dir + "/state-rules.expect");
}

// SCTP with messages not one per DATA chunk (vsm::SctpJoiner): three in one
// chunk, one across two chunks, one whose Length field is split, and one across
// three chunks ending in a chunk that holds a further whole message.
void sctp_chunks(const std::string& dir) {
  Capture cap(dir + "/sctp-chunks.pcapng");
  SctpAssoc sc(cap, host(3), 40071, host(1), vsm::kDefaultPort, 0);
  const auto piece = [](const Buf& b, std::size_t from, std::size_t to) {
    return Buf(b.begin() + static_cast<std::ptrdiff_t>(from), b.begin() + static_cast<std::ptrdiff_t>(to));
  };
  Message r = vsm::registration(1, 0);
  sc.send(true, {enc(r)});
  sc.send(false, {enc(ack(r, 3))});
  Message k1 = vsm::keep_alive(100, 3), k2 = vsm::keep_alive(101, 3), k3 = vsm::keep_alive(102, 3);
  Buf three = enc(k1);
  for (const Message* m : {&k2, &k3}) {
    const Buf b = enc(*m);
    three.insert(three.end(), b.begin(), b.end());
  }
  sc.send(false, {three});
  sc.send(true, {enc(ack(k1, 3)), enc(ack(k2, 3)), enc(ack(k3, 3))});
  Message mv = vsm::transfer(Operation::Move, 103, 3, 5, 7);
  const Buf m = enc(mv);
  sc.send(false, {piece(m, 0, 8)});  // the header alone
  sc.send(false, {piece(m, 8, m.size())});
  const Buf a = enc(op_ack(mv, 3, 5, 7, "Running"));
  sc.send(true, {piece(a, 0, 3)});  // not even the whole Length field
  sc.send(true, {piece(a, 3, a.size())});
  Message g = get_request(104, 3, 0);
  const Buf gb = enc(g), gab = enc(get_ack(g, 3, 0));
  sc.send(false, {gb});
  sc.send(true, {piece(gab, 0, 5)});
  sc.send(true, {piece(gab, 5, 12)});
  Message dr = vsm::deregistration(2, 3);
  Buf tail = piece(gab, 12, gab.size());
  const Buf drb = enc(dr);
  tail.insert(tail.end(), drb.begin(), drb.end());
  sc.send(true, {tail});
  sc.send(false, {enc(ack(dr, 3))});
}

// Length problems, on SCTP where each DATA chunk ends its message unless the
// next chunk continues it (vsm::SctpJoiner): a message whose Length runs past
// its chunk is reported cut short when the next chunk begins a new message.
void malformed_sctp(const std::string& dir) {
  Capture cap(dir + "/malformed-sctp.pcapng");
  SctpAssoc sc(cap, host(3), 40081, host(1), vsm::kDefaultPort, 0);
  Expect ex;
  Message r = vsm::registration(1, 3);
  sc.send(true, {enc(r)});
  sc.send(false, {enc(ack(r, 3))});
  // Length announces more than the chunk holds: held for a continuation, shown cut short with the next chunk.
  Message a = vsm::keep_alive(100, 3);
  a.length_override = 40;
  sc.send(false, {enc(a)});
  // Length announces less than the chunk holds.
  Message b = vsm::keep_alive(101, 3);
  Buf bb = enc(b);
  bb.push_back(0xEE);
  bb.push_back(0xEE);
  const std::uint32_t both = sc.send(false, {bb});
  ex.at(both, "VSM-6.1-LENGTH");  // the cut-short Keep-Alive 100
  ex.at(both, "VSM-6.1-LENGTH");  // and this one
  // Length smaller than the header itself.
  Message c = vsm::keep_alive(102, 3);
  c.length_override = 1;
  ex.at(sc.send(false, {enc(c)}), "VSM-6.1-LENGTH");
  // Five octets: not even a header (held like the first, shown cut short with the next chunk).
  sc.send(false, {Buf{2, 0, 0, 8, 0}});
  // The literal convention (total - 3): the chunk ends where that convention says.
  Message d = vsm::keep_alive(103, 3);
  const std::uint32_t literal = sc.send(false, {enc(d, LengthConvention::Literal3)});
  ex.at(literal, "VSM-6.1-LENGTH");  // the cut-short 5 octets
  ex.at(literal, "VSM-6.1-LENGTH");  // this one, under the profile's convention
  ex.at(literal, "VSM-6.1-LENGTH-LITERAL");
  ex.save(dir + "/malformed-sctp.expect");
}

// The benchmark capture: <count> VSM messages in request/ACK pairs, several per segment.
void bench(std::size_t count, const std::string& path) {
  Capture cap(path);
  TcpConn tcp(cap, host(3), 40091, host(1), vsm::kDefaultPort);
  Session s{tcp};
  tcp.handshake();
  registration(s, 3, false);
  std::size_t written = 2;
  std::uint32_t round = 0;
  while (written < count) {
    Buf reqs, acks;
    for (int i = 0; i < 4 && written < count; ++i, ++round) {
      Message m = round % 3 == 0   ? vsm::keep_alive(s.mgr_seq, 3)
                  : round % 3 == 1 ? vsm::transfer(Operation::Move, s.mgr_seq, 3, 5, 7)
                                   : get_request(s.mgr_seq, 3, 0);
      s.mgr_seq = vsm::next_seq(s.mgr_seq);
      Buf b = enc(m);
      reqs.insert(reqs.end(), b.begin(), b.end());
      Message a = m.subtype == vsm::u8(Operation::Move)  ? op_ack(m, 3, 5, 7, "Running")
                  : m.subtype == vsm::u8(Operation::Get) ? get_ack(m, 3, 0)
                                                         : ack(m, 3);
      Buf ab = enc(a);
      acks.insert(acks.end(), ab.begin(), ab.end());
      written += 2;
    }
    tcp.send(false, reqs);
    tcp.send(true, acks);
  }
  tcp.close();
}

}  // namespace

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  const vsm::cli::CommandHelp help{
      "vsm-tracegen", "", "FOLDER | --bench MESSAGES FILE",
      "Writes the project's sample captures (pcapng, byte for byte reproducible) and their .expect\n"
      "files into FOLDER; --bench writes one large capture of MESSAGES messages to FILE."};
  po::options_description desc("Options");
  desc.add_options()("help,h", "this text")("version", "the version, the codec's and the draft's")(
      "bench", "one large capture for the benchmark: MESSAGES FILE");
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (vsm::cli::asks_for(args, "help", "h")) {
    vsm::cli::print_help(std::cout, help, desc);
    return vsm::cli::kExitOk;
  }
  if (vsm::cli::asks_for(args, "version")) {
    std::cout << vsm::cli::version_text("vsm-tracegen");
    return vsm::cli::kExitOk;
  }
  if (args.size() == 3 && args[0] == "--bench") {
    char* end = nullptr;
    const unsigned long count = std::strtoul(args[1].c_str(), &end, 10);
    if (args[1].empty() || *end != '\0' || count == 0) {
      return vsm::cli::usage_error(std::cerr, help, "--bench MESSAGES: a positive number");
    }
    bench(count, args[2]);
    return vsm::cli::kExitOk;
  }
  if (args.size() != 1 || (args[0].size() > 1 && args[0][0] == '-')) {
    return vsm::cli::usage_error(
        std::cerr, help,
        args.empty() ? std::string("no output folder given") : std::string("unexpected arguments (one output folder)"));
  }
  const std::string& dir = args[0];
  all_messages(dir);
  session_mobility(dir);
  literal_length(dir);
  split_coalesced(dir);
  out_of_order(dir);
  ipv6(dir);
  heuristic(dir);
  not_vsm(dir);
  seq_wrap(dir);
  late_ack(dir);
  sctp(dir, "sctp.pcapng", vsm::kDefaultPort, 0);
  sctp(dir, "sctp-decode-as.pcapng", 9900, 4242);
  malformed_tcp(dir);
  malformed_sctp(dir);
  sctp_chunks(dir);
  state_rules(dir);
  return 0;
}
