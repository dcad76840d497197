// SPDX-License-Identifier: GPL-2.0-or-later
// TCP or SCTP for the manager connection. SCTP one-to-one style sockets have
// TCP's stream API (connect, accept, read, write), so Asio's tcp socket and
// acceptor types carry them: only the protocol number given to socket()
// differs. Shared by the reference peers, the conformance runner and
// vsm-replay (CMake target vsm_tools_common, header only).
#pragma once

#include <linux/sctp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/system_error.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

namespace vsm::transport {

// "" when the kernel offers SCTP sockets, else why not.
inline std::string sctp_unavailable_reason() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
  if (fd < 0) return std::string("socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP) failed: ") + std::strerror(errno);
  ::close(fd);
  return {};
}

// Opens a socket or acceptor of the family for TCP, or for SCTP when sctp is
// set. Throws boost::system::system_error.
template <typename Socket>
void open(Socket& s, const boost::asio::ip::tcp& family, bool sctp) {
  if (!sctp) {
    s.open(family);
    return;
  }
  const int fd = ::socket(family.family(), SOCK_STREAM, IPPROTO_SCTP);
  if (fd < 0) throw boost::system::system_error(errno, boost::system::system_category(), "socket(IPPROTO_SCTP)");
  s.assign(family, fd);
}

// Sends small messages at once: TCP_NODELAY, or SCTP_NODELAY on an SCTP
// socket (the SCTP stack bundles small chunks otherwise). Errors are ignored:
// only timing depends on it.
template <typename Socket>
void no_delay(Socket& s, bool sctp) {
  if (!sctp) {
    boost::system::error_code ignored;
    s.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
    return;
  }
  const int on = 1;
  ::setsockopt(s.native_handle(), IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof on);
}

// The SCTP payload protocol identifier put in every DATA chunk the socket
// sends (SCTP_DEFAULT_SNDINFO; none was assigned to VSM, so 0 unless told).
// No-op on TCP. Returns "" or why the kernel refused.
template <typename Socket>
std::string set_ppid(Socket& s, bool sctp, std::uint32_t ppid) {
  if (!sctp || ppid == 0) return {};
  sctp_sndinfo info{};
  info.snd_ppid = htonl(ppid);  // carried as the application gave it: network order
  if (::setsockopt(s.native_handle(), IPPROTO_SCTP, SCTP_DEFAULT_SNDINFO, &info, sizeof info) != 0) {
    return std::string("setsockopt(SCTP_DEFAULT_SNDINFO) failed: ") + std::strerror(errno);
  }
  return {};
}

// One read from an SCTP one-to-one socket, without blocking: up to `size`
// octets of the next user message. `end` says whether the user message ended
// there (MSG_EOR; a longer one comes in further reads). Returns the octets
// read, 0 at the end of the association, or -1 with errno (EAGAIN: nothing yet).
inline ssize_t receive_part(int fd, std::uint8_t* buf, std::size_t size, bool& end) {
  iovec iov{buf, size};
  msghdr h{};
  h.msg_iov = &iov;
  h.msg_iovlen = 1;
  const ssize_t n = ::recvmsg(fd, &h, MSG_DONTWAIT);
  end = n > 0 && (h.msg_flags & MSG_EOR) != 0;
  return n;
}

// What every connected or accepted socket of the tools gets: no delay and the PPID.
template <typename Socket>
std::string tune(Socket& s, bool sctp, std::uint32_t ppid) {
  no_delay(s, sctp);
  return set_ppid(s, sctp, ppid);
}

}  // namespace vsm::transport
