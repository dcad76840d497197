// SPDX-License-Identifier: GPL-2.0-or-later
#include "vsm/samples.hpp"

namespace vsm {

std::vector<Sample> typical_messages() {
  std::vector<Sample> s;
  // Node side: registration with resources.
  Message reg = registration(1, 0);
  reg.add(Option::node_info(node_info::ProcessingCapacity, "2.4"))
      .add(Option::node_info(node_info::TotalMemory, "8589934592"))
      .add(Option::node_info(node_info::AvailableMemory, "6442450944"))
      .add(Option::ntp(OptType::NodeInfo, node_info::BootTime, NtpTime::from_unix(1795680000)));
  s.push_back({"registration", reg, Role::Node});
  Message reg_ack = ack_for(Header{u8(MsgType::Registration), 0, 0, 0, 1}, ResultCode::Successful, 3);
  s.push_back({"registration ack", reg_ack, Role::Manager});

  Message ka = keep_alive(100, 3);
  s.push_back({"keep-alive", ka, Role::Manager});
  Message ka_ack = ack_for(Header{u8(MsgType::KeepAlive), 0, 0, 0, 100}, ResultCode::Successful, 3);
  ka_ack.add(Option::node_info(node_info::CurrentLoad, "0.42"));
  s.push_back({"keep-alive ack", ka_ack, Role::Node});

  Message add = add_function(101, 3, 7);
  add.add(Option::function_info(function_info::Name, "P-CSCF"));
  s.push_back({"add", add, Role::Manager});
  Message add_ack = ack_for(Header{u8(MsgType::Operation), u8(Operation::Add), 0, 0, 101}, ResultCode::Successful, 3);
  add_ack.add(Option::function_id(7)).add(Option::running_status("Starting"));
  s.push_back({"add ack", add_ack, Role::Node});

  Message su = status_update(2, 3);
  su.add(Option::function_id(7)).add(Option::running_status("Running"));
  s.push_back({"status-update", su, Role::Node});
  Message su_ack = ack_for(Header{u8(MsgType::StatusUpdate), 0, 0, 0, 2}, ResultCode::Successful, 3);
  s.push_back({"status-update ack", su_ack, Role::Manager});

  Message g = get(102, 3, 7);
  g.add(Option::empty(OptType::FunctionInfo, function_info::CurrentLoad))
      .add(Option::empty(OptType::NodeInfo, node_info::AvailableMemory));
  s.push_back({"get", g, Role::Manager});
  Message g_ack = ack_for(Header{u8(MsgType::Operation), u8(Operation::Get), 0, 0, 102}, ResultCode::Successful, 3);
  g_ack.add(Option::function_id(7))
      .add(Option::function_info(function_info::CurrentLoad, "1.5"))
      .add(Option::node_info(node_info::AvailableMemory, "6000000000"))
      .add(Option::running_status("Running"));
  s.push_back({"get ack", g_ack, Role::Node});

  Message mv = transfer(Operation::Move, 103, 3, 5, 7);
  mv.add(Option::ipv4({192, 0, 2, 5})).add(Option::port(7751));
  s.push_back({"move", mv, Role::Manager});
  Message mv_ack = ack_for(Header{u8(MsgType::Operation), u8(Operation::Move), 0, 0, 103}, ResultCode::Successful, 3);
  mv_ack.add(Option::node_id(5)).add(Option::function_id(7)).add(Option::running_status("Running"));
  s.push_back({"move ack", mv_ack, Role::Node});

  Message cp = transfer(Operation::Copy, 104, 3, 5, 8);
  cp.add(Option::ipv6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5}));
  s.push_back({"copy", cp, Role::Manager});
  Message cp_ack = ack_for(Header{u8(MsgType::Operation), u8(Operation::Copy), 0, 0, 104}, ResultCode::Successful, 3);
  cp_ack.add(Option::node_id(5)).add(Option::function_id(8)).add(Option::running_status("Starting"));
  s.push_back({"copy ack", cp_ack, Role::Node});

  Message ms = move_session(105, 3, 5);
  ms.add(Option::function_id(7)).add(Option::session_info(session_info::SipUri, "sip:alice@example.com"));
  s.push_back({"move_session", ms, Role::Manager});
  Message ms_ack =
      ack_for(Header{u8(MsgType::Operation), u8(Operation::MoveSession), 0, 0, 105}, ResultCode::Successful, 3);
  ms_ack.add(Option::function_id(7)).add(Option::running_status("Running"));
  s.push_back({"move_session ack", ms_ack, Role::Node});

  Message del = delete_function(106, 3, 7);
  s.push_back({"delete", del, Role::Manager});
  Message del_ack =
      ack_for(Header{u8(MsgType::Operation), u8(Operation::Delete), 0, 0, 106}, ResultCode::Successful, 3);
  del_ack.add(Option::function_id(7)).add(Option::running_status("Terminating"));
  s.push_back({"delete ack", del_ack, Role::Node});

  Message err = error_message(107, ResultCode::Failed, "Manager overloaded");
  s.push_back({"error", err, Role::Manager});
  Message err_ack = ack_for(Header{u8(MsgType::Error), 0, 0, 0, 107}, ResultCode::Successful, 3);
  s.push_back({"error ack", err_ack, Role::Node});

  Message dereg = deregistration(3, 3);
  s.push_back({"de-registration", dereg, Role::Node});
  Message dereg_ack = ack_for(Header{u8(MsgType::Deregistration), 0, 0, 0, 3}, ResultCode::Successful, 3);
  s.push_back({"de-registration ack", dereg_ack, Role::Manager});
  return s;
}

std::vector<Sample> broken_messages() {
  std::vector<Sample> s;
  Message no_node(MsgType::KeepAlive, 9);
  s.push_back({"VSM-6.2.2-NODE-ID: Keep-Alive without Node ID", no_node});

  Message sub = registration(1, 0);
  sub.subtype = 2;
  s.push_back({"VSM-6.1-SUBTYPE-ZERO: Registration with Sub-Type 2", sub});

  Message code = keep_alive(10, 3);
  code.code = 128;
  s.push_back({"VSM-6.1-CODE-ZERO: Keep-Alive with Code 128", code});

  Message short_id = keep_alive(11, 3);
  short_id.options[0].value.pop_back();
  s.push_back({"VSM-6.4.4-LENGTH: Node ID of 3 octets", short_id});

  Message mv = transfer(Operation::Move, 12, 3, 5, 7);
  mv.options.erase(mv.options.begin() + 1);
  s.push_back({"VSM-6.3.4-MANDATORY: MOVE without destination", mv});

  Message ack = ack_for(Header{u8(MsgType::Operation), u8(Operation::Add), 0, 0, 13}, ResultCode::Successful, 3);
  s.push_back({"VSM-6.3.2-ACK-OPTIONS: ADD ACK without Function ID and Running status", ack});

  Message status = status_update(14, 3);
  status.add(Option::running_status("Sleeping"));
  s.push_back({"VSM-6.4.7-RUNNING-STATUS: unknown Running status", status});

  Message unknown_opt = keep_alive(15, 3);
  unknown_opt.add(Option::raw(42, 0, std::vector<std::uint8_t>{1, 2, 3}));
  s.push_back({"VSM-6.1-OPTION-TYPE: unknown OP-Type 42", unknown_opt});

  Message overrun = keep_alive(16, 3);
  overrun.options[0].length_override = 40;
  s.push_back({"VSM-6.1-OPTION-LENGTH: Node ID option Length runs past the end", overrun});

  s.push_back({"VSM-6.1-LENGTH-LITERAL: Keep-Alive with the literal length convention", keep_alive(17, 3),
               Role::Manager, LengthConvention::Literal3});
  return s;
}

}  // namespace vsm
