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
void transfer_request(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& to,
                      const nlohmann::json& request, double timeout_s, std::function<void(nlohmann::json)> done);

// Accepts transfer connections and answers each request line with `handle`.
class TransferServer {
 public:
  using Handler = std::function<nlohmann::json(const nlohmann::json&)>;
  TransferServer(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& at, Handler handle);
  boost::asio::ip::tcp::endpoint local() const { return acceptor_.local_endpoint(); }
  void stop();

 private:
  void accept();
  boost::asio::ip::tcp::acceptor acceptor_;
  Handler handle_;
};

nlohmann::json transfer_failure(int code, const std::string& reason);

}  // namespace vsm::peers
