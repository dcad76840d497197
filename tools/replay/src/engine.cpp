// SPDX-License-Identifier: GPL-2.0-or-later
#include "engine.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

namespace vsm::replay {
namespace {

constexpr std::uint8_t kProtoTcp = 6, kProtoSctp = 132;
// SCTP chunk types and DATA flags.
constexpr std::uint8_t kChunkData = 0, kChunkInit = 1, kChunkAbort = 6, kChunkShutdownComplete = 14;
constexpr std::uint8_t kDataEnd = 0x01, kDataBegin = 0x02;
// A segment further ahead than this is not believed to belong to the stream.
constexpr std::int32_t kMaxWindow = 1 << 30;

int idx(Dir d) { return static_cast<int>(d); }

std::uint32_t be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}

// The order of std::tie(addr, port) (octets as big-endian words, then the port), without memcmp calls.
bool endpoint_less(const Endpoint& x, const Endpoint& y) noexcept {
  std::uint64_t a[2], b[2];
  std::memcpy(a, x.addr.data(), 16);
  std::memcpy(b, y.addr.data(), 16);
  for (int i = 0; i < 2; ++i) {
    if (a[i] != b[i]) return __builtin_bswap64(a[i]) < __builtin_bswap64(b[i]);
  }
  return x.port < y.port;
}

// Calls f(message, offset in bytes) for each of the `count` whole messages
// that lie back to back in `bytes` (their sizes were checked by the framing).
template <typename F>
void for_each_message(ByteSpan bytes, std::uint32_t count, LengthConvention c, F&& f) {
  if (count == 1) {
    f(bytes, std::size_t{0});
    return;
  }
  std::size_t at = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint32_t size = declared_size_at(bytes.subspan(at), c);
    f(bytes.subspan(at, size), at);
    at += size;
  }
}

}  // namespace

std::string Conn::name() const {
  // Appended, not `"c" + std::string&&`: g++ 12 -O3 warns falsely (-Wrestrict, GCC bug 105329) on that.
  std::string s = "c";
  s.append(std::to_string(id)).append(" ").append(endpoint(Dir::FromInitiator));
  s.append("-").append(endpoint(Dir::FromResponder));
  return s;
}

std::uint64_t Engine::hash(const Key& k) noexcept {
  std::uint64_t w[4];
  std::memcpy(w, k.a.data(), 16);
  std::memcpy(w + 2, k.b.data(), 16);
  std::uint64_t h = (static_cast<std::uint64_t>(k.pa) << 32 | static_cast<std::uint64_t>(k.pb) << 8 | k.proto) *
                    0x9E3779B97F4A7C15ull;
  for (std::uint64_t x : w) h = (h ^ x) * 0xBF58476D1CE4E5B9ull + (h >> 29);
  return h ^ (h >> 32);
}

Engine::ConnTable::~ConnTable() {
  for (Slot& s : slots_) delete s.conn;
}

Conn* Engine::ConnTable::find(const Key& k, std::uint64_t h) const noexcept {
  if (size_ == 0) return nullptr;
  for (std::size_t i = h & mask();; i = (i + 1) & mask()) {
    const Slot& s = slots_[i];
    if (s.conn == nullptr) return nullptr;
    if (s.hash == h && s.key == k) return s.conn;
  }
}

Conn* Engine::ConnTable::insert(const Key& k, std::uint64_t h, std::unique_ptr<Conn> c) {
  if ((size_ + 1) * 2 > slots_.size()) grow();
  std::size_t i = h & mask();
  while (slots_[i].conn != nullptr) i = (i + 1) & mask();
  slots_[i].key = k;
  slots_[i].hash = h;
  slots_[i].conn = c.release();
  ++size_;
  return slots_[i].conn;
}

std::unique_ptr<Conn> Engine::ConnTable::erase(const Key& k, std::uint64_t h) noexcept {
  if (size_ == 0) return nullptr;
  std::size_t i = h & mask();
  for (;; i = (i + 1) & mask()) {
    if (slots_[i].conn == nullptr) return nullptr;
    if (slots_[i].hash == h && slots_[i].key == k) break;
  }
  std::unique_ptr<Conn> out(slots_[i].conn);
  slots_[i].conn = nullptr;
  --size_;
  // Backward-shift deletion: later entries of the probe run move up so that every run stays unbroken.
  for (std::size_t j = (i + 1) & mask(); slots_[j].conn != nullptr; j = (j + 1) & mask()) {
    const std::size_t home = slots_[j].hash & mask();
    if (((j - home) & mask()) >= ((j - i) & mask())) {
      slots_[i] = slots_[j];
      slots_[j].conn = nullptr;
      i = j;
    }
  }
  return out;
}

std::vector<std::unique_ptr<Conn>> Engine::ConnTable::take_all() {
  std::vector<std::unique_ptr<Conn>> all;
  all.reserve(size_);
  for (Slot& s : slots_) {
    if (s.conn != nullptr) all.emplace_back(s.conn);
    s.conn = nullptr;
  }
  size_ = 0;
  return all;
}

void Engine::ConnTable::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 64 : 2 * old.size(), Slot{});
  for (const Slot& s : old) {
    if (s.conn == nullptr) continue;
    std::size_t i = s.hash & mask();
    while (slots_[i].conn != nullptr) i = (i + 1) & mask();
    slots_[i] = s;
  }
}

// ---------------------------------------------------------------------------
// The optional worker thread: the front end (packets, reassembly, framing)
// records what it would tell the back end in batches; the worker replays them
// in order. Batches are bounded and recycled, so memory stays bounded.

class Engine::Pipeline {
 public:
  explicit Pipeline(Engine& e) : e_(e) {
    for (int i = 0; i < kBatches; ++i) free_.push_back(std::make_unique<Batch>());
    cur_ = take_free();
    front_checks_ = e_.opt_.always_share_checks;
    worker_ = std::thread([this] { run(); });
  }
  ~Pipeline() { stop(); }

  // `bytes` holds `count` whole messages back to back (the framer's sizes).
  void pdus(Conn& c, Dir d, std::uint64_t frame, double time, std::uint64_t offset, ByteSpan bytes,
            std::uint32_t count) {
    Batch& b = *cur_;
    std::uint32_t checked = kNone;
    if (front_checks_) {
      // The worker is behind: the single-message rules are run here instead
      // (they need nothing but the message), and only their findings travel,
      // with the decoded views (their spans are re-pointed at the batch's copy),
      // so the worker does not decode again.
      checked = static_cast<std::uint32_t>(b.checked.size());
      for_each_message(bytes, count, e_.opt_.convention, [&](ByteSpan m, std::size_t) {
        front_list_.clear();
        Checked& k = b.checked.emplace_back();
        k.view = decode(m, e_.opt_.convention);
        check_message(k.view, front_list_);
        k.pre_at = static_cast<std::uint32_t>(b.findings.size());
        k.pre_n = static_cast<std::uint32_t>(front_list_.size());
        b.findings.insert(b.findings.end(), front_list_.begin(), front_list_.end());
      });
    }
    b.events.push_back(Event{&c, frame, time, offset, static_cast<std::uint32_t>(b.used),
                             static_cast<std::uint32_t>(bytes.size()), checked, count, Kind::Pdu, d});
    b.append(bytes);
    if (b.events.size() >= kEvents || b.used >= kBytes) flush();
  }
  void notice(Notice n) {
    Batch& b = *cur_;
    b.events.push_back(Event{nullptr, 0, 0, 0, static_cast<std::uint32_t>(b.notices.size()), 0, kNone, 0, Kind::Notice,
                             Dir::FromInitiator});
    b.notices.push_back(std::move(n));
  }
  void finding(Conn& c, std::optional<Dir> d, std::uint64_t frame, const Finding& f) {
    Batch& b = *cur_;
    b.events.push_back(Event{&c, frame, 0, 0, static_cast<std::uint32_t>(b.findings.size()), 0, kNone, 0,
                             d ? Kind::Finding : Kind::FindingNoDir, d.value_or(Dir::FromInitiator)});
    b.findings.push_back(f);
  }
  void close(std::unique_ptr<Conn> c) {
    Batch& b = *cur_;
    b.events.push_back(Event{c.get(), 0, 0, 0, 0, 0, kNone, 0, Kind::Close, Dir::FromInitiator});
    b.closed.push_back(std::move(c));
    if (b.closed.size() >= kEvents) flush();
  }
  void stop() {
    if (!worker_.joinable()) return;
    flush();
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    ready_.notify_all();
    worker_.join();
  }

 private:
  enum class Kind : std::uint8_t { Pdu, Notice, Finding, FindingNoDir, Close };
  static constexpr std::uint32_t kNone = ~0u;
  // Small on purpose: the front end writes one per message.
  struct Event {
    Conn* conn;
    std::uint64_t frame;
    double time;
    std::uint64_t offset;   // Pdu: stream offset of the first message
    std::uint32_t at;       // Pdu: offset in bytes; Notice / Finding: index
    std::uint32_t len;      // Pdu: size of all the messages
    std::uint32_t checked;  // Pdu: index in checked of the first message, or kNone
    std::uint32_t count;    // Pdu: whole messages back to back
    Kind kind;
    Dir dir;
  };
  // A message whose rules already ran on the front end: its findings are findings[pre_at, +pre_n).
  struct Checked {
    MessageView view;
    std::uint32_t pre_at = 0, pre_n = 0;
  };
  struct Batch {
    Batch() {
      events.reserve(kEvents);
      checked.reserve(kEvents);
      bytes.resize(kBytes + 64 * 1024);
    }
    std::vector<Event> events;
    std::vector<Checked> checked;
    // The messages' bytes: [0, used) of a buffer that only grows (no zero-filling, no per-message insert).
    std::vector<std::uint8_t> bytes;
    std::size_t used = 0;
    void append(ByteSpan m) {
      if (bytes.size() - used < m.size()) bytes.resize(std::max(2 * bytes.size(), used + m.size()));
      std::memcpy(bytes.data() + used, m.data(), m.size());
      used += m.size();
    }
    std::vector<Notice> notices;
    std::vector<Finding> findings;
    std::vector<std::unique_ptr<Conn>> closed;
    void clear() {
      events.clear();
      checked.clear();
      used = 0;
      notices.clear();
      findings.clear();
      closed.clear();  // their Close events have been handled
    }
  };
  static constexpr int kBatches = 6;
  static constexpr std::size_t kEvents = 4096, kBytes = 512 * 1024;

  std::unique_ptr<Batch> take_free() {
    std::unique_lock lock(mu_);
    space_.wait(lock, [&] { return !free_.empty(); });
    auto b = std::move(free_.back());
    free_.pop_back();
    return b;
  }
  void flush() {
    if (cur_->events.empty()) return;
    {
      std::lock_guard lock(mu_);
      full_.push_back(std::move(cur_));
      // Share the rule checks while the worker has a backlog.
      front_checks_ = full_.size() >= 2 || e_.opt_.always_share_checks;
    }
    ready_.notify_one();
    cur_ = take_free();
  }
  void run() {
    for (;;) {
      std::unique_ptr<Batch> b;
      {
        std::unique_lock lock(mu_);
        ready_.wait(lock, [&] { return !full_.empty() || done_; });
        if (full_.empty()) return;
        b = std::move(full_.front());
        full_.pop_front();
      }
      for (const Event& ev : b->events) {
        switch (ev.kind) {
          case Kind::Pdu: {
            std::uint32_t n = 0;
            const ByteSpan run(b->bytes.data() + ev.at, ev.len);
            for_each_message(run, ev.count, e_.opt_.convention, [&](ByteSpan m, std::size_t at) {
              if (ev.checked == kNone) {
                e_.back_pdu(*ev.conn, ev.dir, m, ev.frame, ev.time, ev.offset + at, nullptr, 0, false);
                return;
              }
              Checked& k = b->checked[ev.checked + n++];
              k.view.bytes = m;
              e_.back_pdu(*ev.conn, ev.dir, m, ev.frame, ev.time, ev.offset + at, b->findings.data() + k.pre_at,
                          k.pre_n, true, &k.view);
            });
            break;
          }
          case Kind::Notice: e_.sink().notice(b->notices[ev.at]); break;
          case Kind::Finding: e_.sink().finding(*ev.conn, ev.dir, ev.frame, b->findings[ev.at]); break;
          case Kind::FindingNoDir: e_.sink().finding(*ev.conn, std::nullopt, ev.frame, b->findings[ev.at]); break;
          case Kind::Close: e_.back_close(*ev.conn); break;
        }
      }
      b->clear();
      {
        std::lock_guard lock(mu_);
        free_.push_back(std::move(b));
      }
      space_.notify_one();
    }
  }

  Engine& e_;
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<std::unique_ptr<Batch>> full_;
  std::vector<std::unique_ptr<Batch>> free_;
  std::unique_ptr<Batch> cur_;
  bool done_ = false;
  bool front_checks_ = false;  // front end only
  FindingList front_list_;
  std::thread worker_;
};

Engine::Engine(Options opt, Sink& sink) : opt_(std::move(opt)), sink_(sink) {
  for (std::uint16_t p : opt_.ports)
    port_bits_[p / 16] = static_cast<std::uint16_t>(port_bits_[p / 16] | 1u << (p % 16));
  if (opt_.threads >= 2) pipe_ = std::make_unique<Pipeline>(*this);
}

Engine::~Engine() {
  if (pipe_) pipe_->stop();
}

bool Engine::vsm_port(std::uint16_t port) const noexcept { return (port_bits_[port / 16] >> (port % 16)) & 1u; }

Engine::Key Engine::key_of(const Packet& p) {
  Key k;
  k.proto = p.kind == Packet::Kind::Tcp ? kProtoTcp : kProtoSctp;
  const bool src_first = endpoint_less(p.src, p.dst);
  const Endpoint& x = src_first ? p.src : p.dst;
  const Endpoint& y = src_first ? p.dst : p.src;
  k.a = x.addr;
  k.b = y.addr;
  k.pa = x.port;
  k.pb = y.port;
  return k;
}

void Engine::packet(std::uint64_t frame, double time, const Packet& p) {
  ++stats_.packets;
  frame_ = frame;
  time_ = time;
  switch (p.kind) {
    case Packet::Kind::Tcp:
      ++stats_.tcp;
      tcp(frame, time, p);
      break;
    case Packet::Kind::Sctp:
      ++stats_.sctp;
      sctp(frame, time, p);
      break;
    case Packet::Kind::Other: ++stats_.other; break;
    case Packet::Kind::Fragment:
      ++stats_.fragments;
      notice({Notice::Kind::Fragment, frame, nullptr, Dir::FromInitiator, 0, p.why});
      break;
    case Packet::Kind::Malformed:
      ++stats_.malformed;
      notice({Notice::Kind::Malformed, frame, nullptr, Dir::FromInitiator, 0, p.why});
      break;
    case Packet::Kind::Cut:
      ++stats_.cut;
      notice({Notice::Kind::Cut, frame, nullptr, Dir::FromInitiator, 0, p.why});
      break;
  }
}

// Front end: what the stream still holds when a connection ends.
void Engine::close_front(Conn& c) {
  for (int d = 0; d < 2; ++d) {
    Stream& s = c.s[d];
    // Held out-of-order data: everything before it is missing.
    while (c.claim == Conn::Claim::Vsm && !s.pending.empty()) {
      const std::uint64_t first = s.pending.begin()->first;
      if (first > s.next_abs) gap(c, static_cast<Dir>(d), first - s.next_abs, "data missing before the end");
      drain(c, static_cast<Dir>(d));
    }
    if (c.claim == Conn::Claim::Vsm && s.framer && s.framer->buffered() > 0) {
      notice({Notice::Kind::Gap, c.last_frame, &c, static_cast<Dir>(d), s.framer->buffered(),
              "connection ends inside a message"});
    }
    // As the dissector, which never sees the end of an association: the held start of a message is no message.
    if (c.claim == Conn::Claim::Vsm && s.joiner && s.joiner->held() > 0) {
      notice({Notice::Kind::Gap, c.last_frame, &c, static_cast<Dir>(d), s.joiner->held(),
              "association ends inside a message (its DATA chunk ended before its Length said)"});
    }
  }
}

// Back end: the requests still waiting, then the connection is gone.
void Engine::back_close(Conn& c) {
  if (c.tracker) {
    std::vector<EarlierFinding> out;
    c.tracker->finish(out);
    // Like the dissector, a message of unknown type left unanswered at the end is not reported again
    // (its type is already an error).
    for (const EarlierFinding& e : out) {
      if (is_known_type(e.type)) sink_.finding(c, std::nullopt, e.id, e.finding);
    }
  }
  if (c.claim == Conn::Claim::Vsm) sink_.conn_closed(c);
}

void Engine::close(const Key& k) {
  std::unique_ptr<Conn> c = conns_.erase(k, hash(k));
  if (!c) return;
  close_front(*c);
  retire(std::move(c));
}

void Engine::finish() {
  std::vector<std::unique_ptr<Conn>> all = conns_.take_all();
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a->id < b->id; });
  for (auto& c : all) {
    close_front(*c);
    retire(std::move(c));
  }
  if (pipe_) pipe_->stop();
}

Conn* Engine::lookup(const Packet& p, bool create, bool& created) {
  created = false;
  const Key k = key_of(p);
  const std::uint64_t h = hash(k);
  if (Conn* c = conns_.find(k, h)) return c;
  if (!create) return nullptr;
  auto c = std::make_unique<Conn>();
  c->id = next_id_++;
  c->transport = p.kind == Packet::Kind::Tcp ? Transport::Tcp : Transport::Sctp;
  c->v6 = p.v6;
  c->first_frame = frame_;
  c->first_time = time_;
  // Who opened it: the SYN's sender; else the side not on a VSM port; else the first one heard.
  bool src_initiates = true;
  if (c->transport == Transport::Tcp && (p.flags & tcpflag::kSyn)) {
    src_initiates = !(p.flags & tcpflag::kAck);
    c->saw_start = true;
  } else if (vsm_port(p.src.port) != vsm_port(p.dst.port)) {
    src_initiates = vsm_port(p.dst.port);
  }
  c->ep[0] = src_initiates ? p.src : p.dst;
  c->ep[1] = src_initiates ? p.dst : p.src;
  ++stats_.connections;
  created = true;
  Conn* raw = conns_.insert(k, h, std::move(c));
  stats_.peak_open = std::max(stats_.peak_open, conns_.size());
  return raw;
}

void Engine::give_up_auto(Conn& c) {
  c.claim = Conn::Claim::NotVsm;
  for (Stream& s : c.s) {
    s.pending.clear();
    s.pending_bytes = 0;
    s.framer.reset();
  }
}

// ---------------------------------------------------------------------------
// TCP

void Engine::tcp(std::uint64_t frame, double time, const Packet& p) {
  const bool syn = p.flags & tcpflag::kSyn;
  const bool on_port = vsm_port(p.src.port) || vsm_port(p.dst.port);
  if (!on_port && !opt_.auto_detect) return;
  const bool may_start = syn || !p.payload.empty() || p.missing > 0;
  bool created = false;
  Conn* c = lookup(p, may_start, created);
  if (c == nullptr) return;
  // A new SYN on a finished or reused 4-tuple starts a new connection.
  if (!created && syn && !(p.flags & tcpflag::kAck)) {
    const Stream& s0 = c->s[0];
    if (s0.init && static_cast<std::uint32_t>(p.seq + 1) != s0.next_seq && s0.bytes > 0) {
      close(key_of(p));
      c = lookup(p, true, created);
    }
  }
  if (created) {
    c->claim = on_port ? Conn::Claim::Vsm : Conn::Claim::Unknown;
    if (c->claim == Conn::Claim::Vsm) ++stats_.vsm_connections;
  }
  if (c->claim == Conn::Claim::NotVsm) {
    if (p.flags & (tcpflag::kRst | tcpflag::kFin)) close(key_of(p));
    return;
  }
  c->last_frame = frame;
  c->last_time = time;
  const Dir dir = p.src == c->ep[0] ? Dir::FromInitiator : Dir::FromResponder;
  Stream& s = c->s[idx(dir)];

  if (syn && !s.init) {
    s.init = true;
    s.next_seq = p.seq + 1;
  }
  // The peer acknowledged data this capture does not hold: it is missing.
  if ((p.flags & tcpflag::kAck) && c->claim == Conn::Claim::Vsm) {
    Stream& o = c->s[idx(other(dir))];
    const auto ahead = static_cast<std::int32_t>(p.ack - o.next_seq);
    if (o.init && ahead > 0 && ahead < kMaxWindow) {
      std::uint64_t hole = static_cast<std::uint64_t>(ahead);
      if (!o.pending.empty()) hole = std::min(hole, o.pending.begin()->first - o.next_abs);
      if (hole > 0) gap(*c, other(dir), hole, "acknowledged by the peer but not captured");
      drain(*c, other(dir));
    }
  }
  if (!p.payload.empty() || p.missing > 0) {
    if (!s.init) {  // already open when the capture started
      s.init = true;
      s.next_seq = p.seq;
      s.resyncing = true;
    }
    if (p.missing > 0) {
      ++stats_.cut_vsm;
      notice({Notice::Kind::Cut, frame, c, dir, p.missing,
              "snap length cut the segment: " + std::to_string(p.missing) + " of its bytes are missing"});
    }
    insert(*c, dir, syn ? p.seq + 1 : p.seq, p.payload, p.missing);
  }
  if (p.flags & tcpflag::kRst) {
    close(key_of(p));
    return;
  }
  if (p.flags & tcpflag::kFin) {
    // FIN takes one sequence number: when it is in order, step over it so that its ACK is no gap.
    if (!s.fin && s.init && static_cast<std::uint32_t>(p.seq + p.payload.size() + p.missing) == s.next_seq) {
      ++s.next_seq;
    }
    s.fin = true;
    if (c->s[0].fin && c->s[1].fin) close(key_of(p));
  }
}

void Engine::insert(Conn& c, Dir d, std::uint32_t seq, ByteSpan data, std::uint32_t missing) {
  Stream& s = c.s[idx(d)];
  const auto rel = static_cast<std::int32_t>(seq - s.next_seq);
  const std::uint64_t len = data.size();
  if (rel <= 0) {
    const auto behind = static_cast<std::uint64_t>(-static_cast<std::int64_t>(rel));
    if (behind >= len + missing) {
      if (len > 0) {
        ++s.retransmitted;
        ++stats_.retransmitted;
      }
      return;
    }
    if (behind < len) {
      push(c, d, data.subspan(behind));
      s.next_seq += static_cast<std::uint32_t>(len - behind);
      s.next_abs += len - behind;
      if (c.claim == Conn::Claim::NotVsm) return;
    }
    if (missing > 0) {
      const std::uint64_t lost = missing - (behind > len ? behind - len : 0);
      gap(c, d, lost, "cut by the snap length");
    }
    drain(c, d);
    return;
  }
  if (rel >= kMaxWindow || len == 0) return;
  // Ahead of the stream: hold it until the hole is filled.
  const std::uint64_t at = s.next_abs + static_cast<std::uint64_t>(rel);
  auto [it, fresh] = s.pending.try_emplace(at);
  if (fresh || it->second.size() < len) {
    s.pending_bytes += len - it->second.size();
    it->second.assign(data.begin(), data.end());
  }
  if (s.pending_bytes > opt_.max_pending_bytes) {
    gap(c, d, s.pending.begin()->first - s.next_abs, "too much data held behind a hole");
    drain(c, d);
  }
}

void Engine::drain(Conn& c, Dir d) {
  Stream& s = c.s[idx(d)];
  while (!s.pending.empty() && s.pending.begin()->first <= s.next_abs) {
    auto node = s.pending.extract(s.pending.begin());
    const std::vector<std::uint8_t>& v = node.mapped();
    s.pending_bytes -= v.size();
    const std::uint64_t skip = s.next_abs - node.key();
    if (skip < v.size()) {
      const ByteSpan rest = ByteSpan(v).subspan(skip);
      s.next_seq += static_cast<std::uint32_t>(rest.size());
      s.next_abs += rest.size();
      push(c, d, rest);
      if (c.claim == Conn::Claim::NotVsm) return;
    }
  }
}

void Engine::gap(Conn& c, Dir d, std::uint64_t size, const char* why) {
  if (size == 0) return;
  Stream& s = c.s[idx(d)];
  s.next_seq += static_cast<std::uint32_t>(size);
  s.next_abs += size;
  ++s.gaps;
  s.gap_bytes += size;
  ++stats_.gaps;
  stats_.gap_bytes += size;
  std::string text = std::to_string(size) + " bytes missing (" + why + ")";
  if (s.framer && s.framer->buffered() > 0) {
    text += "; " + std::to_string(s.framer->buffered()) + " bytes of an incomplete message dropped";
  }
  if (s.framer) s.framer->reset(size);
  s.resyncing = true;
  s.resync_dropped = 0;
  s.gap_start_frame = frame_;
  notice({Notice::Kind::Gap, frame_, &c, d, size, std::move(text)});
}

void Engine::push(Conn& c, Dir d, ByteSpan data) {
  Stream& s = c.s[idx(d)];
  s.bytes += data.size();
  if (data.empty()) return;
  if (c.claim == Conn::Claim::Unknown) {
    // --auto: a segment that starts with one whole message that passes the heuristic claims the connection.
    bool yes = false;
    if (data.size() >= kHeaderSize && plausible_header(data, opt_.convention)) {
      const std::uint32_t size = declared_size_at(data, opt_.convention);
      yes = size > 0 && size <= data.size() && looks_like_vsm(data.first(size), opt_.convention);
    }
    if (!yes) {
      if (++s.tries >= opt_.auto_tries && c.s[idx(other(d))].tries >= opt_.auto_tries) give_up_auto(c);
      if (c.s[0].tries + c.s[1].tries >= 4 * opt_.auto_tries) give_up_auto(c);
      return;
    }
    c.claim = Conn::Claim::Vsm;
    ++stats_.vsm_connections;
    s.resyncing = false;
  }
  if (!s.framer) s.framer = std::make_unique<Framer>(opt_.convention);
  Framer& f = *s.framer;
  if (s.resyncing && s.framer->buffered() == 0 && data.size() >= kHeaderSize &&
      plausible_header(data, opt_.convention)) {
    s.resyncing = false;
  }
  // Fast path: nothing buffered, so the whole messages at the start of the
  // segment are taken straight from it; only the rest goes through the framer.
  if (!s.resyncing && f.buffered() == 0) {
    std::size_t used = 0;
    std::uint32_t count = 0;
    while (data.size() - used >= 4) {
      const std::uint32_t size = declared_size_at(data.subspan(used), opt_.convention);
      if (size == 0 || size > data.size() - used) break;
      used += size;
      ++count;
    }
    if (used > 0) {
      pdus(c, d, data.first(used), f.stream_offset(), count);
      f.reset(used);
      data = data.subspan(used);
    }
  }
  while (!data.empty()) {
    const std::size_t n = f.feed(data);
    data = data.subspan(n);
    if (s.resyncing) {
      s.resync_dropped += f.resync();
      if (f.buffered() > 0) {
        s.resyncing = false;
        notice({Notice::Kind::Resync, frame_, &c, d, s.resync_dropped,
                "resynchronised at stream offset " + std::to_string(f.stream_offset()) + " after skipping " +
                    std::to_string(s.resync_dropped) + " bytes"});
      }
    }
    if (!s.resyncing) pump(c, d);
    if (n == 0 && s.resyncing) break;  // cannot happen: resync empties the buffer
  }
}

void Engine::pump(Conn& c, Dir d) {
  Stream& s = c.s[idx(d)];
  Framer& f = *s.framer;
  for (;;) {
    const FrameResult r = f.next();
    if (r.status == FrameStatus::NeedMore) return;
    if (r.status == FrameStatus::Pdu) {
      pdus(c, d, r.pdu, r.stream_offset, 1);
      continue;
    }
    // An impossible Length: report it on this frame and look for the next header.
    Finding fi{Req::Length, 0, 0, r.declared, 0, frame_, "impossible Length field in the TCP stream"};
    finding(c, d, frame_, fi);
    const std::size_t dropped = f.resync();
    notice({Notice::Kind::StreamError, frame_, &c, d, dropped,
            std::string(r.error) + " at stream offset " + std::to_string(r.stream_offset) + "; skipped " +
                std::to_string(dropped) + " bytes"});
  }
}

void Engine::pdus(Conn& c, Dir d, ByteSpan bytes, std::uint64_t offset, std::uint32_t count) {
  c.messages += count;
  c.s[idx(d)].messages += count;
  stats_.messages += count;
  if (pipe_) {
    pipe_->pdus(c, d, frame_, time_, offset, bytes, count);
    return;
  }
  for_each_message(bytes, count, opt_.convention, [&](ByteSpan m, std::size_t at) {
    back_pdu(c, d, m, frame_, time_, offset + at, nullptr, 0, false);
  });
}

void Engine::notice(Notice n) {
  if (pipe_) {
    pipe_->notice(std::move(n));
  } else {
    sink_.notice(n);
  }
}

void Engine::finding(Conn& c, std::optional<Dir> d, std::uint64_t frame, const Finding& f) {
  if (pipe_) {
    pipe_->finding(c, d, frame, f);
  } else {
    sink_.finding(c, d, frame, f);
  }
}

void Engine::retire(std::unique_ptr<Conn> c) {
  if (pipe_) {
    pipe_->close(std::move(c));
  } else {
    back_close(*c);
  }
}

// Back end: rules, exchange tracking, the sink.
void Engine::back_pdu(Conn& c, Dir d, ByteSpan bytes, std::uint64_t frame_, double time_, std::uint64_t offset,
                      const Finding* pre, std::size_t pre_n, bool prechecked, const MessageView* decoded) {
  const MessageView m = decoded ? *decoded : decode(bytes, opt_.convention);
  FindingList& list = findings_;
  list.clear();
  if (prechecked) {
    for (std::size_t i = 0; i < pre_n; ++i) list.add(pre[i]);
  } else {
    check_message(m, list);
  }
  if (!c.tracker) {
    TrackerConfig cfg;
    cfg.ack_timeout = opt_.ack_timeout <= 0 ? 1e18 : opt_.ack_timeout;
    cfg.saw_connection_start = c.saw_start;
    c.tracker = std::make_unique<ExchangeTracker>(cfg);
  }
  // Requests time out only as the capture time moves on: the messages of one packet share a time.
  if (time_ != c.last_expire) {
    c.last_expire = time_;
    scratch_.clear();
    c.tracker->expire(time_, scratch_);
    for (const EarlierFinding& e : scratch_) sink_.finding(c, std::nullopt, e.id, e.finding);
  }
  const ExchangeResult r = c.tracker->on_message(m, d, time_, frame_);
  for (const Finding& f : r.findings) list.add(f);
  // Requests this message made unanswerable (dropped from tracking, or
  // replaced by a message with their sequence number). A replaced message of
  // unknown type is not reported again, as at the end of the connection.
  for (const EarlierFinding& e : r.earlier) {
    if (e.why == EarlierFinding::Why::Replaced && !is_known_type(e.type)) continue;
    sink_.finding(c, e.dir, e.id, e.finding);
  }
  sink_.message(MessageEvent{frame_, time_, epoch_, c, d, m, list, r, offset});
}

// ---------------------------------------------------------------------------
// SCTP: DATA chunk fragments (B ... E) are joined into user messages, and the
// codec's SctpJoiner cuts those into VSM messages (several in one, one across
// several), exactly as the dissector does.

void Engine::sctp(std::uint64_t frame, double time, const Packet& p) {
  // Does anything in this packet say VSM?
  const bool on_port = vsm_port(p.src.port) || vsm_port(p.dst.port);
  bool by_ppid = false, has_init = false, closes = false, heuristic = false;
  const bool chain_ok = for_each_sctp_chunk(p.payload, [&](std::uint8_t type, std::uint8_t flags, ByteSpan body) {
    if (type == kChunkInit) has_init = true;
    if (type == kChunkAbort || type == kChunkShutdownComplete) closes = true;
    if (type == kChunkData && body.size() >= 12) {
      const std::uint32_t ppid = be32(&body[8]);
      if (std::find(opt_.ppids.begin(), opt_.ppids.end(), ppid) != opt_.ppids.end()) by_ppid = true;
      if (opt_.auto_detect && (flags & (kDataBegin | kDataEnd)) == (kDataBegin | kDataEnd) &&
          looks_like_vsm(body.subspan(12), opt_.convention)) {
        heuristic = true;
      }
    }
  });
  // The kernel reuses ports: an INIT on the tuple of an association that
  // carried data starts a new association (the old one may not have been
  // seen to end). Its TSNs start again and must not be taken for retransmissions.
  if (has_init) {
    const Key k = key_of(p);
    if (const Conn* old = conns_.find(k, hash(k)); old != nullptr && (old->s[0].bytes + old->s[1].bytes) != 0) close(k);
  }
  bool created = false;
  Conn* c = lookup(p, on_port || by_ppid || heuristic || has_init, created);
  if (c == nullptr) return;
  if (created) {
    if (has_init) c->ep[0] = p.src, c->ep[1] = p.dst;
    c->claim = Conn::Claim::Unknown;
  }
  if (c->claim != Conn::Claim::Vsm && (on_port || by_ppid || heuristic)) {
    c->claim = Conn::Claim::Vsm;
    ++stats_.vsm_connections;
  }
  c->last_frame = frame;
  c->last_time = time;
  const Dir dir = p.src == c->ep[0] ? Dir::FromInitiator : Dir::FromResponder;
  Stream& s = c->s[idx(dir)];
  if (c->claim == Conn::Claim::Vsm) {
    if (p.missing > 0) {
      ++stats_.cut_vsm;
      notice({Notice::Kind::Cut, frame, c, dir, p.missing,
              "snap length cut the SCTP packet: " + std::to_string(p.missing) + " bytes of chunks lost"});
    } else if (!chain_ok) {
      notice({Notice::Kind::Malformed, frame, c, dir, 0, "malformed SCTP chunk chain"});
    }
    for_each_sctp_chunk(p.payload, [&](std::uint8_t type, std::uint8_t flags, ByteSpan body) {
      if (type != kChunkData || body.size() < 12) return;
      const std::uint32_t tsn = be32(&body[0]);
      for (std::uint8_t i = 0; i < s.tsn_count; ++i) {
        if (s.recent_tsn[i] == tsn) {
          ++s.retransmitted;
          ++stats_.retransmitted;
          return;
        }
      }
      s.recent_tsn[s.tsn_next] = tsn;
      s.tsn_next = static_cast<std::uint8_t>((s.tsn_next + 1) % 8);
      if (s.tsn_count < 8) ++s.tsn_count;
      const ByteSpan user = body.subspan(12);
      s.bytes += user.size();
      const auto deliver = [&](ByteSpan whole, std::uint64_t at) {
        if (!s.joiner) s.joiner = std::make_unique<SctpJoiner>(opt_.convention);
        for (const SctpPiece& piece : s.joiner->feed(whole)) pdus(*c, dir, piece.pdu, at + piece.at, 1);
      };
      if ((flags & kDataBegin) && (flags & kDataEnd)) {
        s.in_fragment = false;
        s.fragments.clear();
        deliver(user, s.bytes - user.size());
        return;
      }
      if (flags & kDataBegin) {
        s.fragments.assign(user.begin(), user.end());
        s.in_fragment = true;
      } else if (s.in_fragment) {
        if (s.fragments.size() + user.size() > kMaxPdu + 64) {
          s.in_fragment = false;
          s.fragments.clear();
          notice({Notice::Kind::StreamError, frame, c, dir, 0, "SCTP fragments exceed the largest message"});
          return;
        }
        s.fragments.insert(s.fragments.end(), user.begin(), user.end());
      }
      if ((flags & kDataEnd) && s.in_fragment) {
        s.in_fragment = false;
        std::vector<std::uint8_t> whole;
        whole.swap(s.fragments);
        deliver(whole, s.bytes - whole.size());
      }
    });
  }
  if (closes) close(key_of(p));
}

}  // namespace vsm::replay
