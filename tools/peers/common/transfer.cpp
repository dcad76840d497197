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
  ServerOp(tcp::socket s, std::size_t max, std::shared_ptr<std::size_t> a)
      : socket(std::move(s)), timer(socket.get_executor()), in(max), active(std::move(a)) {
    ++*active;
  }
  ~ServerOp() { --*active; }
  tcp::socket socket;
  asio::steady_timer timer;
  asio::streambuf in;
  std::string out;
  std::shared_ptr<std::size_t> active;
};

}  // namespace

json transfer_failure(int code, const std::string& reason) {
  return json{{"ok", false}, {"code", code}, {"reason", reason}};
}

void transfer_request(asio::io_context& io, const tcp::endpoint& to, const json& request, double timeout_s,
                      std::function<void(json)> done, const asio::ip::address& from) {
  auto op = std::make_shared<ClientOp>(io, std::move(done));
  op->out = request.dump() + "\n";
  op->timer.expires_after(std::chrono::milliseconds(static_cast<long>(timeout_s * 1000)));
  op->timer.async_wait([op](boost::system::error_code ec) {
    if (!ec) op->finish(transfer_failure(128, "transfer timed out"));
  });
  if (!from.is_unspecified() && from.is_v4() == to.address().is_v4()) {
    // From the address the destination was told to expect.
    boost::system::error_code ec;
    op->socket.open(to.protocol(), ec);
    if (!ec) op->socket.bind(tcp::endpoint(from, 0), ec);
    if (ec) warn("transfer: cannot connect from {}: {}", from.to_string(), ec.message());
  }
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

TransferServer::TransferServer(asio::io_context& io, const tcp::endpoint& at, Handler handle, TransferLimits limits)
    : acceptor_(io, at), handle_(std::move(handle)), limits_(limits) {
  accept();
}

void TransferServer::stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

void TransferServer::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec && *active_ >= limits_.max_connections) {
      boost::system::error_code ec2;
      const auto who = s.remote_endpoint(ec2);
      warn("transfer: {} connections at once, the most taken: closing the one from {}", *active_,
           ec2 ? std::string("?") : who.address().to_string());
      s.close(ec2);
    } else if (!ec) {
      boost::system::error_code ec_remote;
      const tcp::endpoint from = s.remote_endpoint(ec_remote);
      auto op = std::make_shared<ServerOp>(std::move(s), limits_.max_bytes, active_);
      op->timer.expires_after(std::chrono::milliseconds(static_cast<long>(limits_.read_timeout * 1000)));
      op->timer.async_wait([op](boost::system::error_code e) {
        if (e) return;
        boost::system::error_code ignored;
        op->socket.close(ignored);  // the request line did not arrive in time
      });
      asio::async_read_until(op->socket, op->in, '\n', [this, op, from](boost::system::error_code ec2, std::size_t n) {
        op->timer.cancel();
        if (ec2) {
          if (ec2 == asio::error::not_found) {
            warn("transfer: request from {} longer than {} octets: closing", from.address().to_string(),
                 op->in.max_size());
          }
          boost::system::error_code ignored;
          op->socket.close(ignored);
          return;
        }
        std::string line(asio::buffers_begin(op->in.data()), asio::buffers_begin(op->in.data()) + n);
        json req = json::parse(line, nullptr, false);
        json reply;
        if (req.is_discarded() || !req.is_object()) {
          reply = transfer_failure(128, "request is not a JSON object");
        } else {
          try {
            reply = handle_(req, from);
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
