// SPDX-License-Identifier: GPL-2.0-or-later
// Exchange tracking: the rules that need more than one message. Pure logic
// over one connection; the caller says which direction each message took,
// when it was seen and what id (frame number, counter) it has. The dissector
// runs it on the first pass and keeps the results in Wireshark's storage; the
// replay tool and the runner run it live.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "vsm/rules.hpp"

namespace vsm {

// Direction 0 is the side that opened the connection (the TCP client, which
// the profile makes the Execution Node); 1 the other.
enum class Dir : std::uint8_t { FromInitiator = 0, FromResponder = 1 };
constexpr Dir other(Dir d) noexcept { return d == Dir::FromInitiator ? Dir::FromResponder : Dir::FromInitiator; }

struct TrackerConfig {
  double ack_timeout = 5.0;             // seconds before a request counts as never ACKed
  bool saw_connection_start = true;     // checks that need the first message (Registration first)
  Role initiator_role = Role::Unknown;  // Unknown: inferred from the first message that shows it
  std::size_t max_outstanding = 65536;  // per direction; beyond it the oldest request is reported and dropped
};

// What the tracker remembers of a request until its ACK.
struct PendingRequest {
  std::uint64_t id = 0;
  double time = 0;
  std::uint32_t seq = 0;
  std::uint8_t type = 0;
  std::uint8_t subtype = 0;
  bool has_function_id = false;
  std::uint32_t function_id = 0;
  std::uint32_t wanted_items = 0;  // GET: bit i = i-th information item of the dictionary (info_item_bit)
};

// A finding about a message seen before the one being handled: a request
// that was never ACKed (timer, end of connection), replaced by a new one
// with its sequence number, or dropped from tracking. The finding's `ref`
// is the earlier message's id too.
struct EarlierFinding {
  enum class Why : std::uint8_t { Replaced, Dropped, Timer, End };
  Finding finding;
  std::uint64_t id = 0;          // the earlier message
  Dir dir = Dir::FromInitiator;  // the direction it travelled (its sender's)
  std::uint32_t seq = 0;         // its sequence number
  std::uint8_t type = 0;         // its Type
  Why why = Why::End;
};

// At most two per message: the request a new one replaces, and the oldest
// one dropped when too many wait.
class EarlierList {
 public:
  static constexpr std::size_t kCapacity = 2;
  void clear() noexcept { size_ = 0; }
  void add(const EarlierFinding& f) noexcept {
    if (size_ < kCapacity) items_[size_++] = f;
  }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  const EarlierFinding* begin() const noexcept { return items_; }
  const EarlierFinding* end() const noexcept { return items_ + size_; }
  const EarlierFinding& operator[](std::size_t i) const noexcept { return items_[i]; }

 private:
  EarlierFinding items_[kCapacity];
  std::size_t size_ = 0;
};

struct ExchangeResult {
  // For an ACK that matched: the request it answers.
  std::optional<PendingRequest> request;
  double response_time = 0;
  FindingList findings;  // about this message (`ref`: a related message, such as the request an ACK answers)
  EarlierList earlier;   // about earlier messages, each with its id and direction
};

// Bit of an information item (type 6/7/8 and sub-type) in PendingRequest::wanted_items; 0 when unknown.
std::uint32_t info_item_bit(std::uint8_t type, std::uint8_t sub) noexcept;

class ExchangeTracker {
 public:
  explicit ExchangeTracker(TrackerConfig cfg = {})
      : cfg_(cfg), reg_(cfg.saw_connection_start ? RegState::None : RegState::Unknown) {
    roles_[0] = cfg.initiator_role;
    roles_[1] = opposite(cfg.initiator_role);
  }

  // One message, in capture order. The message should have been decoded
  // (structural errors are fine; messages without a header are ignored).
  ExchangeResult on_message(const MessageView& m, Dir dir, double time, std::uint64_t id) {
    ExchangeResult r;
    on_message(m, dir, time, id, r);
    return r;
  }
  // The same into a result the caller keeps: findings are appended to
  // r.findings (which may hold the single-message ones already); request,
  // response_time and earlier are reset.
  void on_message(const MessageView& m, Dir dir, double time, std::uint64_t id, ExchangeResult& r);

  // Requests older than the ACK timer at `now`: reported once each (VSM-5-ACK) and forgotten.
  void expire(double now, std::vector<EarlierFinding>& out);
  // End of capture or connection: every request still waiting (VSM-5-ACK), in arrival order.
  void finish(std::vector<EarlierFinding>& out);

  // Where the connection is in its registration (PROFILE.md, "Registration state"): what the state rules
  // (VSM-5-REGISTERED, VSM-5-REGISTER-ONCE, VSM-5-DEREGISTERED) judge a request by.
  enum class RegState : std::uint8_t {
    Unknown,        // the capture began after the connection did: nothing before the next Registration ACK is judged
    None,           // no Registration yet, or the last one was refused
    Pending,        // a Registration waits for its ACK
    Registered,     // the Registration was ACKed successfully
    Deregistering,  // a De-registration waits for its ACK
    Deregistered,   // the De-registration was ACKed successfully
  };
  RegState registration_state() const noexcept { return reg_; }

  Role role(Dir d) const noexcept { return roles_[idx(d)]; }
  std::optional<std::uint32_t> node_id() const noexcept { return node_id_; }
  std::size_t outstanding(Dir d) const noexcept { return pending_[idx(d)].size(); }
  // Frees the tables of a direction with nothing waiting (an idle connection
  // holds none); steady traffic allocates them again.
  void trim() noexcept {
    for (std::size_t d = 0; d < 2; ++d) {
      if (!pending_[d].empty()) continue;
      pending_[d].release();
      order_[d].release();  // only stale entries are left in it
    }
  }
  std::size_t heap_bytes() const noexcept {
    return pending_[0].heap_bytes() + pending_[1].heap_bytes() + order_[0].heap_bytes() + order_[1].heap_bytes();
  }

 private:
  static constexpr std::size_t idx(Dir d) noexcept { return static_cast<std::size_t>(d); }
  static constexpr Role opposite(Role r) noexcept {
    return r == Role::Node ? Role::Manager : r == Role::Manager ? Role::Node : Role::Unknown;
  }
  static EarlierFinding unacked(const PendingRequest& p, std::size_t dir, EarlierFinding::Why why,
                                const char* text) noexcept;
  void on_request(const MessageView& m, Dir dir, double time, std::uint64_t id, ExchangeResult& r);
  void on_ack(const MessageView& m, Dir dir, double time, ExchangeResult& r);
  // The state rules for a request of `type` from direction d (one switch; ACKs never come here).
  void check_state(std::uint8_t type, std::size_t d, std::uint64_t id, ExchangeResult& r) noexcept;
  // A Registration or De-registration ACKed with `code`.
  void on_state_ack(const PendingRequest& p, std::uint8_t code) noexcept;

  TrackerConfig cfg_;
  RegState reg_;
  std::uint8_t dereg_dir_ = 0;   // Deregistering, Deregistered: the direction that sent the De-registration
  std::uint64_t reg_ref_ = 0;    // id of the Registration waiting, ACKed or refused last
  std::uint64_t dereg_ref_ = 0;  // id of the De-registration
  Role roles_[2];
  bool first_request_seen_[2] = {false, false};
  std::optional<std::uint32_t> last_seq_[2];
  // Messages waiting for their ACK, by sequence number: open addressing with
  // linear probing (no allocation per message; usually a handful of entries).
  // A free slot holds a sequence number no 24-bit field can carry.
  class PendingTable {
   public:
    PendingRequest* find(std::uint32_t seq) noexcept {
      if (size_ == 0) return nullptr;
      for (std::size_t i = slot(seq);; i = (i + 1) & mask()) {
        if (slots_[i].seq == seq) return &slots_[i];
        if (slots_[i].seq == kFree) return nullptr;
      }
    }
    void insert(const PendingRequest& p) {  // replaces an entry with the same sequence
      if ((size_ + 1) * 2 > slots_.size()) grow();
      std::size_t i = slot(p.seq);
      while (slots_[i].seq != kFree && slots_[i].seq != p.seq) i = (i + 1) & mask();
      if (slots_[i].seq == kFree) ++size_;
      slots_[i] = p;
    }
    void erase(const PendingRequest* entry) noexcept {  // backward-shift deletion keeps probe chains whole
      std::size_t i = static_cast<std::size_t>(entry - slots_.data());
      slots_[i].seq = kFree;
      --size_;
      for (std::size_t j = (i + 1) & mask(); slots_[j].seq != kFree; j = (j + 1) & mask()) {
        const std::size_t home = slot(slots_[j].seq);
        if (((j - home) & mask()) >= ((j - i) & mask())) {
          slots_[i] = slots_[j];
          slots_[j].seq = kFree;
          i = j;
        }
      }
    }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    void clear() noexcept {
      for (PendingRequest& p : slots_) p.seq = kFree;
      size_ = 0;
    }
    void release() noexcept {
      std::vector<PendingRequest>().swap(slots_);
      size_ = 0;
    }
    std::size_t heap_bytes() const noexcept { return slots_.capacity() * sizeof(PendingRequest); }

   private:
    static constexpr std::uint32_t kFree = 0xFFFFFFFFu;
    static_assert(kSeqMask < kFree);
    std::size_t mask() const noexcept { return slots_.size() - 1; }
    std::size_t slot(std::uint32_t seq) const noexcept { return (seq * 2654435761u) & mask(); }
    void grow() {
      std::vector<PendingRequest> old = std::move(slots_);
      PendingRequest free;
      free.seq = kFree;
      slots_.assign(old.empty() ? 8 : old.size() * 2, free);
      size_ = 0;
      for (const PendingRequest& p : old) {
        if (p.seq != kFree) insert(p);
      }
    }
    std::vector<PendingRequest> slots_;
    std::size_t size_ = 0;
  };
  // Requests in arrival order (sequence, id), for expiry: a ring that grows
  // by doubling and shrinks only by trim(), so steady traffic allocates little.
  class ArrivalQueue {
   public:
    bool empty() const noexcept { return size_ == 0; }
    std::size_t size() const noexcept { return size_; }
    const std::pair<std::uint32_t, std::uint64_t>& front() const noexcept { return ring_[head_]; }
    const std::pair<std::uint32_t, std::uint64_t>& operator[](std::size_t i) const noexcept {
      return ring_[(head_ + i) & (ring_.size() - 1)];
    }
    void pop_front() noexcept {
      head_ = (head_ + 1) & (ring_.size() - 1);
      --size_;
    }
    void emplace_back(std::uint32_t seq, std::uint64_t id) {
      if (size_ == ring_.size()) grow();
      ring_[(head_ + size_) & (ring_.size() - 1)] = {seq, id};
      ++size_;
    }
    void clear() noexcept { head_ = size_ = 0; }
    void release() noexcept {
      std::vector<std::pair<std::uint32_t, std::uint64_t>>().swap(ring_);
      head_ = size_ = 0;
    }
    std::size_t heap_bytes() const noexcept { return ring_.capacity() * sizeof(ring_[0]); }

   private:
    void grow() {
      std::vector<std::pair<std::uint32_t, std::uint64_t>> bigger(ring_.empty() ? 8 : 2 * ring_.size());
      for (std::size_t i = 0; i < size_; ++i) bigger[i] = (*this)[i];
      ring_ = std::move(bigger);
      head_ = 0;
    }
    std::vector<std::pair<std::uint32_t, std::uint64_t>> ring_;
    std::size_t head_ = 0, size_ = 0;
  };
  PendingTable pending_[2];  // per sending direction
  ArrivalQueue order_[2];
  // The last few sequence numbers of one kind, to tell an ACK of an ACK and a
  // repeated ACK from an unsolicited one.
  struct SeqRing {
    std::uint32_t seq[8] = {};
    std::uint8_t count = 0, next = 0;
    void add(std::uint32_t s) noexcept {
      seq[next] = s;
      next = static_cast<std::uint8_t>((next + 1) % 8);
      if (count < 8) ++count;
    }
    bool contains(std::uint32_t s) const noexcept {
      for (std::uint8_t i = 0; i < count; ++i) {
        if (seq[i] == s) return true;
      }
      return false;
    }
  };
  SeqRing acks_sent_[2];                  // sequences of the ACKs each direction sent
  SeqRing answered_[2];                   // sequences of each direction's messages already ACKed
  std::optional<std::uint32_t> node_id_;  // the Execution Node's ID on this connection, once known
};

}  // namespace vsm
