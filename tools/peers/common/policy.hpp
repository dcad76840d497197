// SPDX-License-Identifier: GPL-2.0-or-later
// Where an agent sends a Function's state and sessions (MOVE, COPY,
// MOVE_SESSION): only to destinations its transfer policy allows. The
// default is this host's addresses, loopback and the manager's network (its
// /24 for IPv4, /64 for IPv6); --transfer-allow ADDR|CIDR replaces it. An
// unspecified, broadcast or multicast address is never allowed.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vsm::peers {

struct Cidr {
  boost::asio::ip::address net;
  unsigned prefix = 0;  // bits
  std::string text() const;
};

// "ADDR" (a /32 or /128) or "ADDR/N"; nothing when malformed.
std::optional<Cidr> parse_cidr(std::string_view text);
// `a` is in `c` (an IPv4-mapped IPv6 address counts as its IPv4 address).
bool cidr_contains(const Cidr& c, const boost::asio::ip::address& a);
// An IPv4-mapped IPv6 address as IPv4; any other as is.
boost::asio::ip::address plain(const boost::asio::ip::address& a);
// The addresses of this host's interfaces.
std::vector<boost::asio::ip::address> host_addresses();

class TransferPolicy {
 public:
  void allow(Cidr c) { allowed_.push_back(std::move(c)); }
  // This host's addresses, loopback and the manager's /24 or /64.
  static TransferPolicy defaults(const boost::asio::ip::address& manager);
  // Why a transfer to `a` is refused, or "" when it is allowed.
  std::string refuse(const boost::asio::ip::address& a) const;
  const std::vector<Cidr>& allowed() const noexcept { return allowed_; }

 private:
  std::vector<Cidr> allowed_;
};

}  // namespace vsm::peers
