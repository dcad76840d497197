// SPDX-License-Identifier: GPL-2.0-or-later
// vsm-evidence-sample: writes an evidence capture with the Writer, for the
// tests (evidence_test.py) to read back with tshark and vsm-replay.
//
//   vsm-evidence-sample OUT.pcapng tcp|sctp [v6]
//
// Two connections. The first carries the codec's typical messages, each from
// the side that sends it in a session (Execution Node = client), then a
// Status-Update larger than one segment or DATA chunk (65000 octets), then a
// FIN / SHUTDOWN from the client. The second carries one Keep-Alive and its
// ACK and is closed by the server. Prints the number of messages written.
#include <cstdio>
#include <cstring>
#include <string>

#include "evidence.hpp"
#include "vsm/message.hpp"
#include "vsm/samples.hpp"

int main(int argc, char** argv) {
  if (argc < 3 || (std::strcmp(argv[2], "tcp") != 0 && std::strcmp(argv[2], "sctp") != 0)) {
    std::fprintf(stderr, "usage: vsm-evidence-sample OUT.pcapng tcp|sctp [v6]\n");
    return 2;
  }
  const bool v6 = argc > 3 && std::strcmp(argv[3], "v6") == 0;
  std::string error;
  auto w = vsm::evidence::Writer::open(argv[1], "vsm-evidence-sample", error);
  if (!w) {
    std::fprintf(stderr, "vsm-evidence-sample: %s\n", error.c_str());
    return 1;
  }
  w->set_transport(std::strcmp(argv[2], "sctp") == 0 ? vsm::evidence::Transport::Sctp : vsm::evidence::Transport::Tcp);
  vsm::evidence::Endpoint node, manager, node2;
  node.v6 = manager.v6 = node2.v6 = v6;
  if (v6) {
    node.addr = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    manager.addr = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    node2.addr = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3};
  } else {
    node.addr = {10, 0, 0, 2};
    manager.addr = {10, 0, 0, 1};
    node2.addr = {10, 0, 0, 3};
  }
  node.port = 40001;
  node2.port = 40002;
  manager.port = vsm::kDefaultPort;

  double t = 1767225600.0;  // 2026-01-01T00:00:00Z
  int messages = 0;
  bool ok = w->open_conn(1, node, manager, t, "connection 1");
  for (const vsm::Sample& s : vsm::typical_messages()) {
    const bool from_node = s.sender == vsm::Role::Node;
    t += 0.001;
    ok = ok && w->message(1, from_node ? node : manager, from_node ? manager : node, t, s.message.encode().value(),
                          std::string(s.name));
    ++messages;
  }
  vsm::Message big = vsm::status_update(4242, 7);
  big.add(vsm::Option::vendor_info(std::string(65400, 'x')));
  ok = ok && w->message(1, node, manager, t + 0.001, big.encode().value(), "larger than one segment");
  ++messages;
  ok = ok && w->close_conn(1, node, manager, t + 0.002, "closed by the node");

  // The second connection is opened by its first message (no open_conn).
  const vsm::Message ka = vsm::keep_alive(9, 8);
  ok = ok && w->message(2, manager, node2, t + 0.003, ka.encode().value(), "") &&
       w->message(2, node2, manager, t + 0.004,
                  vsm::ack_for(vsm::Header{ka.type, 0, 0, 0, ka.seq}, vsm::ResultCode::Successful, 8).encode().value(),
                  "") &&
       w->close_conn(2, manager, node2, t + 0.005);
  messages += 2;
  if (!ok || !w->finish()) {
    std::fprintf(stderr, "vsm-evidence-sample: %s\n", w->error().c_str());
    return 1;
  }
  std::printf("%d\n", messages);
  return 0;
}
