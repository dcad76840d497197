// SPDX-License-Identifier: GPL-2.0-or-later
// Evidence capture: every byte the runner sent and received (in one file,
// --pcap, or one file per test, --pcap-dir), as pcapng
// written by the vsm_evidence library (tools/evidence/): raw IP packets with
// the connections' real addresses and ports, a synthesized handshake per
// connection (TCP or SCTP, as the run used), consistent sequence numbers, and
// a FIN (SHUTDOWN) when it ended. Every packet carries a comment naming
// the test and any finding about the message.
#include "pcap.hpp"

#include <fmt/format.h>

#include <evidence.hpp>
#include <utility>

namespace vsm::conform {

namespace {

evidence::Endpoint ep(const Endpoint& e) { return evidence::Endpoint{e.addr, e.v6, e.port}; }

}  // namespace

bool pcap_available() { return evidence::available(); }

bool write_pcap(const std::string& path, const std::vector<const Result*>& results, bool sctp, std::string& error) {
  if (!evidence::available()) {
    error = "this build of vsm-conform has no libwiretap";
    return false;
  }
  auto w = evidence::Writer::open(path, "vsm-conform", error);
  if (!w) return false;
  w->set_transport(sctp ? evidence::Transport::Sctp : evidence::Transport::Tcp);
  bool ok = true;
  for (const Result* rp : results) {
    const Result& r = *rp;
    // What the runner counted but did not keep (--record-limit, --record-messages): on the test's first packet.
    std::string untold = r.not_recorded.text();
    for (const auto& e : r.ladder) {
      if (e.kind == Exchange::Kind::Log || e.conn_uid == 0 || !ok) continue;
      const std::string test = fmt::format("vsm-conform test {} ({})", r.test->id, verdict_name(r.verdict));
      // The handshake, from the side that opened the connection (a no-op once it is open). The
      // runner's sequence numbers start at 1000, the implementation's at 5000.
      ok = e.runner_initiated
               ? w->open_conn(e.conn_uid, ep(e.runner), ep(e.iut), e.wall, test + ": connection " + e.conn, 1000, 5000)
               : w->open_conn(e.conn_uid, ep(e.iut), ep(e.runner), e.wall, test + ": connection " + e.conn, 5000, 1000);
      if (!ok) break;
      const evidence::Endpoint src = ep(e.from_runner ? e.runner : e.iut);
      const evidence::Endpoint dst = ep(e.from_runner ? e.iut : e.runner);
      std::string comment = test + (e.from_runner ? ": runner sent " : ": received ") + e.summary;
      for (const auto& x : e.findings) comment += "; finding " + x;
      if (!untold.empty()) comment += "; " + std::exchange(untold, std::string());
      ok = e.kind == Exchange::Kind::Close ? w->close_conn(e.conn_uid, src, dst, e.wall, comment)
                                           : w->message(e.conn_uid, src, dst, e.wall, e.bytes, comment);
    }
  }
  ok = w->finish() && ok;
  if (!ok) error = w->error();
  return ok;
}

}  // namespace vsm::conform
