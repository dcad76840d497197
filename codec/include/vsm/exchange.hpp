// SPDX-License-Identifier: GPL-2.0-or-later
// Exchange tracking: the rules that need more than one message. Pure logic
// over one connection; the caller says which direction each message took,
// when it was seen and what id (frame number, counter) it has. The dissector
// runs it on the first pass and keeps the results in Wireshark's storage; the
// replay tool and the runner run it live.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
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

struct ExchangeResult {
  // For an ACK that matched: the request it answers.
  std::optional<PendingRequest> request;
  double response_time = 0;
  FindingList findings;
};

// Bit of an information item (type 6/7/8 and sub-type) in PendingRequest::wanted_items; 0 when unknown.
std::uint32_t info_item_bit(std::uint8_t type, std::uint8_t sub) noexcept;

class ExchangeTracker {
 public:
  explicit ExchangeTracker(TrackerConfig cfg = {}) : cfg_(cfg) {
    roles_[0] = cfg.initiator_role;
    roles_[1] = opposite(cfg.initiator_role);
  }

  // One message, in capture order. The message should have been decoded
  // (structural errors are fine; messages without a header are ignored).
  ExchangeResult on_message(const MessageView& m, Dir dir, double time, std::uint64_t id);

  // Requests older than the ACK timer at `now`: reported once each (VSM-5-ACK) and forgotten.
  void expire(double now, std::vector<Finding>& out);
  // End of capture or connection: every request still waiting (VSM-5-ACK).
  void finish(std::vector<Finding>& out);

  Role role(Dir d) const noexcept { return roles_[idx(d)]; }
  std::optional<std::uint32_t> node_id() const noexcept { return node_id_; }
  std::size_t outstanding(Dir d) const noexcept { return pending_[idx(d)].size(); }

 private:
  static constexpr std::size_t idx(Dir d) noexcept { return static_cast<std::size_t>(d); }
  static constexpr Role opposite(Role r) noexcept {
    return r == Role::Node ? Role::Manager : r == Role::Manager ? Role::Node : Role::Unknown;
  }
  static Finding unacked(const PendingRequest& p, const char* why) noexcept;
  void on_request(const MessageView& m, Dir dir, double time, std::uint64_t id, ExchangeResult& r);
  void on_ack(const MessageView& m, Dir dir, double time, ExchangeResult& r);

  TrackerConfig cfg_;
  Role roles_[2];
  bool first_request_seen_[2] = {false, false};
  std::optional<std::uint32_t> last_seq_[2];
  // Messages waiting for their ACK, by sequence number: open addressing with
  // linear probing (no allocation per message; usually a handful of entries).
  class PendingTable {
   public:
    PendingRequest* find(std::uint32_t seq) noexcept {
      if (size_ == 0) return nullptr;
      for (std::size_t i = slot(seq);; i = (i + 1) & mask()) {
        if (!used_[i]) return nullptr;
        if (slots_[i].seq == seq) return &slots_[i];
      }
    }
    void insert(const PendingRequest& p) {  // replaces an entry with the same sequence
      if ((size_ + 1) * 2 > slots_.size()) grow();
      std::size_t i = slot(p.seq);
      while (used_[i] && slots_[i].seq != p.seq) i = (i + 1) & mask();
      if (!used_[i]) ++size_;
      used_[i] = 1;
      slots_[i] = p;
    }
    void erase(const PendingRequest* entry) noexcept {  // backward-shift deletion keeps probe chains whole
      std::size_t i = static_cast<std::size_t>(entry - slots_.data());
      used_[i] = 0;
      --size_;
      for (std::size_t j = (i + 1) & mask(); used_[j]; j = (j + 1) & mask()) {
        const std::size_t home = slot(slots_[j].seq);
        if (((j - home) & mask()) >= ((j - i) & mask())) {
          slots_[i] = slots_[j];
          used_[i] = 1;
          used_[j] = 0;
          i = j;
        }
      }
    }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    void clear() noexcept {
      std::fill(used_.begin(), used_.end(), 0);
      size_ = 0;
    }

   private:
    std::size_t mask() const noexcept { return slots_.size() - 1; }
    std::size_t slot(std::uint32_t seq) const noexcept { return (seq * 2654435761u) & mask(); }
    void grow() {
      std::vector<PendingRequest> old_slots = std::move(slots_);
      std::vector<std::uint8_t> old_used = std::move(used_);
      const std::size_t n = old_slots.empty() ? 8 : old_slots.size() * 2;
      slots_.assign(n, PendingRequest{});
      used_.assign(n, 0);
      size_ = 0;
      for (std::size_t i = 0; i < old_slots.size(); ++i) {
        if (old_used[i]) insert(old_slots[i]);
      }
    }
    std::vector<PendingRequest> slots_;
    std::vector<std::uint8_t> used_;
    std::size_t size_ = 0;
  };
  PendingTable pending_[2];                                       // per sending direction
  std::deque<std::pair<std::uint32_t, std::uint64_t>> order_[2];  // (seq, id) in arrival order, for expiry
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
