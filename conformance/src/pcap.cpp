// SPDX-License-Identifier: GPL-2.0-or-later
// Evidence capture: every byte the runner sent and received, as pcapng
// written with libwiretap's dump API. Raw IP packets (link type 101) with
// the connections' real addresses and ports; each connection gets a
// synthesized three-way handshake, consistent TCP sequence and
// acknowledgement numbers, and a FIN when it ended. Every packet carries a
// comment naming the test and any finding about the message.
#include "pcap.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <span>

#ifdef VSM_CONFORM_HAVE_WIRETAP
extern "C" {
#include <wiretap/wtap.h>
#include <wsutil/wslog.h>
}
#endif

namespace vsm::conform {

#ifdef VSM_CONFORM_HAVE_WIRETAP

namespace {

void put16(std::vector<std::uint8_t>& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}
void put32(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}
std::uint32_t sum16(const std::uint8_t* p, std::size_t n, std::uint32_t acc = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) acc += static_cast<std::uint32_t>((p[i] << 8) | p[i + 1]);
  if (n % 2) acc += static_cast<std::uint32_t>(p[n - 1] << 8);
  return acc;
}
std::uint16_t fold(std::uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xFFFF) + (acc >> 16);
  return static_cast<std::uint16_t>(~acc & 0xFFFF);
}

enum : std::uint8_t { kFin = 0x01, kSyn = 0x02, kPsh = 0x08, kAck = 0x10 };

// One IP packet carrying one TCP segment from `src` to `dst`.
std::vector<std::uint8_t> packet(const Endpoint& src, const Endpoint& dst, std::uint32_t seq, std::uint32_t ack,
                                 std::uint8_t flags, std::span<const std::uint8_t> payload) {
  const std::size_t ip_len = src.v6 ? 40 : 20, tcp_len = 20;
  std::vector<std::uint8_t> b(ip_len + tcp_len + payload.size(), 0);
  const std::size_t seg = tcp_len + payload.size();
  if (src.v6) {
    b[0] = 0x60;
    put16(b, 4, static_cast<std::uint16_t>(seg));
    b[6] = 6;  // TCP
    b[7] = 64;
    std::copy(src.addr.begin(), src.addr.end(), b.begin() + 8);
    std::copy(dst.addr.begin(), dst.addr.end(), b.begin() + 24);
  } else {
    b[0] = 0x45;
    put16(b, 2, static_cast<std::uint16_t>(b.size()));
    b[6] = 0x40;  // don't fragment
    b[8] = 64;
    b[9] = 6;
    std::copy(src.addr.begin(), src.addr.begin() + 4, b.begin() + 12);
    std::copy(dst.addr.begin(), dst.addr.begin() + 4, b.begin() + 16);
    put16(b, 10, fold(sum16(b.data(), 20)));
  }
  const std::size_t t = ip_len;
  put16(b, t, src.port);
  put16(b, t + 2, dst.port);
  put32(b, t + 4, seq);
  put32(b, t + 8, ack);
  b[t + 12] = 5 << 4;
  b[t + 13] = flags;
  put16(b, t + 14, 65535);
  std::copy(payload.begin(), payload.end(), b.begin() + static_cast<std::ptrdiff_t>(t + tcp_len));
  // Checksum over the pseudo-header and the segment.
  std::uint32_t acc = 0;
  if (src.v6) {
    acc = sum16(b.data() + 8, 32);
    acc += static_cast<std::uint32_t>(seg >> 16) + static_cast<std::uint32_t>(seg & 0xFFFF) + 6;
  } else {
    acc = sum16(b.data() + 12, 8);
    acc += 6 + static_cast<std::uint32_t>(seg);
  }
  put16(b, t + 16, fold(sum16(b.data() + t, seg, acc)));
  return b;
}

struct Flow {
  std::uint32_t seq_runner = 1000, seq_iut = 5000;  // next sequence number of each side
  bool open = false, closed = false;
};

class Writer {
 public:
  explicit Writer(wtap_dumper* d) : d_(d) {}
  bool put(double wall, const std::vector<std::uint8_t>& pkt, const std::string& comment, std::string& error) {
    wtap_rec rec;
    wtap_rec_init(&rec);
    rec.rec_type = REC_TYPE_PACKET;
    rec.presence_flags = WTAP_HAS_TS | WTAP_HAS_CAP_LEN | WTAP_HAS_INTERFACE_ID;
    rec.ts.secs = static_cast<time_t>(wall);
    rec.ts.nsecs = static_cast<int>((wall - static_cast<double>(rec.ts.secs)) * 1e9);
    rec.tsprec = WTAP_TSPREC_USEC;
    rec.rec_header.packet_header.caplen = static_cast<guint32>(pkt.size());
    rec.rec_header.packet_header.len = static_cast<guint32>(pkt.size());
    rec.rec_header.packet_header.pkt_encap = WTAP_ENCAP_RAW_IP;
    rec.rec_header.packet_header.interface_id = 0;
    rec.block = wtap_block_create(WTAP_BLOCK_PACKET);
    if (!comment.empty()) wtap_block_add_string_option(rec.block, OPT_COMMENT, comment.c_str(), comment.size());
    int err = 0;
    gchar* info = nullptr;
    const bool ok = wtap_dump(d_, &rec, pkt.data(), &err, &info);
    wtap_block_unref(rec.block);
    rec.block = nullptr;
    wtap_rec_cleanup(&rec);
    if (!ok) {
      error = fmt::format("wtap_dump: {}{}", wtap_strerror(err), info ? std::string(": ") + info : "");
      g_free(info);
    }
    return ok;
  }

 private:
  wtap_dumper* d_;
};

}  // namespace

bool pcap_available() { return true; }

bool write_pcap(const std::string& path, const std::vector<Result>& results, std::string& error) {
  static bool initialised = false;
  if (!initialised) {
    ws_log_set_level(LOG_LEVEL_WARNING);  // wiretap's debug lines are not for our users
    wtap_init(FALSE);
    initialised = true;
  }
  wtap_block_t idb = wtap_block_create(WTAP_BLOCK_IF_ID_AND_INFO);
  auto* m = static_cast<wtapng_if_descr_mandatory_t*>(wtap_block_get_mandatory_data(idb));
  m->wtap_encap = WTAP_ENCAP_RAW_IP;
  m->time_units_per_second = 1000000;
  m->tsprecision = WTAP_TSPREC_USEC;
  m->snap_len = 262144;
  wtap_block_add_string_option(idb, OPT_IDB_NAME, "vsm-conform", 11);
  wtap_block_add_uint8_option(idb, OPT_IDB_TSRESOL, 6);
  wtapng_iface_descriptions_t idbs;
  idbs.interface_data = g_array_new(FALSE, FALSE, sizeof(wtap_block_t));
  g_array_append_val(idbs.interface_data, idb);

  wtap_dump_params params = WTAP_DUMP_PARAMS_INIT;
  params.encap = WTAP_ENCAP_RAW_IP;
  params.snaplen = 262144;
  params.tsprec = WTAP_TSPREC_USEC;
  params.idb_inf = &idbs;
  int err = 0;
  gchar* info = nullptr;
  wtap_dumper* d =
      wtap_dump_open(path.c_str(), wtap_pcapng_file_type_subtype(), WTAP_UNCOMPRESSED, &params, &err, &info);
  bool ok = d != nullptr;
  if (!ok) {
    error = fmt::format("cannot write {}: {}{}", path, wtap_strerror(err), info ? std::string(": ") + info : "");
    g_free(info);
  } else {
    Writer w(d);
    std::map<std::uint64_t, Flow> flows;
    for (const auto& r : results) {
      for (const auto& e : r.ladder) {
        if (e.kind == Exchange::Kind::Log || e.conn_uid == 0 || !ok) continue;
        Flow& f = flows[e.conn_uid];
        if (f.closed) continue;
        const std::string test = fmt::format("vsm-conform test {} ({})", r.test->id, verdict_name(r.verdict));
        if (!f.open) {  // the handshake, from the side that opened the connection
          const Endpoint& cl = e.runner_initiated ? e.runner : e.iut;
          const Endpoint& sv = e.runner_initiated ? e.iut : e.runner;
          std::uint32_t& cs = e.runner_initiated ? f.seq_runner : f.seq_iut;
          std::uint32_t& ss = e.runner_initiated ? f.seq_iut : f.seq_runner;
          ok = ok && w.put(e.wall, packet(cl, sv, cs - 1, 0, kSyn, {}), test + ": connection " + e.conn, error);
          ok = ok && w.put(e.wall, packet(sv, cl, ss - 1, cs, kSyn | kAck, {}), "", error);
          ok = ok && w.put(e.wall, packet(cl, sv, cs, ss, kAck, {}), "", error);
          f.open = true;
        }
        const Endpoint& src = e.from_runner ? e.runner : e.iut;
        const Endpoint& dst = e.from_runner ? e.iut : e.runner;
        std::uint32_t& ss = e.from_runner ? f.seq_runner : f.seq_iut;
        const std::uint32_t ack = e.from_runner ? f.seq_iut : f.seq_runner;
        std::string comment = test + (e.from_runner ? ": runner sent " : ": received ") + e.summary;
        for (const auto& x : e.findings) comment += "; finding " + x;
        if (e.kind == Exchange::Kind::Close) {
          ok = ok && w.put(e.wall, packet(src, dst, ss, ack, kFin | kAck, {}), comment, error);
          ++ss;
          f.closed = true;
          continue;
        }
        // Segments of at most 65000 octets (one per message in practice).
        for (std::size_t at = 0; at < e.bytes.size() && ok; at += 65000) {
          const std::size_t n = std::min<std::size_t>(65000, e.bytes.size() - at);
          ok = w.put(e.wall, packet(src, dst, ss, ack, kPsh | kAck, std::span(e.bytes.data() + at, n)),
                     at == 0 ? comment : "", error);
          ss += static_cast<std::uint32_t>(n);
        }
      }
    }
    gboolean reload = FALSE;
    if (!wtap_dump_close(d, &reload, &err, &info) && ok) {
      error = fmt::format("closing {}: {}", path, wtap_strerror(err));
      g_free(info);
      ok = false;
    }
  }
  g_array_free(idbs.interface_data, TRUE);
  wtap_block_unref(idb);
  return ok;
}

#else

bool pcap_available() { return false; }
bool write_pcap(const std::string&, const std::vector<Result>&, std::string& error) {
  error = "this build of vsm-conform has no libwiretap";
  return false;
}

#endif

}  // namespace vsm::conform
