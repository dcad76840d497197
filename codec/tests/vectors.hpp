// SPDX-License-Identifier: GPL-2.0-or-later
// Hand-written byte vectors for every message of section 6 of
// draft-yokota-opsawg-virtnw-service-management-02, typed from the draft's
// figures 5 and 6 and the wire profile (codec/PROFILE.md), never produced by
// the encoder:
//   header  Type(8) Sub-Type(8) Length(16) Code(8) Sequence(24), Length = total - 4
//   option  OP-Type(8) Sub-OP-Type(8) Length(16) = value length, then the value
// The Execution Node is Node ID 3, the destination node 5, the Function 7.
#pragma once

#include <cstdint>
#include <ostream>
#include <string_view>
#include <vector>

#include "vsm/rules.hpp"
#include "vsm/wire.hpp"

namespace vsm {
// Findings print as their requirement ID in assertion messages.
inline void PrintTo(Req r, std::ostream* os) { *os << requirement(r).id; }
}  // namespace vsm

namespace vsm::test {

using Buf = std::vector<std::uint8_t>;

// 6.2.1 REGISTRATION, seq 1, Node ID 3, Node information 6/1 processing capacity "2.4" GHz. 23 octets.
inline const Buf kRegistration{
    0x01, 0x00, 0x00, 0x13, 0x00, 0x00, 0x00, 0x01,  // Type 1, Sub 0, Length 19, Code 0, Seq 1
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03,  // @8  Node ID 3
    0x06, 0x01, 0x00, 0x03, '2',  '.',  '4',         // @16 Node info / processing capacity "2.4"
};

// 6.2.2 KEEP-ALIVE, seq 7, Node ID 3. 16 octets.
inline const Buf kKeepAlive{
    0x02, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x07,  // Type 2, Length 12, Seq 7
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03,  // @8 Node ID 3
};

// The same Keep-Alive with the draft's literal Length (total - 3 = 13).
inline const Buf kKeepAliveLiteral{
    0x02, 0x00, 0x00, 0x0d, 0x00, 0x00, 0x00, 0x07,  // Type 2, Length 13, Seq 7
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03,  // @8 Node ID 3
};

// 6.2.4 STATUS-UPDATE, seq 2, Node ID 3, Function ID 7, Running status "Running". 35 octets.
inline const Buf kStatusUpdate{
    0x04, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x00, 0x02,                 // Type 4, Length 31, Seq 2
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03,                 // @8  Node ID 3
    0x05, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07,                 // @16 Function ID 7
    0x07, 0x32, 0x00, 0x07, 'R',  'u',  'n',  'n',  'i', 'n', 'g',  // @24 Function info 50 "Running"
};

// 6.2.5 DE-REGISTRATION, seq 3, Node ID 3. 16 octets.
inline const Buf kDeregistration{
    0x05, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x03,  // Type 5, Length 12, Seq 3
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03,  // @8 Node ID 3
};

// 6.2.6 ACK of the Registration: Sub-Type 0 and Seq 1 copied, Code 0 Successful, Node ID 3. 16 octets.
inline const Buf kAckRegistration{
    0x06, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x01,  // Type 6, Length 12, Code 0, Seq 1
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03,  // @8 Node ID 3
};

// ERROR (local Type 7), seq 4, Code 128 Failed, Vendor-specific 9/1 "Protocol error". 26 octets.
inline const Buf kError{
    0x07, 0x00, 0x00, 0x16, 0x80, 0x00, 0x00, 0x04,  // Type 7, Length 22, Code 128, Seq 4
    0x09, 0x01, 0x00, 0x0e, 'P',  'r',  'o',  't',  'o', 'c', 'o', 'l', ' ', 'e', 'r', 'r', 'o', 'r',  // @8
};

// 6.3.1 GET, seq 10, Node ID 3, Function ID 7, wanting 6/11 available memory and 7/50 running status. 32 octets.
inline const Buf kGet{
    0x03, 0x01, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x0a,  // Type 3, Sub 1 GET, Length 28, Seq 10
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03,  // @8  Node ID 3
    0x05, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07,  // @16 Function ID 7
    0x06, 0x0b, 0x00, 0x00,                          // @24 Node info 11, Length 0
    0x07, 0x32, 0x00, 0x00,                          // @28 Function info 50, Length 0
};

// ACK of the GET: values filled in. 49 octets.
inline const Buf kGetAck{
    0x06, 0x01, 0x00, 0x2d, 0x00, 0x00, 0x00, 0x0a,                                // Type 6, Sub 1, Length 45, Seq 10
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03,                                // @8  Node ID 3
    0x05, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07,                                // @16 Function ID 7
    0x06, 0x0b, 0x00, 0x0a, '8',  '5',  '8',  '9',  '9', '3', '4', '5', '9', '2',  // @24 "8589934592"
    0x07, 0x32, 0x00, 0x07, 'R',  'u',  'n',  'n',  'i', 'n', 'g',                 // @38 "Running"
};

// 6.3.2 ADD, seq 11, Node ID 3, Function ID 7. 24 octets.
inline const Buf kAdd{
    0x03, 0x02, 0x00, 0x14, 0x00, 0x00, 0x00, 0x0b,  // Type 3, Sub 2 ADD, Length 20, Seq 11
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03,  // @8  Node ID 3
    0x05, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07,  // @16 Function ID 7
};

// ACK of the ADD, Running status "Starting". 36 octets.
inline const Buf kAddAck{
    0x06, 0x02, 0x00, 0x20, 0x00, 0x00, 0x00, 0x0b,                      // Type 6, Sub 2, Length 32, Seq 11
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03,                      // @8  Node ID 3
    0x05, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07,                      // @16 Function ID 7
    0x07, 0x32, 0x00, 0x08, 'S',  't',  'a',  'r',  't', 'i', 'n', 'g',  // @24 "Starting"
};

// 6.3.3 DELETE, seq 13, Node ID 3, Function ID 7. 24 octets.
inline const Buf kDelete{
    0x03, 0x03, 0x00, 0x14, 0x00, 0x00, 0x00, 0x0d,  // Type 3, Sub 3 DELETE, Length 20, Seq 13
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03,  // @8  Node ID 3
    0x05, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07,  // @16 Function ID 7
};

// ACK of the DELETE, Running status "Terminating". 39 octets.
inline const Buf kDeleteAck{
    0x06, 0x03, 0x00, 0x23, 0x00, 0x00, 0x00, 0x0d,  // Type 6, Sub 3, Length 35, Seq 13
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03,  // @8  Node ID 3
    0x05, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07,  // @16 Function ID 7
    0x07, 0x32, 0x00, 0x0b, 'T',  'e',  'r',  'm',  'i', 'n', 'a', 't', 'i', 'n', 'g',  // @24 "Terminating"
};

// 6.3.4 MOVE, seq 12, source Node ID 3, destination Node ID 5, Function ID 7. 32 octets.
inline const Buf kMove{
    0x03, 0x04, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x0c,  // Type 3, Sub 4 MOVE, Length 28, Seq 12
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03,  // @8  source Node ID 3
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x05,  // @16 destination Node ID 5
    0x05, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07,  // @24 Function ID 7
};

// ACK of the MOVE. 43 octets.
inline const Buf kMoveAck{
    0x06, 0x04, 0x00, 0x27, 0x00, 0x00, 0x00, 0x0c,                 // Type 6, Sub 4, Length 39, Seq 12
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03,                 // @8  source Node ID 3
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x05,                 // @16 destination Node ID 5
    0x05, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07,                 // @24 Function ID 7
    0x07, 0x32, 0x00, 0x07, 'R',  'u',  'n',  'n',  'i', 'n', 'g',  // @32 "Running"
};

// 6.3.5 COPY, seq 14, source 3, destination 5, Function ID 7. 32 octets.
inline const Buf kCopy{
    0x03, 0x05, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x0e,  // Type 3, Sub 5 COPY, Length 28, Seq 14
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03,  // @8  source Node ID 3
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x05,  // @16 destination Node ID 5
    0x05, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07,  // @24 Function ID 7
};

// ACK of the COPY. 43 octets.
inline const Buf kCopyAck{
    0x06, 0x05, 0x00, 0x27, 0x00, 0x00, 0x00, 0x0e,                 // Type 6, Sub 5, Length 39, Seq 14
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03,                 // @8  source Node ID 3
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x05,                 // @16 destination Node ID 5
    0x05, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07,                 // @24 Function ID 7
    0x07, 0x32, 0x00, 0x07, 'R',  'u',  'n',  'n',  'i', 'n', 'g',  // @32 "Running"
};

// 6.3.6 MOVE_SESSION, seq 15, source 3, destination 5, Session info 8/1 SIP URI. 49 octets.
inline const Buf kMoveSession{
    0x03, 0x06, 0x00, 0x2d, 0x00, 0x00, 0x00, 0x0f,  // Type 3, Sub 6 MOVE_SESSION, Length 45, Seq 15
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03,  // @8  source Node ID 3
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x05,  // @16 destination Node ID 5
    0x08, 0x01, 0x00, 0x15,                          // @24 Session info / SIP URI, Length 21
    's',  'i',  'p',  ':',  'a',  'l',  'i',  'c',  'e', '@', 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm',
};

// ACK of the MOVE_SESSION (no Function ID in the command). 27 octets.
inline const Buf kMoveSessionAck{
    0x06, 0x06, 0x00, 0x17, 0x00, 0x00, 0x00, 0x0f,                 // Type 6, Sub 6, Length 23, Seq 15
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03,                 // @8  Node ID 3
    0x07, 0x32, 0x00, 0x07, 'R',  'u',  'n',  'n',  'i', 'n', 'g',  // @16 "Running"
};

// A Status-Update carrying one option of every typed kind. 109 octets.
// Boot time 2026-11-26T06:00:00.5Z = NTP 0xEEB24960.80000000.
inline const Buf kStatusUpdateAllTypes{
    0x04, 0x00, 0x00, 0x69, 0x00, 0x00, 0x00, 0x05,  // Type 4, Length 105, Seq 5
    0x01, 0x00, 0x00, 0x04, 0x0a, 0x00, 0x00, 0x01,  // @8  IPv4 10.0.0.1
    0x02, 0x00, 0x00, 0x10, 0x20, 0x01, 0x0d, 0xb8,  // @16 IPv6 2001:db8::1
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //
    0x00, 0x00, 0x00, 0x01,                          //
    0x03, 0x00, 0x00, 0x02, 0x1e, 0x46,              // @36 Port 7750
    0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03,  // @42 Node ID 3
    0x06, 0x28, 0x00, 0x08, 0xee, 0xb2, 0x49, 0x60,  // @50 Node info 40 boot time, NTP seconds
    0x80, 0x00, 0x00, 0x00,                          //     NTP fraction 0.5 s
    0x06, 0x0a, 0x00, 0x0a, '8',  '5',  '8',  '9',  '9', '3', '4', '5', '9', '2',  // @62 total memory
    0x07, 0x01, 0x00, 0x06, 'P',  '-',  'C',  'S',  'C', 'F',                      // @76 Function name
    0x08, 0x02, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x0a,                                // @86 contact 192.0.2.10
    0x08, 0x03, 0x00, 0x03, '0',  '.',  '3',                                       // @94 ratio "0.3"
    0x08, 0x04, 0x00, 0x04, '1',  '0',  '0',  '0',                                 // @101 count "1000"
};

struct NamedVector {
  std::string_view name;
  const Buf* bytes;
};

// Every valid vector above (profile convention).
inline const std::vector<NamedVector>& all_vectors() {
  static const std::vector<NamedVector> v{
      {"Registration", &kRegistration},
      {"KeepAlive", &kKeepAlive},
      {"StatusUpdate", &kStatusUpdate},
      {"Deregistration", &kDeregistration},
      {"AckRegistration", &kAckRegistration},
      {"Error", &kError},
      {"Get", &kGet},
      {"GetAck", &kGetAck},
      {"Add", &kAdd},
      {"AddAck", &kAddAck},
      {"Delete", &kDelete},
      {"DeleteAck", &kDeleteAck},
      {"Move", &kMove},
      {"MoveAck", &kMoveAck},
      {"Copy", &kCopy},
      {"CopyAck", &kCopyAck},
      {"MoveSession", &kMoveSession},
      {"MoveSessionAck", &kMoveSessionAck},
      {"StatusUpdateAllTypes", &kStatusUpdateAllTypes},
  };
  return v;
}

inline FindingList findings_of(const Buf& b, LengthConvention c = LengthConvention::Total4) {
  FindingList out;
  check_message(decode(b, c), out);
  return out;
}

inline const Finding* first_of(const FindingList& l, Req r) {
  for (const auto& f : l) {
    if (f.req == r) return &f;
  }
  return nullptr;
}

inline std::vector<Req> reqs_of(const FindingList& l) {
  std::vector<Req> v;
  for (const auto& f : l) v.push_back(f.req);
  return v;
}

}  // namespace vsm::test
