// SPDX-License-Identifier: GPL-2.0-or-later
// Rules that one message can break. check_message() turns a decoded message
// into findings, each naming a catalogue entry, without allocating.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "vsm/catalogue.hpp"
#include "vsm/wire.hpp"

namespace vsm {

struct Finding {
  Req req = Req::Count_;
  std::uint32_t offset = 0;  // in the message (or 0 for exchange findings)
  std::uint32_t length = 0;  // octets the finding is about (0 = the whole message)
  std::uint32_t a = 0;       // rule-specific values, see describe()
  std::uint32_t b = 0;
  std::uint64_t ref = 0;    // exchange findings: id of the related message (frame number)
  const char* detail = "";  // static text: what exactly is wrong

  Severity severity() const noexcept { return severity_of(req); }
  const Requirement& requirement() const noexcept { return vsm::requirement(req); }
};

// A fixed-capacity list: checking a message never allocates.
class FindingList {
 public:
  static constexpr std::size_t kCapacity = 24;
  void add(const Finding& f) noexcept {
    if (size_ < kCapacity) {
      std::construct_at(&store_.items[size_++], f);
    } else {
      ++dropped_;
    }
  }
  void add(Req r, std::uint32_t offset, std::uint32_t length, const char* detail, std::uint32_t a = 0,
           std::uint32_t b = 0) noexcept {
    add(Finding{r, offset, length, a, b, 0, detail});
  }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::size_t dropped() const noexcept { return dropped_; }
  void clear() noexcept { size_ = dropped_ = 0; }
  const Finding* begin() const noexcept { return store_.items; }
  const Finding* end() const noexcept { return store_.items + size_; }
  const Finding& operator[](std::size_t i) const noexcept { return store_.items[i]; }
  bool contains(Req r) const noexcept {
    for (const auto& f : *this) {
      if (f.req == r) return true;
    }
    return false;
  }
  Severity worst() const noexcept;  // Note when empty

 private:
  // Left uninitialised: a list is made for every message checked, and only
  // the first size_ entries are ever constructed or read.
  union Store {
    Store() noexcept {}
    Finding items[kCapacity];
  } store_;
  std::size_t size_ = 0;
  std::size_t dropped_ = 0;
};

// Per-operation needs of a request and of its ACK (sections 6.2.3, 6.3).
struct OperationRules {
  std::uint8_t op;
  Req mandatory;     // the request's mandatory-option requirement
  Req ack_options;   // the ACK's expected-option requirement
  Req order;         // source-before-destination (Count_ when none)
  bool function_id;  // request needs a Function ID
  bool ack_function_id;
  bool two_nodes;     // source and destination Node ID
  bool session_info;  // request needs Session information
  bool info_list;     // GET: list of wanted items
};
const OperationRules* operation_rules(std::uint8_t op) noexcept;

// The mandatory-Node-ID requirement of a message type (section 6.2).
Req node_id_requirement(std::uint8_t type) noexcept;  // Count_ when none (Error)
// The fixed-length requirement of an option type (section 6.4.1-6.4.5).
Req fixed_length_requirement(std::uint8_t type) noexcept;  // Count_ when variable

// Checks one decoded message against every single-message rule of the catalogue.
void check_message(const MessageView& m, FindingList& out) noexcept;

}  // namespace vsm
