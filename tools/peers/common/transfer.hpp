// SPDX-License-Identifier: GPL-2.0-or-later
// The agent-to-agent transfer channel (outside the draft, see tools/peers/README.md):
// one TCP connection per transfer, one JSON request line, one JSON reply line.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "asio.hpp"

namespace vsm::peers {

// Sends `request` to host:port and calls `done` once with the reply, or with
// {"ok": false, "code": 128, "reason": ...} when the exchange fails or times out.
// `from`: the local address to connect from (the agent's transfer address,
// which the destination was told to expect); unspecified: any.
void transfer_request(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& to,
                      const nlohmann::json& request, double timeout_s, std::function<void(nlohmann::json)> done,
                      const boost::asio::ip::address& from = {});

struct TransferLimits {
  std::size_t max_bytes = 16u << 20;  // of one request line; longer: the connection is closed
  double read_timeout = 10;           // seconds for the request line to arrive whole
  std::size_t max_connections = 16;   // at once; more are closed at once
};

// Accepts transfer connections and answers each request line with `handle`,
// which hears who sent it.
class TransferServer {
 public:
  using Handler = std::function<nlohmann::json(const nlohmann::json&, const boost::asio::ip::tcp::endpoint& from)>;
  TransferServer(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& at, Handler handle,
                 TransferLimits limits = {});
  boost::asio::ip::tcp::endpoint local() const { return acceptor_.local_endpoint(); }
  void stop();

 private:
  void accept();
  boost::asio::ip::tcp::acceptor acceptor_;
  Handler handle_;
  TransferLimits limits_;
  std::shared_ptr<std::size_t> active_ = std::make_shared<std::size_t>(0);
};

nlohmann::json transfer_failure(int code, const std::string& reason);

}  // namespace vsm::peers
