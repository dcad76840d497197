// SPDX-License-Identifier: GPL-2.0-or-later
// The capture engine of vsm-replay: connection table, TCP reassembly per
// connection and direction, SCTP DATA chunks, framing, the codec's rules and
// exchange tracking. Packets go in (from the capture reader or a test); a
// Sink receives messages, findings and notices as they happen. Memory is
// bounded by the open connections: each direction holds a Framer (bounded by
// the largest message) and at most Options::max_pending_bytes of out-of-order
// data.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "packet.hpp"
#include "vsm/exchange.hpp"
#include "vsm/framing.hpp"
#include "vsm/rules.hpp"
#include "vsm/wire.hpp"

namespace vsm::replay {

struct Options {
  std::vector<std::uint16_t> ports{kDefaultPort};  // TCP and SCTP ports that carry VSM
  std::vector<std::uint32_t> ppids;                // SCTP payload protocol identifiers that carry VSM
  bool auto_detect = false;                        // other connections: the codec's strict heuristic
  LengthConvention convention = LengthConvention::Total4;
  double ack_timeout = 5.0;                    // seconds; 0 = never
  std::size_t max_pending_bytes = 256 * 1024;  // out-of-order data held per direction before a gap is declared
  int auto_tries = 8;                          // segments per direction the heuristic looks at
  // 2: reassembly and framing on the calling thread, rules, tracking and the
  // sink on a worker thread (the sink sees the same calls in the same order).
  int threads = 1;
  bool always_share_checks = false;  // tests: the front end runs the message rules whenever there is a worker
};

// One stream direction of a connection.
struct Stream {
  bool init = false;
  bool fin = false;
  bool resyncing = false;
  std::uint32_t next_seq = 0;  // TCP sequence number of the next in-order byte
  std::uint64_t next_abs = 0;  // the same as an offset from the first byte seen
  std::uint64_t resync_dropped = 0;
  std::uint64_t gap_start_frame = 0;
  std::map<std::uint64_t, std::vector<std::uint8_t>> pending;  // out-of-order segments by offset
  std::size_t pending_bytes = 0;
  std::unique_ptr<Framer> framer;  // created on first data
  int tries = 0;                   // --auto: segments looked at
  // SCTP
  std::vector<std::uint8_t> fragments;  // DATA chunk reassembly (B ... E)
  bool in_fragment = false;
  std::unique_ptr<SctpJoiner> joiner;  // user messages to VSM messages (codec rule shared with the dissector)
  std::uint32_t recent_tsn[8] = {};
  std::uint8_t tsn_count = 0, tsn_next = 0;
  // Counters
  std::uint64_t bytes = 0, messages = 0, gaps = 0, gap_bytes = 0, retransmitted = 0;
};

struct Conn {
  std::uint64_t id = 0;  // 1, 2, ... in order of appearance
  Transport transport = Transport::Tcp;
  bool v6 = false;
  Endpoint ep[2];  // [0] initiator, [1] responder
  bool saw_start = false;
  enum class Claim : std::uint8_t { Unknown, Vsm, NotVsm } claim = Claim::Unknown;
  // Front end (the reading thread).
  alignas(64) Stream s[2];
  std::uint64_t first_frame = 0, last_frame = 0;
  double first_time = 0, last_time = 0;
  std::uint64_t messages = 0;
  // Back end only (the worker thread when there is one), on cache lines of its
  // own so that the two threads do not pass lines back and forth.
  alignas(64) std::unique_ptr<ExchangeTracker> tracker;
  double last_expire = -std::numeric_limits<double>::infinity();  // capture time of the last tracker->expire

  std::string name() const;  // "c1 10.0.0.3:40091-10.0.0.1:7750"
  std::string endpoint(Dir d) const { return endpoint_text(ep[static_cast<int>(d)], v6); }
};

struct MessageEvent {
  std::uint64_t frame;
  double time;  // seconds since epoch (Unix time)
  std::int64_t epoch;
  const Conn& conn;
  Dir dir;
  const MessageView& msg;
  const FindingList& findings;  // message rules and exchange rules for this message
  const ExchangeResult& exchange;
  std::uint64_t stream_offset;
};

struct Notice {
  enum class Kind : std::uint8_t {
    Gap,          // stream data missing from the capture
    Resync,       // bytes skipped to find the next header
    StreamError,  // impossible Length in a TCP stream
    Cut,          // snap length cut a packet
    Malformed,    // packet headers that do not hold together
    Fragment,     // IP fragment, not reassembled
  } kind;
  std::uint64_t frame = 0;
  const Conn* conn = nullptr;
  Dir dir = Dir::FromInitiator;
  std::uint64_t size = 0;
  std::string text;
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual void message(const MessageEvent&) {}
  // A finding that belongs to an earlier message (frame), found later: never ACKed, dropped, stream errors.
  // The direction is empty when the tracker does not say it.
  virtual void finding(const Conn&, std::optional<Dir>, std::uint64_t /*frame*/, const Finding&) {}
  virtual void notice(const Notice&) {}
  virtual void conn_closed(const Conn&) {}
};

struct EngineStats {
  std::uint64_t packets = 0, tcp = 0, sctp = 0, other = 0, malformed = 0, cut = 0, cut_vsm = 0, fragments = 0;
  std::uint64_t connections = 0, vsm_connections = 0, messages = 0, gaps = 0, gap_bytes = 0, retransmitted = 0;
  std::size_t peak_open = 0;
};

class Engine {
 public:
  Engine(Options opt, Sink& sink);
  ~Engine();
  void packet(std::uint64_t frame, double time, const Packet& p);
  // End of capture: drains held data (as gaps) and finishes every open conversation.
  void finish();
  const EngineStats& stats() const noexcept { return stats_; }
  // Packet times are seconds since this Unix time (the reader sets it from the first record).
  void set_epoch(std::int64_t unix_seconds) noexcept { epoch_ = unix_seconds; }
  std::int64_t epoch() const noexcept { return epoch_; }
  std::size_t open_connections() const noexcept { return conns_.size(); }

 private:
  struct Key {
    std::array<std::uint8_t, 16> a{}, b{};
    std::uint16_t pa = 0, pb = 0;
    std::uint8_t proto = 0;
    bool operator==(const Key& o) const noexcept {  // word compares (the defaulted one calls memcmp)
      std::uint64_t x[4], y[4];
      std::memcpy(x, a.data(), 16);
      std::memcpy(x + 2, b.data(), 16);
      std::memcpy(y, o.a.data(), 16);
      std::memcpy(y + 2, o.b.data(), 16);
      return pa == o.pa && pb == o.pb && proto == o.proto &&
             ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3])) == 0;
    }
  };
  static std::uint64_t hash(const Key& k) noexcept;
  // Open connections by key: open addressing with linear probing, one cache
  // line a slot holding the key, so that a lookup usually reads one line.
  class ConnTable {
   public:
    Conn* find(const Key& k, std::uint64_t h) const noexcept;
    Conn* insert(const Key& k, std::uint64_t h, std::unique_ptr<Conn> c);  // k must not be present
    std::unique_ptr<Conn> erase(const Key& k, std::uint64_t h) noexcept;   // null when absent
    std::vector<std::unique_ptr<Conn>> take_all();
    std::size_t size() const noexcept { return size_; }
    ~ConnTable();

   private:
    struct alignas(64) Slot {
      Key key;
      std::uint64_t hash = 0;
      Conn* conn = nullptr;  // owned; null: empty slot
    };
    std::size_t mask() const noexcept { return slots_.size() - 1; }
    void grow();
    std::vector<Slot> slots_;
    std::size_t size_ = 0;
  };
  static Key key_of(const Packet& p);
  bool vsm_port(std::uint16_t port) const noexcept;
  Conn* lookup(const Packet& p, bool create, bool& created);
  void close(const Key& k);
  void close_front(Conn& c);
  void retire(std::unique_ptr<Conn> c);
  void notice(Notice n);
  void finding(Conn& c, std::optional<Dir> d, std::uint64_t frame, const Finding& f);

  void tcp(std::uint64_t frame, double time, const Packet& p);
  void sctp(std::uint64_t frame, double time, const Packet& p);
  void insert(Conn& c, Dir d, std::uint32_t seq, ByteSpan data, std::uint32_t missing);
  void drain(Conn& c, Dir d);
  void gap(Conn& c, Dir d, std::uint64_t size, const char* why);
  void push(Conn& c, Dir d, ByteSpan data);
  void pump(Conn& c, Dir d);
  // `count` whole messages back to back (one when the framer or SCTP gives them one by one).
  void pdus(Conn& c, Dir d, ByteSpan bytes, std::uint64_t offset, std::uint32_t count);

 public:  // for the pipeline's worker
  // pre: the message rules' findings when the front end ran them (prechecked).
  void back_pdu(Conn& c, Dir d, ByteSpan bytes, std::uint64_t frame, double time, std::uint64_t offset,
                const Finding* pre, std::size_t pre_n, bool prechecked, const MessageView* decoded = nullptr);
  void back_close(Conn& c);
  Sink& sink() noexcept { return sink_; }

 private:
  class Pipeline;
  std::unique_ptr<Pipeline> pipe_;
  void give_up_auto(Conn& c);

  Options opt_;
  Sink& sink_;
  std::int64_t epoch_ = 0;
  std::uint16_t port_bits_[65536 / 16] = {};
  // Front end.
  alignas(64) ConnTable conns_;
  EngineStats stats_;
  std::uint64_t next_id_ = 1;
  std::uint64_t frame_ = 0;
  double time_ = 0;
  // Back end: on cache lines of their own.
  alignas(64) std::vector<EarlierFinding> scratch_;
  FindingList findings_;  // of the message being handled (reused: no per-message initialisation)
};

}  // namespace vsm::replay
