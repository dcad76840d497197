// SPDX-License-Identifier: GPL-2.0-or-later
// Evidence captures as pcapng through libwiretap's dump API (see evidence.hpp).
#include "evidence.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "checksum.hpp"

#ifdef VSM_EVIDENCE_HAVE_WIRETAP
extern "C" {
#include <wiretap/wtap.h>
#include <wsutil/wslog.h>
}
#endif

namespace vsm::evidence {

namespace {

enum : std::uint8_t { kFin = 0x01, kSyn = 0x02, kPsh = 0x08, kAck = 0x10 };
// SCTP chunk types and DATA flags.
enum : std::uint8_t { kData = 0, kInit = 1, kInitAck = 2, kShutdown = 7, kCookieEcho = 10, kCookieAck = 11 };
enum : std::uint8_t { kEnd = 0x01, kBegin = 0x02 };
constexpr std::size_t kMaxChunk = 65000;  // user data per DATA chunk or TCP segment

bool same(const Endpoint& a, const Endpoint& b) { return a.v6 == b.v6 && a.port == b.port && a.addr == b.addr; }

#ifdef VSM_EVIDENCE_HAVE_WIRETAP
void put16(std::vector<std::uint8_t>& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}
void put32(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}

// The IP header for `proto` in front of `body` (a TCP segment or an SCTP packet).
std::vector<std::uint8_t> ip_packet(const Endpoint& src, const Endpoint& dst, std::uint8_t proto,
                                    std::span<const std::uint8_t> body) {
  const std::size_t ip_len = src.v6 ? 40 : 20;
  std::vector<std::uint8_t> b(ip_len + body.size(), 0);
  if (src.v6) {
    b[0] = 0x60;
    put16(b, 4, static_cast<std::uint16_t>(body.size()));
    b[6] = proto;
    b[7] = 64;
    std::copy(src.addr.begin(), src.addr.end(), b.begin() + 8);
    std::copy(dst.addr.begin(), dst.addr.end(), b.begin() + 24);
  } else {
    b[0] = 0x45;
    put16(b, 2, static_cast<std::uint16_t>(b.size()));
    b[6] = 0x40;  // don't fragment
    b[8] = 64;
    b[9] = proto;
    std::copy(src.addr.begin(), src.addr.begin() + 4, b.begin() + 12);
    std::copy(dst.addr.begin(), dst.addr.begin() + 4, b.begin() + 16);
    put16(b, 10, checksum::finish(checksum::ones_sum(std::span(b).first(20))));
  }
  std::copy(body.begin(), body.end(), b.begin() + static_cast<std::ptrdiff_t>(ip_len));
  return b;
}

// One IP packet carrying one TCP segment from `src` to `dst`.
std::vector<std::uint8_t> tcp_packet(const Endpoint& src, const Endpoint& dst, std::uint32_t seq, std::uint32_t ack,
                                     std::uint8_t flags, std::span<const std::uint8_t> payload) {
  const std::size_t tcp_len = 20, seg = tcp_len + payload.size();
  std::vector<std::uint8_t> t(seg, 0);
  put16(t, 0, src.port);
  put16(t, 2, dst.port);
  put32(t, 4, seq);
  put32(t, 8, ack);
  t[12] = 5 << 4;
  t[13] = flags;
  put16(t, 14, 65535);
  std::copy(payload.begin(), payload.end(), t.begin() + static_cast<std::ptrdiff_t>(tcp_len));
  // Checksum over the pseudo-header and the segment.
  const std::size_t alen = src.v6 ? 16 : 4;
  const std::uint32_t pseudo =
      checksum::pseudo_header(std::span(src.addr).first(alen), std::span(dst.addr).first(alen), 6, seg);
  put16(t, 16, checksum::finish(checksum::ones_sum(t, pseudo)));
  return ip_packet(src, dst, 6, t);
}

// One IP packet carrying an SCTP packet with one chunk (RFC 9260): the common
// header with the receiver's verification tag and the CRC32c checksum.
std::vector<std::uint8_t> sctp_packet(const Endpoint& src, const Endpoint& dst, std::uint32_t vtag,
                                      std::span<const std::uint8_t> chunk) {
  std::vector<std::uint8_t> p(12 + chunk.size(), 0);
  put16(p, 0, src.port);
  put16(p, 2, dst.port);
  put32(p, 4, vtag);
  std::copy(chunk.begin(), chunk.end(), p.begin() + 12);
  while (p.size() % 4) p.push_back(0);
  const std::uint32_t sum = checksum::crc32c(p);
  for (int i = 0; i < 4; ++i) p[8 + i] = static_cast<std::uint8_t>(sum >> (8 * i));  // as Linux stores it
  return ip_packet(src, dst, 132, p);
}

// An SCTP chunk: type, flags, length and `body` (padding is the packet's).
std::vector<std::uint8_t> chunk(std::uint8_t type, std::uint8_t flags, std::span<const std::uint8_t> body) {
  std::vector<std::uint8_t> c(4 + body.size(), 0);
  c[0] = type;
  c[1] = flags;
  put16(c, 2, static_cast<std::uint16_t>(c.size()));
  std::copy(body.begin(), body.end(), c.begin() + 4);
  return c;
}
#endif

}  // namespace

#ifdef VSM_EVIDENCE_HAVE_WIRETAP

struct Writer::Impl {
  wtap_dumper* d = nullptr;
  wtap_block_t idb = nullptr;
  wtapng_iface_descriptions_t idbs{};

  ~Impl() {
    if (idbs.interface_data) g_array_free(idbs.interface_data, TRUE);
    if (idb) wtap_block_unref(idb);
  }
  // Closes the dumper; false with `error` set on failure.
  bool close(const std::string& path, std::string& error) {
    if (!d) return true;
    gboolean reload = FALSE;
    int err = 0;
    gchar* info = nullptr;
    const bool ok = wtap_dump_close(d, &reload, &err, &info);
    d = nullptr;
    if (!ok) error = fmt::format("closing {}: {}", path, wtap_strerror(err));
    g_free(info);
    return ok;
  }
};

bool available() { return true; }

std::unique_ptr<Writer> Writer::open(const std::string& path, const std::string& app, std::string& error) {
  static bool initialised = false;
  if (!initialised) {
    ws_log_set_level(LOG_LEVEL_WARNING);  // wiretap's debug lines are not for our users
    wtap_init(FALSE);
    initialised = true;
  }
  auto impl = std::make_unique<Impl>();
  impl->idb = wtap_block_create(WTAP_BLOCK_IF_ID_AND_INFO);
  auto* m = static_cast<wtapng_if_descr_mandatory_t*>(wtap_block_get_mandatory_data(impl->idb));
  m->wtap_encap = WTAP_ENCAP_RAW_IP;
  m->time_units_per_second = 1000000;
  m->tsprecision = WTAP_TSPREC_USEC;
  m->snap_len = 262144;
  wtap_block_add_string_option(impl->idb, OPT_IDB_NAME, app.c_str(), app.size());
  wtap_block_add_uint8_option(impl->idb, OPT_IDB_TSRESOL, 6);
  impl->idbs.interface_data = g_array_new(FALSE, FALSE, sizeof(wtap_block_t));
  g_array_append_val(impl->idbs.interface_data, impl->idb);

  wtap_dump_params params = WTAP_DUMP_PARAMS_INIT;
  params.encap = WTAP_ENCAP_RAW_IP;
  params.snaplen = 262144;
  params.tsprec = WTAP_TSPREC_USEC;
  params.idb_inf = &impl->idbs;
  int err = 0;
  gchar* info = nullptr;
  impl->d = wtap_dump_open(path.c_str(), wtap_pcapng_file_type_subtype(), WTAP_UNCOMPRESSED, &params, &err, &info);
  if (!impl->d) {
    error = fmt::format("cannot write {}: {}{}", path, wtap_strerror(err), info ? std::string(": ") + info : "");
    g_free(info);
    return nullptr;
  }
  return std::unique_ptr<Writer>(new Writer(std::move(impl), path));
}

bool Writer::put(double wall, const Endpoint& src, const Endpoint& dst, std::uint32_t seq, std::uint32_t ack,
                 std::uint8_t flags, std::span<const std::uint8_t> payload, const std::string& comment) {
  return put_packet(wall, tcp_packet(src, dst, seq, ack, flags, payload), comment);
}

bool Writer::put_sctp(double wall, const Endpoint& src, const Endpoint& dst, std::uint32_t vtag, std::uint8_t type,
                      std::uint8_t flags, std::span<const std::uint8_t> body, const std::string& comment) {
  return put_packet(wall, sctp_packet(src, dst, vtag, chunk(type, flags, body)), comment);
}

bool Writer::put_packet(double wall, const std::vector<std::uint8_t>& pkt, const std::string& comment) {
  if (!ok_ || finished_) return false;
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
  ok_ = wtap_dump(impl_->d, &rec, pkt.data(), &err, &info);
  wtap_block_unref(rec.block);
  rec.block = nullptr;
  wtap_rec_cleanup(&rec);
  if (!ok_) {
    error_ = fmt::format("wtap_dump: {}{}", wtap_strerror(err), info ? std::string(": ") + info : "");
    g_free(info);
  } else {
    ++packets_;
  }
  return ok_;
}

bool Writer::finish() {
  if (finished_) return ok_;
  finished_ = true;
  std::string e;
  if (!impl_->close(path_, e) && ok_) {
    error_ = e;
    ok_ = false;
  }
  return ok_;
}

#else

struct Writer::Impl {};

bool available() { return false; }

std::unique_ptr<Writer> Writer::open(const std::string&, const std::string&, std::string& error) {
  error = "this build has no libwiretap";
  return nullptr;
}

bool Writer::put(double, const Endpoint&, const Endpoint&, std::uint32_t, std::uint32_t, std::uint8_t,
                 std::span<const std::uint8_t>, const std::string&) {
  return false;
}

bool Writer::put_sctp(double, const Endpoint&, const Endpoint&, std::uint32_t, std::uint8_t, std::uint8_t,
                      std::span<const std::uint8_t>, const std::string&) {
  return false;
}

bool Writer::finish() {
  finished_ = true;
  return ok_;
}

#endif

Writer::Writer(std::unique_ptr<Impl> impl, std::string path) : impl_(std::move(impl)), path_(std::move(path)) {}

Writer::~Writer() { finish(); }

namespace {

void be16(std::vector<std::uint8_t>& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void be32(std::vector<std::uint8_t>& b, std::uint32_t v) {
  be16(b, static_cast<std::uint16_t>(v >> 16));
  be16(b, static_cast<std::uint16_t>(v));
}

// INIT and INIT ACK bodies: initiate tag, a_rwnd, one stream each way, initial TSN (and a state cookie).
std::vector<std::uint8_t> init_body(std::uint32_t tag, std::uint32_t tsn, bool with_cookie) {
  std::vector<std::uint8_t> b;
  be32(b, tag);
  be32(b, 65535);
  be16(b, 1);
  be16(b, 1);
  be32(b, tsn);
  if (with_cookie) {  // State Cookie parameter (type 7): an opaque 8 octets
    be16(b, 7);
    be16(b, 12);
    be32(b, tag);
    be32(b, tsn);
  }
  return b;
}

}  // namespace

void Writer::set_transport(Transport t) { transport_ = t; }

bool Writer::open_conn(std::uint64_t conn, const Endpoint& client, const Endpoint& server, double wall,
                       const std::string& comment, std::uint32_t client_isn, std::uint32_t server_isn) {
  if (flows_.count(conn)) return ok_;
  Flow& f = flows_[conn];
  f.client = client;
  f.seq_client = client_isn;
  f.seq_server = server_isn;
  f.sctp = transport_ == Transport::Sctp;
  if (f.sctp) {
    // The four-way handshake; the verification tags are derived from the ISNs, which become the initial TSNs.
    f.tag_client = 0x10000000u ^ client_isn ^ static_cast<std::uint32_t>(conn);
    f.tag_server = 0x20000000u ^ server_isn ^ static_cast<std::uint32_t>(conn);
    const std::vector<std::uint8_t> init_ack = init_body(f.tag_server, f.seq_server, true);
    const std::span<const std::uint8_t> cookie = std::span(init_ack).subspan(20);  // the State Cookie's value
    return put_sctp(wall, client, server, 0, kInit, 0, init_body(f.tag_client, f.seq_client, false), comment) &&
           put_sctp(wall, server, client, f.tag_client, kInitAck, 0, init_ack, "") &&
           put_sctp(wall, client, server, f.tag_server, kCookieEcho, 0, cookie, "") &&
           put_sctp(wall, server, client, f.tag_client, kCookieAck, 0, {}, "");
  }
  return put(wall, client, server, f.seq_client - 1, 0, kSyn, {}, comment) &&
         put(wall, server, client, f.seq_server - 1, f.seq_client, kSyn | kAck, {}, "") &&
         put(wall, client, server, f.seq_client, f.seq_server, kAck, {}, "");
}

std::optional<Writer::Side> Writer::side(std::uint64_t conn, const Endpoint& src, const Endpoint& dst, double wall) {
  if (!ok_) return std::nullopt;
  if (!flows_.count(conn) && !open_conn(conn, src, dst, wall, "")) return std::nullopt;
  Flow& f = flows_[conn];
  const bool from_client = same(src, f.client);
  return Side{&f, from_client ? &f.seq_client : &f.seq_server, from_client ? f.seq_server : f.seq_client,
              from_client ? &f.ssn_client : &f.ssn_server, from_client ? f.tag_server : f.tag_client};
}

bool Writer::message(std::uint64_t conn, const Endpoint& src, const Endpoint& dst, double wall,
                     std::span<const std::uint8_t> bytes, const std::string& comment) {
  const auto s = side(conn, src, dst, wall);
  if (!s) return false;
  if (s->flow->closed) return true;
  std::uint32_t& seq = *s->seq;
  const std::uint32_t ack = s->ack;
  // TCP: segments of at most kMaxChunk octets (one per message in practice).
  // SCTP: one message is one DATA chunk, fragmented (B ... E) above kMaxChunk;
  // TSNs count chunks, the stream sequence number counts messages.
  for (std::size_t at = 0; at < bytes.size(); at += kMaxChunk) {
    const std::size_t n = std::min<std::size_t>(kMaxChunk, bytes.size() - at);
    const std::string& note = at == 0 ? comment : std::string();
    if (s->flow->sctp) {
      const auto flags = static_cast<std::uint8_t>((at == 0 ? kBegin : 0) | (at + n == bytes.size() ? kEnd : 0));
      std::vector<std::uint8_t> body;
      be32(body, seq++);
      be16(body, 0);          // stream 0
      be16(body, *s->ssn);    // stream sequence number
      be32(body, kSctpPpid);  // payload protocol identifier
      body.insert(body.end(), bytes.begin() + static_cast<std::ptrdiff_t>(at),
                  bytes.begin() + static_cast<std::ptrdiff_t>(at + n));
      if (!put_sctp(wall, src, dst, s->peer_tag, kData, flags, body, note)) return false;
    } else {
      if (!put(wall, src, dst, seq, ack, kPsh | kAck, bytes.subspan(at, n), note)) return false;
      seq += static_cast<std::uint32_t>(n);
    }
  }
  if (s->flow->sctp) ++*s->ssn;
  return true;
}

bool Writer::close_conn(std::uint64_t conn, const Endpoint& src, const Endpoint& dst, double wall,
                        const std::string& comment) {
  const auto s = side(conn, src, dst, wall);
  if (!s) return false;
  if (s->flow->closed) return true;
  if (s->flow->sctp) {
    std::vector<std::uint8_t> body;
    be32(body, s->ack - 1);  // cumulative TSN of the peer's data received
    if (!put_sctp(wall, src, dst, s->peer_tag, kShutdown, 0, body, comment)) return false;
  } else {
    if (!put(wall, src, dst, *s->seq, s->ack, kFin | kAck, {}, comment)) return false;
    ++*s->seq;
  }
  s->flow->closed = true;
  return true;
}

}  // namespace vsm::evidence
