// SPDX-License-Identifier: GPL-2.0-or-later
// vsm-replay replay and to-scenario. The recording is read with the capture
// engine into a script of messages in capture order; each message is either
// ours (the side the tool plays) or the live side's. replay runs one Asio
// event loop: our messages are sent once every live message recorded before
// them has arrived (or timed out) and their timing allows; live messages are
// matched with the recorded ones on arrival and compared.
#include "live.hpp"

#include <boost/program_options.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "cli.hpp"
#include "commands.hpp"
#include "engine.hpp"
#include "evidence.hpp"
#include "reader.hpp"
#include "scenario.hpp"
#include "scenario_text.hpp"
#include "session_io.hpp"
#include "transport.hpp"
#include "vsm/catalogue.hpp"
#include "vsm/dictionary.hpp"
#include "vsm/keywords.hpp"
#include "vsm/message.hpp"
#include "vsm/text.hpp"

namespace vsm::replay {
namespace {

namespace asio = boost::asio;
namespace po = boost::program_options;
namespace sc = vsm::conform;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

const char* const kReplaySummary =
    "replay: plays one side of every recorded conversation against a live implementation over a\n"
    "real socket and compares its answers with the recorded ones. --role: the recorded side the\n"
    "tool plays (node: the Execution Nodes, the live implementation is a manager; manager: the\n"
    "live implementations are agents). Exit 1 on a difference or an error-severity finding.";
const char* const kScenarioSummary =
    "to-scenario: writes the recorded conversations (all, or --conversation N) as one test of a\n"
    "vsm-conform scenario file; the runner plays the side given by --role.";

// ---------------------------------------------------------------- the recording

struct Rec {
  std::uint64_t frame = 0;
  double time = 0;
  std::size_t conv = 0;  // index into Recording::convs
  Dir dir = Dir::FromInitiator;
  Message msg;
  bool ours = false;
  std::optional<std::size_t> answers;  // ACK: index of the request it answers
  std::optional<std::size_t> ack;      // request: index of its ACK
};

struct ConvInfo {
  std::uint64_t id = 0;  // the engine's connection number (c1, c2, ...)
  std::string name;
  Role initiator_role = Role::Unknown;
  Transport transport = Transport::Tcp;  // as recorded
};

struct Recording {
  std::vector<Rec> recs;
  std::vector<ConvInfo> convs;
};

class RecordSink : public Sink {
 public:
  explicit RecordSink(Recording& r) : r_(r) {}
  void message(const MessageEvent& e) override {
    if (!e.msg.has_header()) return;
    auto it = index_.find(e.conn.id);
    if (it == index_.end()) {
      it = index_.emplace(e.conn.id, r_.convs.size()).first;
      r_.convs.push_back(ConvInfo{e.conn.id, e.conn.name(), Role::Unknown, e.conn.transport});
    }
    if (e.conn.tracker && e.conn.tracker->role(Dir::FromInitiator) != Role::Unknown) {
      r_.convs[it->second].initiator_role = e.conn.tracker->role(Dir::FromInitiator);
    }
    Rec rec;
    rec.frame = e.frame;
    rec.time = e.time;
    rec.conv = it->second;
    rec.dir = e.dir;
    rec.msg = Message::from(e.msg);
    r_.recs.push_back(std::move(rec));
  }

 private:
  Recording& r_;
  std::map<std::uint64_t, std::size_t> index_;
};

// Marks our messages and links each ACK with its request (same conversation, opposite direction, same sequence).
void link(Recording& r, Role ours) {
  for (std::size_t i = 0; i < r.recs.size(); ++i) {
    Rec& m = r.recs[i];
    const ConvInfo& c = r.convs[m.conv];
    // The profile makes the TCP client the Execution Node when the recording does not show the roles.
    const Role init = c.initiator_role == Role::Unknown ? Role::Node : c.initiator_role;
    const Role sender = m.dir == Dir::FromInitiator ? init : (init == Role::Node ? Role::Manager : Role::Node);
    m.ours = sender == ours;
    if (m.msg.type != u8(MsgType::Ack)) continue;
    for (std::size_t j = i; j-- > 0;) {
      Rec& q = r.recs[j];
      if (q.conv == m.conv && q.dir != m.dir && q.msg.type != u8(MsgType::Ack) && q.msg.seq == m.msg.seq && !q.ack) {
        q.ack = i;
        m.answers = j;
        break;
      }
    }
  }
}

std::string summary_of(const Message& m) {
  const Encoded bytes = m.encode();
  if (!bytes) return "(" + std::to_string(bytes.size()) + " octets: " + std::string(describe(*bytes.error())) + ")";
  return summarize(decode(bytes.value()));
}

// An option's value for people, as the decode output writes it.
std::string shown(const Option& o) { return format_value(o.type, o.subtype, o.value); }

std::optional<std::uint32_t> u32_of(const Option& o) {
  if (o.value.size() != 4) return std::nullopt;
  return (std::uint32_t{o.value[0]} << 24) | (std::uint32_t{o.value[1]} << 16) | (std::uint32_t{o.value[2]} << 8) |
         o.value[3];
}

bool is_id(std::uint8_t type) { return type == u8(OptType::NodeId) || type == u8(OptType::FunctionId); }

// Values replay learns from the live peer instead of comparing: Node ID, Function ID, and the Port of a
// transfer endpoint (a live agent listens on a port of its own).
bool learnable(const Option& o) {
  return (is_id(o.type) && o.value.size() == 4) || (o.type == u8(OptType::Port) && o.value.size() == 2);
}
std::uint32_t number(const Option& o) {
  std::uint32_t v = 0;
  for (auto b : o.value) v = (v << 8) | b;
  return v;
}

// ---------------------------------------------------------------- replay

struct ReplayCli {
  std::string file;
  Role role = Role::Unknown;
  std::string target, listen;  // as given
  std::string host;            // the one address of --target or --listen, numeric
  std::uint16_t port = 0;
  double speed = 1.0;
  bool asap = false;
  double timeout = 5.0;
  std::set<std::string> ignore;        // fields not compared at all
  std::set<std::string> ignore_value;  // options compared by presence and count, not by value
  bool verbose = false;
  std::string pcap;             // --pcap: the live exchange as pcapng evidence
  bool sctp = false;            // the live connections are SCTP associations (--transport)
  std::uint32_t sctp_ppid = 0;  // PPID of the DATA chunks sent (--sctp-ppid)
};

class Replayer {
 public:
  Replayer(Recording& rec, const ReplayCli& cli, std::ostream& out, std::ostream& err)
      : rec_(rec), cli_(cli), out_(out), err_(err), timer_(io_), acceptor_(io_) {
    convs_.resize(rec_.convs.size());
    for (std::size_t i = 0; i < convs_.size(); ++i) {
      convs_[i] = std::make_unique<Live>();
      convs_[i]->idx = i;
    }
    matched_.assign(rec_.recs.size(), false);
    live_seq_.assign(rec_.recs.size(), std::nullopt);
    live_sub_.assign(rec_.recs.size(), 0);
    arrival_.assign(rec_.recs.size(), std::nullopt);
    // Sequence counters start at the first recorded sequence number of our requests.
    std::vector<bool> seq_init(convs_.size(), false);
    for (const Rec& r : rec_.recs) {
      if (r.ours && r.msg.type != u8(MsgType::Ack) && !seq_init[r.conv]) {
        convs_[r.conv]->first_seq = r.msg.seq;
        seq_init[r.conv] = true;
      }
    }
  }

  // Returns the exit code.
  int run() {
    try {
      if (!cli_.listen.empty()) {
        const tcp::endpoint ep(asio::ip::make_address(cli_.host), cli_.port);
        transport::open(acceptor_, ep.protocol(), cli_.sctp);
        acceptor_.set_option(tcp::acceptor::reuse_address(true));
        acceptor_.bind(ep);
        acceptor_.listen();
        out_ << "listening on " << acceptor_.local_endpoint() << std::endl;
        accept();
      }
    } catch (const std::exception& e) {
      err_ << "vsm-replay replay: cannot listen on " << cli_.listen << ": " << e.what() << "\n";
      return exit_code::kIo;
    }
    if (!cli_.pcap.empty()) {
      std::string error;
      pcap_ = evidence::Writer::open(cli_.pcap, "vsm-replay", error);
      if (!pcap_) {
        err_ << "vsm-replay replay: " << error << "\n";
        return exit_code::kIo;
      }
      pcap_->set_transport(cli_.sctp ? evidence::Transport::Sctp : evidence::Transport::Tcp);
    }
    start_ = Clock::now();
    prev_done_ = start_;
    advance();
    io_.run();
    if (pcap_) {
      evidence_flush();
      for (auto& c : convs_) {
        if (c->local.port != 0 && !c->fin_written) evidence_fin(*c, true);
      }
      if (!pcap_->finish()) {
        err_ << "vsm-replay replay: " << pcap_->error() << "\n";
        return exit_code::kIo;
      }
      out_ << "evidence: " << cli_.pcap << " (" << pcap_->packets() << " packets)\n";
    }
    if (io_error_) return exit_code::kIo;
    out_ << "replayed " << rec_.convs.size() << " conversations: sent " << sent_ << ", received " << received_ << ", "
         << differences_ << " differences, " << findings_ << " findings (" << errors_ << " errors)\n";
    return differences_ > 0 || errors_ > 0 ? exit_code::kFindings : exit_code::kOk;
  }

 private:
  // One live connection (a conversation of the recording): the tools' adapter over vsm::Session.
  struct Live {
    std::size_t idx = 0;
    std::shared_ptr<io::SessionIo> conn;  // once connected or accepted
    bool connecting = false, closed = false;
    bool open() const { return conn && conn->is_open(); }
    std::uint32_t first_seq = 1;                      // of our requests: the first recorded one's
    std::map<std::uint64_t, std::size_t> ours_by_id;  // message id of our request -> recorded index
    std::optional<std::uint32_t> node_id;             // our node's live Node ID on this connection
    evidence::Endpoint local, remote;                 // --pcap: the live socket's addresses
    bool fin_written = false;
  };

  // --------------------------------------------------------------- --pcap evidence
  // Packets wait here while a live message is processed, so that the answers it causes follow it and
  // its comment can name the differences and findings it caused.
  struct Evidence {
    std::size_t conv = 0;
    bool ours = false;
    double wall = 0;
    std::vector<std::uint8_t> bytes;
    std::string comment;
    bool fin = false;  // a FIN (bytes empty)
  };

  static double wall_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  }

  static evidence::Endpoint endpoint_of(const tcp::endpoint& e) {
    evidence::Endpoint r;
    r.port = e.port();
    if (e.address().is_v4()) {
      const auto b = e.address().to_v4().to_bytes();
      std::copy(b.begin(), b.end(), r.addr.begin());
    } else {
      const auto b = e.address().to_v6().to_bytes();
      std::copy(b.begin(), b.end(), r.addr.begin());
      r.v6 = true;
    }
    return r;
  }

  // The connection's handshake, once its socket is connected (we are the client with --target).
  void evidence_open(Live& c) {
    if (!pcap_) return;
    c.local = endpoint_of(c.conn->local());
    c.remote = endpoint_of(c.conn->remote());
    const std::string what = "vsm-replay " + conv_name(c.idx) + ": live connection (" +
                             (cli_.target.empty() ? "accepted" : "connected") + ")";
    if (cli_.target.empty()) {
      pcap_->open_conn(c.idx, c.remote, c.local, wall_now(), what);
    } else {
      pcap_->open_conn(c.idx, c.local, c.remote, wall_now(), what);
    }
  }

  void evidence_flush() {
    if (!pcap_ || hold_) return;
    for (const Evidence& e : pending_) {
      const Live& c = *convs_[e.conv];
      const evidence::Endpoint& src = e.ours ? c.local : c.remote;
      const evidence::Endpoint& dst = e.ours ? c.remote : c.local;
      if (e.fin) {
        pcap_->close_conn(e.conv, src, dst, e.wall, e.comment);
      } else {
        pcap_->message(e.conv, src, dst, e.wall, e.bytes, e.comment);
      }
    }
    pending_.clear();
  }

  // A FIN from us (`ours`) or from the live peer.
  void evidence_fin(Live& c, bool ours) {
    if (!pcap_ || c.fin_written || c.local.port == 0) return;
    c.fin_written = true;
    pending_.push_back(
        Evidence{c.idx,
                 ours,
                 wall_now(),
                 {},
                 "vsm-replay " + conv_name(c.idx) + ": connection closed by " + (ours ? "vsm-replay" : "the live peer"),
                 true});
    evidence_flush();
  }

  // Differences and findings about the live message being processed (--pcap comments).
  void note(const std::string& what) {
    if (notes_) notes_->push_back(what);
  }

  // The tool connects as the initiator with --target, is the responder with --listen.
  Dir our_dir() const { return cli_.listen.empty() ? Dir::FromInitiator : Dir::FromResponder; }

  std::string conv_name(std::size_t i) const { return "c" + std::to_string(rec_.convs[i].id); }

  void difference(const Rec* r, std::size_t conv, const std::string& what) {
    ++differences_;
    out_ << "difference " << conv_name(conv);
    if (r) out_ << " frame " << r->frame << " (" << summary_of(r->msg) << ")";
    out_ << ": " << what << "\n";
    note("difference: " + what);
  }

  // --------------------------------------------------------------- ID mapping
  std::uint32_t map_out(std::uint8_t type, std::uint32_t v) const {
    auto mt = maps_.find(type);
    if (mt == maps_.end()) return v;
    auto it = mt->second.find(v);
    return it == mt->second.end() ? v : it->second;
  }

  Message mapped(const Message& m) const {
    Message out = m;
    for (Option& o : out.options) {
      if (o.type == u8(OptType::Port) && o.value.size() == 2) {
        const auto p = map_out(o.type, static_cast<std::uint32_t>((o.value[0] << 8) | o.value[1]));
        o.value = {static_cast<std::uint8_t>(p >> 8), static_cast<std::uint8_t>(p)};
        continue;
      }
      if (!is_id(o.type)) continue;
      if (auto v = u32_of(o)) {
        const auto id = map_out(o.type, *v);
        o.value = {static_cast<std::uint8_t>(id >> 24), static_cast<std::uint8_t>(id >> 16),
                   static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id)};
      }
    }
    return out;
  }

  // Whether `key` ("node_info.mem_total") or its option ("node_info") is in `set`.
  static bool listed(const std::set<std::string>& set, const std::string& key) {
    if (set.count(key)) return true;
    const auto dot = key.find('.');
    return dot != std::string::npos && set.count(key.substr(0, dot));
  }
  bool ignored(const std::string& key) const { return listed(cli_.ignore, key); }

  // Compares a live message with the recorded one; learns Node and Function IDs.
  void compare(std::size_t ri, const Message& live) {
    const Rec& r = rec_.recs[ri];
    const Message& m = r.msg;
    const auto label = [](std::span<const Named> t, std::uint8_t v) { return keyword_text(t, v); };
    if (m.type != live.type && !ignored("type")) {
      difference(&r, r.conv,
                 "type: recorded " + label(kMessageTypes, m.type) + ", live " + label(kMessageTypes, live.type));
      return;
    }
    if (m.subtype != live.subtype && !ignored("subtype")) {
      difference(&r, r.conv,
                 "Sub-Type: recorded " + std::to_string(m.subtype) + ", live " + std::to_string(live.subtype));
    }
    if (m.code != live.code && !ignored("code")) {
      difference(&r, r.conv,
                 "Code: recorded " + label(kResultCodes, m.code) + ", live " + label(kResultCodes, live.code));
    }
    std::map<std::string, std::vector<const Option*>> a, b;
    std::vector<std::string> keys;
    for (const Option& o : m.options) {
      auto k = option_keyword(o.type, o.subtype);
      if (!a.count(k) && !b.count(k)) keys.push_back(k);
      a[k].push_back(&o);
    }
    for (const Option& o : live.options) {
      auto k = option_keyword(o.type, o.subtype);
      if (!a.count(k) && !b.count(k)) keys.push_back(k);
      b[k].push_back(&o);
    }
    for (const auto& k : keys) {
      if (ignored(k)) continue;
      const auto& ra = a[k];
      const auto& lb = b[k];
      const std::size_t n = std::max(ra.size(), lb.size());
      for (std::size_t i = 0; i < n; ++i) {
        if (i >= lb.size()) {
          difference(&r, r.conv, "option " + k + ": recorded " + shown(*ra[i]) + ", live missing");
          continue;
        }
        if (i >= ra.size()) {
          difference(&r, r.conv, "option " + k + ": live " + shown(*lb[i]) + ", not in the recording");
          continue;
        }
        if (listed(cli_.ignore_value, k)) continue;
        const Option& x = *ra[i];
        const Option& y = *lb[i];
        if (learnable(x) && learnable(y)) {
          const std::uint32_t rv = number(x), lv = number(y);
          auto& mp = maps_[x.type];
          auto it = mp.find(rv);
          if (it == mp.end() && rv != 0 && lv != 0) {
            mp.emplace(rv, lv);
            if (rv != lv) out_ << "learnt " << k << " " << rv << " -> " << lv << "\n";
            continue;
          }
          if ((it == mp.end() ? rv : it->second) != lv) {
            difference(&r, r.conv,
                       "option " + k + ": recorded " + std::to_string(rv) + " (live " +
                           std::to_string(it == mp.end() ? rv : it->second) + "), live " + std::to_string(lv));
          }
          continue;
        }
        if (x.value != y.value) {
          difference(&r, r.conv, "option " + k + ": recorded " + shown(x) + ", live " + shown(y));
        }
      }
    }
  }

  // --------------------------------------------------------------- sockets
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;
      // The next conversation in recorded order that has no connection yet.
      for (auto& c : convs_) {
        if (!c->conn && !c->closed) {
          start_live(*c, std::move(s));
          if (cli_.verbose) out_ << conv_name(c->idx) << ": accepted" << std::endl;
          advance();
          break;
        }
      }
      if (std::any_of(convs_.begin(), convs_.end(), [](const auto& c) { return !c->conn && !c->closed; })) {
        accept();
      } else {
        acceptor_.close();
      }
    });
  }

  void connect(Live& c) {
    c.connecting = true;
    const tcp::endpoint ep(asio::ip::make_address(cli_.host), cli_.port);
    auto sock = std::make_shared<tcp::socket>(io_);
    try {
      // Opened here: async_connect would open a closed socket as TCP.
      transport::open(*sock, ep.protocol(), cli_.sctp);
    } catch (const boost::system::system_error& e) {
      err_ << "vsm-replay replay: cannot open a socket: " << e.what() << "\n";
      fail_io();
      return;
    }
    sock->async_connect(ep, [this, &c, sock](boost::system::error_code e) {
      c.connecting = false;
      if (e) {
        err_ << "vsm-replay replay: cannot connect to " << cli_.target << ": " << e.message() << "\n";
        fail_io();
        return;
      }
      start_live(c, std::move(*sock));
      advance();
    });
  }

  // A connected or accepted socket becomes the conversation's live connection.
  void start_live(Live& c, tcp::socket s) {
    transport::tune(s, cli_.sctp, cli_.sctp_ppid);
    io::IoConfig cfg;
    cfg.session.initiator = our_dir() == Dir::FromInitiator;  // the roles are learnt from the messages
    cfg.session.first_seq = c.first_seq;
    cfg.session.check_sent = false;  // what we send is the recording's, judged when it was captured
    cfg.sctp = cli_.sctp;
    cfg.ack_timers = false;  // what the live side does not answer is a difference (--timeout)
    c.conn = std::make_shared<io::SessionIo>(std::move(s), cfg);
    c.conn->start(
        {[this, &c](const SessionEvent& e) { on_live(c, e); }, {}, [this, &c](const std::string&) { on_closed(c); }});
    evidence_open(c);
  }

  void fail_io() {
    io_error_ = true;
    io_.stop();
  }

  // The live side ended the connection (or a write failed); one we close ourselves is closed already.
  void on_closed(Live& c) {
    if (c.closed) return;
    if (!done_) out_ << conv_name(c.idx) << ": connection closed by the peer\n";
    evidence_fin(c, false);
    c.closed = true;
    advance();
  }

  // `why`: the recorded frame the message plays, for the --pcap comment. Our
  // requests get the connection's next sequence number, ACKs keep theirs.
  Sent send(Live& c, Message m, const std::string& why) {
    Sent s = c.conn->send(std::move(m));
    if (s.error) {
      // Never a wrapped Length: the message is not sent, and said so.
      out_ << conv_name(c.idx) << " not sent (" << why << "): a message of " << s.size << " octets exceeds the "
           << max_message_size() << " a VSM message can carry [" << requirement(Req::Length).id << "]" << std::endl;
      return s;
    }
    ++sent_;
    if (pcap_ || cli_.verbose) {
      const std::string what = summarize(decode(s.bytes));
      if (pcap_) {
        pending_.push_back(Evidence{c.idx, true, wall_now(), s.bytes,
                                    "vsm-replay " + conv_name(c.idx) + ": sent " + what + "; " + why});
        evidence_flush();
      }
      if (cli_.verbose) out_ << conv_name(c.idx) << " > " << what << std::endl;
    }
    return s;
  }

  // Closes once what is queued is written.
  void shut(Live& c) {
    if (c.closed) return;
    c.closed = true;
    if (!c.conn) return;
    evidence_fin(c, true);
    c.conn->close("replay done");
  }

  // --------------------------------------------------------------- live messages
  void report_findings(Live& c, const MessageView& v, const FindingList& fl) {
    for (const Finding& f : fl) {
      ++findings_;
      if (f.severity() == Severity::Error) ++errors_;
      const char* sev = f.severity() == Severity::Error     ? "error"
                        : f.severity() == Severity::Warning ? "warning"
                                                            : "note";
      out_ << "finding " << conv_name(c.idx) << " live " << summarize(v) << ": " << sev << " " << describe(f) << "\n";
      note(std::string("finding: ") + sev + " " + describe(f));
    }
  }

  // A live message; with --pcap it is written with the differences and findings it caused, followed by
  // the messages sent in answer.
  void on_live(Live& c, const SessionEvent& e) {
    if (e.kind == EventKind::EndedInsideMessage) {
      out_ << "note " << conv_name(c.idx) << " live: the connection ended inside a message (" << e.message.bytes.size()
           << " octet(s) at stream offset " << e.stream_offset << ")\n";
      return;
    }
    if (e.kind == EventKind::FramingError) {
      // Nothing more is framed on this connection (what the live side sends next is not read).
      ++findings_;
      ++errors_;
      out_ << "finding " << conv_name(c.idx) << " live: error [" << requirement(Req::Length).id
           << "] framing lost at stream offset " << e.stream_offset << ": " << e.error << "\n";
      return;
    }
    if (!pcap_) {
      handle_live(c, e);
      return;
    }
    const Bytes pdu = e.message.bytes;
    const std::size_t at = pending_.size();
    pending_.push_back(Evidence{c.idx, false, wall_now(), std::vector<std::uint8_t>(pdu.begin(), pdu.end()), {}});
    std::vector<std::string> notes;
    notes_ = &notes;
    live_frame_.reset();
    ++hold_;
    handle_live(c, e);
    --hold_;
    notes_ = nullptr;
    std::string& cm = pending_[at].comment;
    cm = "vsm-replay " + conv_name(c.idx) + ": received " + summarize(e.message) + "; " +
         (live_frame_ ? "recorded frame " + std::to_string(*live_frame_) : std::string("not in the recording"));
    for (const auto& n : notes) cm += "; " + n;
    evidence_flush();
  }

  // `e`: the live message with the findings of the codec's rules and the connection's tracker.
  void handle_live(Live& c, const SessionEvent& e) {
    ++received_;
    const MessageView& v = e.message;
    if (cli_.verbose) out_ << conv_name(c.idx) << " < " << summarize(v) << std::endl;
    report_findings(c, v, e.findings);
    if (!v.has_header()) return;
    const Message live = Message::from(v);
    if (v.is_ack()) {
      auto it = e.request ? c.ours_by_id.find(e.request->id) : c.ours_by_id.end();
      if (it == c.ours_by_id.end()) {
        difference(nullptr, c.idx, "live " + summarize(v) + " answers none of our requests");
      } else {
        const Rec& q = rec_.recs[it->second];
        c.ours_by_id.erase(it);
        if (!q.ack) {
          difference(&q, c.idx, "live " + summarize(v) + ": the recording has no ACK for this request");
        } else {
          matched_[*q.ack] = true;
          arrival_[*q.ack] = Clock::now();
          live_frame_ = rec_.recs[*q.ack].frame;
          compare(*q.ack, live);
          if (q.msg.type == u8(MsgType::Registration)) {
            if (auto id = live.node_id()) c.node_id = *id;
          }
        }
      }
      notes_ = nullptr;
      advance();
      return;
    }
    // A request: the next recorded one of the same kind on this conversation.
    std::optional<std::size_t> j;
    for (std::size_t i = 0; i < rec_.recs.size(); ++i) {
      const Rec& r = rec_.recs[i];
      if (r.conv == c.idx && !r.ours && !matched_[i] && r.msg.type == v.header.type &&
          (r.msg.type != u8(MsgType::Operation) || r.msg.subtype == v.header.subtype)) {
        j = i;
        break;
      }
    }
    if (!j) {
      // Keep-Alives come at the live peer's pace; anything else was not recorded.
      if (!v.is(MsgType::KeepAlive)) difference(nullptr, c.idx, "live " + summarize(v) + " not in the recording");
      send(c, auto_ack(c, v), ack_why(c, v, std::nullopt));
      notes_ = nullptr;
      advance();
      return;
    }
    matched_[*j] = true;
    arrival_[*j] = Clock::now();
    live_seq_[*j] = v.header.seq;
    live_sub_[*j] = v.header.subtype;
    live_frame_ = rec_.recs[*j].frame;
    compare(*j, live);
    if (!rec_.recs[*j].ack || v.is(MsgType::KeepAlive)) {
      // Not ACKed in the recording (or a Keep-Alive, answered at once): ACK it as the protocol wants.
      if (rec_.recs[*j].ack) matched_[*rec_.recs[*j].ack] = true;
      send(c, auto_ack(c, v, rec_.recs[*j].ack), ack_why(c, v, rec_.recs[*j].ack));
    }
    notes_ = nullptr;
    advance();
  }

  // The --pcap comment of an ACK made by auto_ack.
  std::string ack_why(Live& c, const MessageView& v, std::optional<std::size_t> tmpl) {
    if (tmpl) return "recorded frame " + std::to_string(rec_.recs[*tmpl].frame);
    for (std::size_t i = 0; i < rec_.recs.size(); ++i) {
      const Rec& r = rec_.recs[i];
      if (r.conv == c.idx && r.ours && r.answers && rec_.recs[*r.answers].msg.type == v.header.type) {
        return "ACK of a live request, modelled on recorded frame " + std::to_string(r.frame);
      }
    }
    return "ACK of a live request, not in the recording";
  }

  // An ACK for a live request: the recorded ACK of that kind when there is one, else a plain Successful ACK.
  Message auto_ack(Live& c, const MessageView& v, std::optional<std::size_t> tmpl = std::nullopt) {
    if (!tmpl) {
      for (std::size_t i = 0; i < rec_.recs.size(); ++i) {
        const Rec& r = rec_.recs[i];
        if (r.conv == c.idx && r.ours && r.answers && rec_.recs[*r.answers].msg.type == v.header.type) {
          tmpl = i;
          break;
        }
      }
    }
    Message a;
    if (tmpl) {
      a = mapped(rec_.recs[*tmpl].msg);
    } else {
      a = ack_for(v.header, ResultCode::Successful, c.node_id.value_or(v.node_id().value_or(0)));
    }
    a.seq = v.header.seq;
    a.subtype = v.header.subtype;
    return a;
  }

  // --------------------------------------------------------------- the script
  bool is_event(const Rec& r) const {
    if (r.ours) {
      // Our ACKs of recorded Keep-Alives are sent when the live Keep-Alive comes.
      if (r.answers && rec_.recs[*r.answers].msg.type == u8(MsgType::KeepAlive)) return false;
      return true;
    }
    // Live Keep-Alives come at the live peer's pace (ACKed on arrival); every other live message is awaited.
    return r.msg.type != u8(MsgType::KeepAlive);
  }

  void arm(Clock::time_point at) {
    ++gen_;
    timer_.expires_at(at);
    timer_.async_wait([this, g = gen_](boost::system::error_code ec) {
      if (ec || g != gen_) return;
      advance();
    });
  }

  void advance() {
    if (done_ || in_advance_) return;
    in_advance_ = true;
    while (head_ < rec_.recs.size()) {
      const Rec& r = rec_.recs[head_];
      if (!is_event(r)) {
        ++head_;
        continue;
      }
      Live& c = *convs_[r.conv];
      if (!r.ours) {
        if (matched_[head_]) {
          // The recorded timing of what follows counts from this message's arrival.
          if (arrival_[head_]) {
            prev_rec_ = r.time;
            prev_done_ = std::max(prev_done_, *arrival_[head_]);
          }
          ++head_;
          deadline_.reset();
          continue;
        }
        if (!deadline_)
          deadline_ =
              Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(cli_.timeout));
        if (Clock::now() >= *deadline_ || c.closed) {
          difference(&r, r.conv, "not received from the live peer within " + fmt_s(cli_.timeout) + " s");
          matched_[head_] = true;
          if (r.answers) {
            // Our request stays unanswered; forget it so a late ACK shows up as a difference.
            for (auto it = c.ours_by_id.begin(); it != c.ours_by_id.end(); ++it) {
              if (it->second == *r.answers) {
                c.ours_by_id.erase(it);
                break;
              }
            }
          }
          ++head_;
          deadline_.reset();
          continue;
        }
        arm(*deadline_);
        in_advance_ = false;
        return;
      }
      // Ours: a connection first.
      if (!c.open()) {
        if (c.closed) {
          difference(&r, r.conv, "not sent: the connection is closed");
          ++head_;
          continue;
        }
        if (!cli_.target.empty() && !c.connecting) connect(c);
        in_advance_ = false;
        return;  // connect/accept calls advance()
      }
      if (!cli_.asap) {
        const double gap = head_ > 0 && prev_rec_ ? (r.time - *prev_rec_) / cli_.speed : 0.0;
        const auto due =
            prev_done_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(std::max(0.0, gap)));
        if (Clock::now() < due) {
          arm(due);
          in_advance_ = false;
          return;
        }
      }
      if (r.answers) {
        const std::size_t q = *r.answers;
        if (!live_seq_[q]) {
          out_ << "note " << conv_name(r.conv) << " frame " << r.frame
               << ": not sent, the request it answers was not received\n";
        } else {
          Message a = mapped(r.msg);
          a.seq = *live_seq_[q];
          a.subtype = live_sub_[q];
          send(c, a, "recorded frame " + std::to_string(r.frame));
        }
      } else {
        const Sent& s = send(c, mapped(r.msg), "recorded frame " + std::to_string(r.frame));
        if (r.msg.type != u8(MsgType::Ack)) c.ours_by_id[s.id] = head_;
      }
      prev_rec_ = r.time;
      prev_done_ = Clock::now();
      ++head_;
    }
    // Every recorded event is done: close once written.
    done_ = true;
    ++gen_;
    timer_.cancel();
    acceptor_.close();
    for (auto& c : convs_) shut(*c);
    in_advance_ = false;
  }

  static std::string fmt_s(double s) {
    char b[32];
    std::snprintf(b, sizeof b, "%g", s);
    return b;
  }

  Recording& rec_;
  const ReplayCli& cli_;
  std::ostream& out_;
  std::ostream& err_;
  asio::io_context io_;
  asio::steady_timer timer_;
  tcp::acceptor acceptor_;
  std::vector<std::unique_ptr<Live>> convs_;
  std::vector<bool> matched_;
  std::vector<std::optional<std::uint32_t>> live_seq_;
  std::vector<std::uint8_t> live_sub_;
  std::vector<std::optional<Clock::time_point>> arrival_;                // when each matched live message arrived
  std::map<std::uint8_t, std::map<std::uint32_t, std::uint32_t>> maps_;  // option type -> recorded -> live
  std::size_t head_ = 0;
  std::optional<Clock::time_point> deadline_;
  std::optional<double> prev_rec_;
  Clock::time_point start_, prev_done_;
  std::uint64_t gen_ = 0;
  bool in_advance_ = false, done_ = false, io_error_ = false;
  std::uint64_t sent_ = 0, received_ = 0, differences_ = 0, findings_ = 0, errors_ = 0;
  std::unique_ptr<evidence::Writer> pcap_;
  std::vector<Evidence> pending_;
  int hold_ = 0;
  std::vector<std::string>* notes_ = nullptr;
  std::optional<std::uint64_t> live_frame_;
};

// ---------------------------------------------------------------- to-scenario

// The recording as the runner's scenario structures, written by the scenario module's writer.
class ScenarioWriter {
 public:
  ScenarioWriter(const Recording& r, Role ours, std::optional<std::size_t> only) : r_(r), ours_(ours), only_(only) {}

  std::string write(const std::string& file) {
    const bool iut_manager = ours_ == Role::Node;
    sc::ScenarioFile f;
    f.suite = "replay";
    f.role = iut_manager ? sc::IutRole::Manager : sc::IutRole::Agent;
    f.groups = {"replay"};
    f.guard = 30;
    sc::TestCase t;
    t.id = "REPLAY-" + (only_ ? "C" + std::to_string(r_.convs[*only_].id) : std::string("ALL"));
    t.title = "recorded conversation(s) of " + file;
    t.requirements = {std::string(requirement(Req::AckEveryMessage).id)};
    t.groups = f.groups;
    t.role = f.role;
    t.policy.auto_ack = false;
    double t0 = 0, t1 = 0;
    bool first = true;
    std::set<std::size_t> opened;
    for (std::size_t i = 0; i < r_.recs.size(); ++i) {
      const Rec& m = r_.recs[i];
      if (only_ && m.conv != *only_) continue;
      if (first) t0 = m.time;
      first = false;
      t1 = m.time;
      const sc::ConnArg conn = sc::Arg<std::string>{"c" + std::to_string(r_.convs[m.conv].id)};
      if (!opened.count(m.conv)) {
        opened.insert(m.conv);
        if (iut_manager) {
          t.body.push_back({sc::Connect{conn, {}, {}}, {}});
        } else {
          t.body.push_back({sc::Accept{conn, {}}, {}});
        }
      }
      const bool keepalive_pair =
          m.msg.type == u8(MsgType::KeepAlive) ||
          (m.answers && r_.recs[*m.answers].msg.type == u8(MsgType::KeepAlive) && !r_.recs[*m.answers].ours);
      if (!m.ours && keepalive_pair) continue;  // the implementation's Keep-Alives: policy auto_keepalive
      if (m.ours && keepalive_pair && m.answers) continue;
      if (m.ours) {
        t.body.push_back({m.answers ? ack_step(m, conn) : send_step(m, conn), {}});
      } else {
        t.body.push_back({expect_step(m, conn), {}});
      }
    }
    t.guard = static_cast<int>(t1 - t0 + 20);
    f.tests.push_back(std::move(t));
    const std::string comment = "Written by vsm-replay to-scenario from " + file + ".\nThe runner plays the recorded " +
                                (iut_manager ? "Execution Node(s)" : "Manager Node") +
                                "; the implementation under test must answer as the recording did.\n"
                                "IDs the implementation assigned in the recording are captured into variables.";
    return sc::write_scenario(f, comment);
  }

 private:
  std::string id_text(std::uint8_t type, std::uint32_t v) const {
    const auto& m = type == u8(OptType::NodeId) ? nodes_ : funcs_;
    auto it = m.find(v);
    return it == m.end() ? std::to_string(v) : it->second;
  }
  bool is_var(std::uint8_t type, std::uint32_t v) const {
    return (type == u8(OptType::NodeId) ? nodes_ : funcs_).count(v) > 0;
  }
  sc::Arg<std::string> id_value(std::uint8_t type, std::uint32_t v) const {
    if (is_var(type, v)) return sc::Var{id_text(type, v)};
    return std::to_string(v);
  }

  // One option as the runner's option (raw when the keywords cannot say it), IDs as their variables.
  sc::OptionItem option_item(const Option& o) const {
    sc::OptionItem item = sc::text::option_item(o);
    auto* k = std::get_if<sc::KeyedOption>(&item.what);
    if (k && is_id(o.type) && u32_of(o)) k->value = id_value(o.type, *u32_of(o));
    return item;
  }

  // Type, then the operation of an Operation or a Sub-Type that is not 0.
  template <class T>
  void header_fields(const Message& m, T& x) const {
    x.type = m.type;
    if (m.type == u8(MsgType::Operation)) {
      x.op = m.subtype;
    } else if (m.subtype != 0) {
      x.subtype = m.subtype;
    }
  }

  sc::StepKind send_step(const Rec& m, const sc::ConnArg& conn) {
    sc::Send s;
    s.conn = conn;
    header_fields(m.msg, s.msg);
    if (m.msg.code != 0) s.msg.code = m.msg.code;
    s.msg.capture_seq = "s" + std::to_string(m.frame);
    for (const Option& o : m.msg.options) s.msg.options.push_back(option_item(o));
    return s;
  }

  sc::StepKind ack_step(const Rec& m, const sc::ConnArg& conn) {
    sc::Ack a;
    a.conn = conn;
    a.of = "r" + std::to_string(r_.recs[*m.answers].frame);
    a.code = m.msg.code;
    std::size_t first = 0;
    if (!m.msg.options.empty() && m.msg.options[0].type == u8(OptType::NodeId) && u32_of(m.msg.options[0])) {
      const std::uint32_t v = *u32_of(m.msg.options[0]);
      if (is_var(u8(OptType::NodeId), v)) {
        a.node = sc::Var{id_text(u8(OptType::NodeId), v)};
      } else {
        a.node = v;
      }
      first = 1;
    } else {
      a.no_node_id = true;
    }
    for (std::size_t i = first; i < m.msg.options.size(); ++i) a.options.push_back(option_item(m.msg.options[i]));
    return a;
  }

  sc::StepKind expect_step(const Rec& m, const sc::ConnArg& conn) {
    sc::Expect e;
    e.conn = conn;
    sc::Predicate& p = e.what.pred;
    p.order.keys = {"type", "op", "subtype", "code", "seq", "option"};
    header_fields(m.msg, p);
    if (m.msg.type == u8(MsgType::Ack)) {
      p.code.push_back(sc::CodeMatch{sc::CodeMatch::Kind::Value, m.msg.code});
      if (m.answers) p.seq = sc::Var{"s" + std::to_string(r_.recs[*m.answers].frame)};
    }
    // Identity options and the Running status are expected; other values (resources, times) vary.
    std::map<std::pair<std::uint8_t, std::uint8_t>, unsigned> seen;
    for (const Option& o : m.msg.options) {
      sc::OptKey k{o.type, std::nullopt, seen[{o.type, o.subtype}]++};
      if (const OptionSpec* spec = option_spec(o.type); !spec || !spec->subs.empty()) k.sub = o.subtype;
      if (is_id(o.type) && u32_of(o)) {
        const std::uint32_t v = *u32_of(o);
        auto& mp = o.type == u8(OptType::NodeId) ? nodes_ : funcs_;
        if (v != 0 && !mp.count(v)) {
          const std::string var =
              std::string(o.type == u8(OptType::NodeId) ? "node_" : "function_") + std::to_string(v);
          e.what.capture.push_back(sc::Capture{var, sc::CaptureField{sc::CaptureField::Kind::Option, k}});
          mp.emplace(v, var);
          continue;
        }
        p.option.push_back(sc::OptionValues{k, {id_value(o.type, v)}});
      } else if (o.type == u8(OptType::FunctionInfo) && o.subtype == function_info::RunningStatus && !o.value.empty()) {
        p.option.push_back(sc::OptionValues{k, {std::string(o.value.begin(), o.value.end())}});
      }
    }
    if (m.msg.type != u8(MsgType::Ack)) e.what.as = "r" + std::to_string(m.frame);
    return e;
  }

  const Recording& r_;
  Role ours_;
  std::optional<std::size_t> only_;
  std::map<std::uint32_t, std::string> nodes_, funcs_;
};

// ---------------------------------------------------------------- command line

int load(const std::string& file, const Options& eo, Recording& rec, std::ostream& err) {
  RecordSink sink(rec);
  Options o = eo;
  o.threads = 1;
  Engine engine(o, sink);
  ReadResult rr = read_capture(file, engine, {});
  engine.finish();
  if (rr.status != exit_code::kOk) {
    // replay and to-scenario need the whole recording: any read error is an I/O error (exit 2).
    err << rr.error << "\n";
    return exit_code::kIo;
  }
  if (rec.recs.empty()) {
    err << (file == "-" ? std::string("standard input") : file)
        << ": nothing recognised as VSM: try --auto (the codec's heuristic on every connection) or --port N\n";
    return exit_code::kIo;
  }
  return exit_code::kOk;
}

}  // namespace

int run_live(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const std::string command = args.at(0);
  ReplayCli cli;
  Options eo;
  std::string role, output;
  CaptureArgs capture;
  std::string transport_name = "recorded";
  std::vector<std::string> ignore, ignore_value;
  unsigned conversation = 0;
  const bool replay = command == "replay";
  const cli::CommandHelp help{"vsm-replay", command,
                              replay ? "FILE --role node|manager (--target HOST:PORT | --listen HOST:PORT)"
                                     : "FILE --role node|manager -o OUT.yaml",
                              replay ? kReplaySummary : kScenarioSummary};
  po::options_description desc("Options");
  desc.add_options()("help,h", "this text")("role", po::value(&role)->value_name("node|manager"),
                                            "the recorded side the tool plays");
  if (replay) {
    desc.add_options()("target", po::value(&cli.target)->value_name("HOST:PORT"),
                       "connect to the live implementation there (a name, IPv4, or [IPv6]:PORT)")(
        "listen", po::value(&cli.listen)->value_name("HOST:PORT"),
        "listen there for the live implementation to connect (port 0: any; printed as 'listening on ...')")(
        "speed", cli::value_with_default(&cli.speed), "play the recorded timing F times faster")(
        "asap", po::bool_switch(&cli.asap), "as fast as the live ACKs allow")(
        "timeout", cli::value_with_default(&cli.timeout), "seconds to wait for each recorded live message")(
        "transport", cli::value_with_default(&transport_name),
        "tcp, sctp, or recorded (the transport the conversations were captured on)")(
        "sctp-ppid", cli::value_with_default(&cli.sctp_ppid),
        "SCTP payload protocol identifier of the DATA chunks sent (none is assigned to VSM)")(
        "ignore", po::value(&ignore)->composing()->value_name("FIELD"),
        "field not compared (repeatable): type, subtype, code, or an option keyword (node_info, "
        "node_info.mem_available)")(
        "ignore-value", po::value(&ignore_value)->composing()->value_name("OPTION"),
        "option whose value is not compared (repeatable); its presence and count still are")(
        "verbose,v", po::bool_switch(&cli.verbose), "print every message")(
        "pcap", po::value(&cli.pcap)->value_name("OUT"),
        "write every message sent and received on the live connections to OUT (pcapng, with the live "
        "addresses and ports; comments name the recorded frame and any difference or finding)");
  } else {
    desc.add_options()("conversation", po::value(&conversation)->value_name("N"),
                       "only this conversation (c1 = 1); default all")(
        "output,o", po::value(&output)->value_name("OUT.yaml"), "the scenario file to write");
  }
  desc.add(capture_options(capture, eo));
  po::options_description hidden;
  hidden.add_options()("file", po::value(&cli.file));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (cli::asks_for(rest, "help", "h")) {
    cli::print_help(out, help, desc);
    return exit_code::kOk;
  }
  if (auto e = cli::parse_options(rest, all, pos, vm)) return cli::usage_error(err, help, *e);
  auto usage = [&](const std::string& why) { return cli::usage_error(err, help, why); };
  if (cli.file.empty()) return usage("no capture file given (- reads standard input)");
  if (role == "node") {
    cli.role = Role::Node;
  } else if (role == "manager") {
    cli.role = Role::Manager;
  } else {
    return usage("--role must be node or manager");
  }
  if (auto e = apply_capture_options(capture, eo)) return usage(*e);
  cli.ignore.insert(ignore.begin(), ignore.end());
  cli.ignore_value.insert(ignore_value.begin(), ignore_value.end());
  if (transport_name != "recorded" && transport_name != "tcp" && transport_name != "sctp") {
    return usage("--transport must be tcp, sctp or recorded");
  }
  if (replay) {
    if (cli.target.empty() == cli.listen.empty()) return usage("give one of --target and --listen");
    const bool listening = !cli.listen.empty();
    const auto hp = cli::parse_host_port(listening ? cli.listen : cli.target,
                                         listening ? cli::PortZero::Allowed : cli::PortZero::Refused);
    if (!hp) return usage(std::string(listening ? "--listen " : "--target ").append(hp.error()));
    const auto addrs = cli::resolve(*hp);
    if (!addrs) return usage(std::string(listening ? "--listen: " : "--target: ").append(addrs.error()));
    cli.host = addrs->front();
    cli.port = hp->port;
    if (!(cli.speed > 0)) return usage("--speed must be above 0");
    if (!(cli.timeout > 0)) return usage("--timeout must be above 0");
    if (!cli.pcap.empty() && !evidence::available()) return usage("--pcap: this build has no libwiretap");
  } else if (output.empty()) {
    return usage("-o OUT.yaml is needed");
  }
  std::ofstream f;  // to-scenario: opened before the capture is read, so that a bad path is said at once
  if (!replay) {
    f.open(output);
    if (!f) {
      err << "vsm-replay to-scenario: cannot write " << output << ": " << std::strerror(errno) << "\n";
      return exit_code::kIo;
    }
  }
  Recording rec;
  if (const int rc = load(cli.file, eo, rec, err); rc != exit_code::kOk) {
    if (!replay) std::remove(output.c_str());  // nothing half-written is left behind
    return rc;
  }
  link(rec, cli.role);
  if (command == "to-scenario") {
    std::optional<std::size_t> only;
    if (conversation != 0) {
      for (std::size_t i = 0; i < rec.convs.size(); ++i) {
        if (rec.convs[i].id == conversation) only = i;
      }
      if (!only) {
        return usage(
            std::string("no VSM conversation c").append(std::to_string(conversation)).append(" in the capture"));
      }
    }
    ScenarioWriter w(rec, cli.role, only);
    f << w.write(cli.file);
    if (!f.flush()) {
      err << "vsm-replay to-scenario: cannot write " << output << ": " << std::strerror(errno) << "\n";
      return exit_code::kIo;
    }
    out << output << ": " << (only ? 1 : rec.convs.size()) << " conversation(s) written\n";
    return exit_code::kOk;
  }
  // One transport for the whole replay: as recorded unless --transport says.
  if (transport_name == "recorded") {
    const auto sctp = [](const ConvInfo& c) { return c.transport == Transport::Sctp; };
    const bool all = std::all_of(rec.convs.begin(), rec.convs.end(), sctp);
    if (!all && std::any_of(rec.convs.begin(), rec.convs.end(), sctp)) {
      return usage("the capture holds TCP and SCTP conversations: choose one with --transport tcp|sctp");
    }
    cli.sctp = all && !rec.convs.empty();
  } else {
    cli.sctp = transport_name == "sctp";
  }
  if (cli.sctp) {
    if (const std::string why = transport::sctp_unavailable_reason(); !why.empty()) {
      err << "vsm-replay replay: the conversations are replayed over SCTP (--transport), which this machine "
             "does not offer: "
          << why << "\n";
      return exit_code::kIo;
    }
  }
  if (cli.verbose) out << "live transport: " << (cli.sctp ? "SCTP" : "TCP") << "\n";
  Replayer r(rec, cli, out, err);
  return r.run();
}

}  // namespace vsm::replay
