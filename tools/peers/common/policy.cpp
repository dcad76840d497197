// SPDX-License-Identifier: GPL-2.0-or-later
#include "policy.hpp"

#include <fmt/format.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <charconv>

namespace vsm::peers {

namespace ip = boost::asio::ip;

std::string Cidr::text() const { return fmt::format("{}/{}", net.to_string(), prefix); }

ip::address plain(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

std::optional<Cidr> parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  boost::system::error_code ec;
  const ip::address a = ip::make_address(std::string(text.substr(0, slash)), ec);
  if (ec) return std::nullopt;
  const unsigned max = a.is_v4() ? 32 : 128;
  unsigned prefix = max;
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    const auto r = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || r.ec != std::errc() || r.ptr != p.data() + p.size() || prefix > max) return std::nullopt;
  }
  return Cidr{plain(a), a.is_v6() && plain(a).is_v4() ? (prefix >= 96 ? prefix - 96 : 0) : prefix};
}

bool cidr_contains(const Cidr& c, const ip::address& addr) {
  const ip::address a = plain(addr);
  if (a.is_v4() != c.net.is_v4()) return false;
  auto bytes = [](const ip::address& v) {
    std::vector<unsigned char> b;
    if (v.is_v4()) {
      const auto a4 = v.to_v4().to_bytes();
      b.assign(a4.begin(), a4.end());
    } else {
      const auto a6 = v.to_v6().to_bytes();
      b.assign(a6.begin(), a6.end());
    }
    return b;
  };
  const auto p = bytes(a), n = bytes(c.net);
  unsigned bits = c.prefix;
  for (std::size_t i = 0; i < p.size() && bits > 0; ++i) {
    const unsigned take = bits >= 8 ? 8 : bits;
    const auto mask = static_cast<unsigned char>(0xFF << (8 - take));
    if ((p[i] & mask) != (n[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

std::vector<ip::address> host_addresses() {
  std::vector<ip::address> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* s = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      out.push_back(ip::address_v4(ntohl(s->sin_addr.s_addr)));
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* s = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      ip::address_v6::bytes_type b;
      std::copy(std::begin(s->sin6_addr.s6_addr), std::end(s->sin6_addr.s6_addr), b.begin());
      out.push_back(ip::address_v6(b, s->sin6_scope_id));
    }
  }
  freeifaddrs(list);
  return out;
}

TransferPolicy TransferPolicy::defaults(const ip::address& manager) {
  TransferPolicy p;
  p.allow(*parse_cidr("127.0.0.0/8"));
  p.allow(*parse_cidr("::1"));
  for (const auto& a : host_addresses()) p.allow(Cidr{plain(a), plain(a).is_v4() ? 32u : 128u});
  const ip::address m = plain(manager);
  if (!m.is_unspecified()) p.allow(Cidr{m, m.is_v4() ? 24u : 64u});
  return p;
}

std::string TransferPolicy::refuse(const ip::address& addr) const {
  const ip::address a = plain(addr);
  if (a.is_unspecified()) return fmt::format("destination {} is the unspecified address", a.to_string());
  if (a.is_multicast()) return fmt::format("destination {} is a multicast address", a.to_string());
  if (a.is_v4() && a.to_v4() == ip::address_v4::broadcast()) {
    return fmt::format("destination {} is the broadcast address", a.to_string());
  }
  for (const Cidr& c : allowed_) {
    if (cidr_contains(c, a)) return {};
  }
  return fmt::format("destination {} is not allowed by the transfer policy (--transfer-allow)", a.to_string());
}

}  // namespace vsm::peers
