// SPDX-License-Identifier: GPL-2.0-or-later
#include "transfer.hpp"

#include "log.hpp"

namespace vsm::peers {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxLine = 1 << 20;

struct ClientOp : std::enable_shared_from_this<ClientOp> {
  ClientOp(asio::io_context& io, std::function<void(json)> d) : socket(io), timer(io), done(std::move(d)) {}
  tcp::socket socket;
  asio::steady_timer timer;
  asio::streambuf in{kMaxLine};
  std::string out;
  std::function<void(json)> done;

  void finish(json reply) {
    if (!done) return;
    auto d = std::move(done);
    done = nullptr;
    timer.cancel();
    boost::system::error_code ec;
    socket.close(ec);
    d(std::move(reply));
  }
};

struct ServerOp : std::enable_shared_from_this<ServerOp> {
  explicit ServerOp(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
  asio::streambuf in{kMaxLine};
  std::string out;
};

}  // namespace

json transfer_failure(int code, const std::string& reason) {
  return json{{"ok", false}, {"code", code}, {"reason", reason}};
}

void transfer_request(asio::io_context& io, const tcp::endpoint& to, const json& request, double timeout_s,
                      std::function<void(json)> done) {
  auto op = std::make_shared<ClientOp>(io, std::move(done));
  op->out = request.dump() + "\n";
  op->timer.expires_after(std::chrono::milliseconds(static_cast<long>(timeout_s * 1000)));
  op->timer.async_wait([op](boost::system::error_code ec) {
    if (!ec) op->finish(transfer_failure(128, "transfer timed out"));
  });
  op->socket.async_connect(to, [op, to](boost::system::error_code ec) {
    if (ec) {
      op->finish(transfer_failure(128, "cannot reach the destination's transfer endpoint " + to.address().to_string() +
                                           ":" + std::to_string(to.port()) + ": " + ec.message()));
      return;
    }
    asio::async_write(op->socket, asio::buffer(op->out), [op](boost::system::error_code ec2, std::size_t) {
      if (ec2) {
        op->finish(transfer_failure(128, "transfer write failed: " + ec2.message()));
        return;
      }
      asio::async_read_until(op->socket, op->in, '\n', [op](boost::system::error_code ec3, std::size_t n) {
        if (ec3) {
          op->finish(transfer_failure(128, "transfer reply failed: " + ec3.message()));
          return;
        }
        std::string line(asio::buffers_begin(op->in.data()), asio::buffers_begin(op->in.data()) + n);
        json reply = json::parse(line, nullptr, false);
        if (reply.is_discarded() || !reply.is_object()) reply = transfer_failure(128, "transfer reply is not JSON");
        op->finish(std::move(reply));
      });
    });
  });
}

TransferServer::TransferServer(asio::io_context& io, const tcp::endpoint& at, Handler handle)
    : acceptor_(io, at), handle_(std::move(handle)) {
  accept();
}

void TransferServer::stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

void TransferServer::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      auto op = std::make_shared<ServerOp>(std::move(s));
      asio::async_read_until(op->socket, op->in, '\n', [this, op](boost::system::error_code ec2, std::size_t n) {
        if (ec2) return;
        std::string line(asio::buffers_begin(op->in.data()), asio::buffers_begin(op->in.data()) + n);
        json req = json::parse(line, nullptr, false);
        json reply;
        if (req.is_discarded() || !req.is_object()) {
          reply = transfer_failure(128, "request is not a JSON object");
        } else {
          try {
            reply = handle_(req);
          } catch (const std::exception& e) {
            reply = transfer_failure(128, std::string("bad transfer request: ") + e.what());
          }
        }
        op->out = reply.dump() + "\n";
        asio::async_write(op->socket, asio::buffer(op->out), [op](boost::system::error_code, std::size_t) {
          boost::system::error_code ec3;
          op->socket.shutdown(tcp::socket::shutdown_both, ec3);
        });
      });
    }
    if (acceptor_.is_open()) accept();
  });
}

}  // namespace vsm::peers
