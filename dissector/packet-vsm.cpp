// SPDX-License-Identifier: GPL-2.0-or-later
// Wireshark dissector plugin (4.0 to 4.6, see ws_compat.hpp) for the VSM protocol
// (draft-yokota-opsawg-virtnw-service-management-02).
//
// This file is Wireshark glue only: every constant, name, rule and piece of
// message text comes from the shared codec library (codec/include/vsm). Field
// names, value_strings and the expert info table are generated from the codec's
// dictionary and requirement catalogue when the protocol registers.
#include <epan/column-info.h>
#include <epan/conversation.h>
#include <epan/dissectors/packet-tcp.h>
#include <epan/expert.h>
#include <epan/exported_pdu.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/proto_data.h>
#include <epan/srt_table.h>
#include <epan/stats_tree.h>
#include <epan/tap.h>
#include <epan/to_str.h>
#include <wireshark.h>
#include <wsutil/report_message.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "vsm/catalogue.hpp"
#include "vsm/dictionary.hpp"
#include "vsm/exchange.hpp"
#include "vsm/framing.hpp"
#include "vsm/keywords.hpp"
#include "vsm/rules.hpp"
#include "vsm/text.hpp"
#include "vsm/wire.hpp"
#include "ws_compat.hpp"

// ---------------------------------------------------------------------------
// Plugin entry points. In C++ a namespace-scope const has internal linkage,
// even inside an extern "C" block, so each one is declared extern first.
extern "C" {
extern WS_DLL_PUBLIC_DEF const gchar plugin_version[];
extern WS_DLL_PUBLIC_DEF const int plugin_want_major;
extern WS_DLL_PUBLIC_DEF const int plugin_want_minor;
WS_DLL_PUBLIC_DEF void plugin_register(void);
#if VSM_WS_HAS_PLUGIN_DESCRIBE
WS_DLL_PUBLIC_DEF uint32_t plugin_describe(void);
#endif
}

const gchar plugin_version[] = VSM_PLUGIN_VERSION;
const int plugin_want_major = VSM_WS_MAJOR;
const int plugin_want_minor = VSM_WS_MINOR;

namespace {

// ---------------------------------------------------------------------------
// Registration state.

int proto_vsm = -1;
int vsm_tap = -1;
int exported_pdu_tap = -1;

// Fixed fields. "static" (redundant in this namespace) and the hf[] array of
// proto_register_vsm() in Wireshark's usual form let tools/checkhf.pl check them.
static int hf_type = -1;
static int hf_subtype = -1;
static int hf_length = -1;
static int hf_code = -1;
static int hf_seq = -1;
static int hf_option = -1;
static int hf_opt_type = -1;
static int hf_opt_subtype = -1;
static int hf_opt_length = -1;
static int hf_opt_value = -1;
static int hf_ipv4 = -1;
static int hf_ipv6 = -1;
static int hf_port = -1;
static int hf_node_id = -1;
static int hf_function_id = -1;
static int hf_src_node_id = -1;
static int hf_dst_node_id = -1;
static int hf_undecoded = -1;
static int hf_response_in = -1;
static int hf_response_to = -1;
static int hf_response_time = -1;

// Information sub-option fields, indexed by OP-Type and Sub-OP-Type.
std::array<std::array<int, 256>, 16> hf_sub_fields;

int ett_vsm = -1;
int ett_option = -1;

std::array<expert_field, vsm::kRequirementCount> ei_req;

dissector_handle_t vsm_tcp_handle;
dissector_handle_t vsm_sctp_handle;

// Preferences. The length convention is a word checked when preferences are
// applied: Wireshark's enum preferences keep their old value on an unknown
// word without a message, and 4.0 exports no custom preference.
const char* pref_convention_word = nullptr;
vsm::LengthConvention current_convention = vsm::LengthConvention::Total4;
vsm::ws::PrefBool pref_heuristic = vsm::ws::as<vsm::ws::PrefBool>(true);
vsm::ws::PrefBool pref_desegment = vsm::ws::as<vsm::ws::PrefBool>(true);
guint pref_pairing_interval = 60;  // seconds, 0 = unlimited

vsm::LengthConvention convention() { return current_convention; }

// Strings handed to Wireshark must outlive the registration: they are kept
// here, never freed (Wireshark holds pointers to them until exit).
const char* keep(std::string s) {
  static auto* store = new std::deque<std::string>();
  store->push_back(std::move(s));
  return store->back().c_str();
}

std::string to_string(std::string_view v) { return std::string(v.data(), v.size()); }

// Concatenation (GCC 12 warns falsely about operator+ on literals at -O2).
std::string cat(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (std::string_view p : parts) s.append(p.data(), p.size());
  return s;
}

// value_string tables generated from the dictionary.
template <typename Table, typename ValueFn, typename NameFn>
const value_string* make_vals(const Table& table, ValueFn value, NameFn name) {
  auto* vals = new std::vector<value_string>();
  for (const auto& e : table) vals->push_back({value(e), keep(name(e))});
  vals->push_back({0, nullptr});
  return vals->data();
}

const value_string* vals_types = nullptr;
const value_string* vals_codes = nullptr;
const value_string* vals_options = nullptr;

// Stats tree node names (generated from the dictionary).
const char* st_str_types = "Messages by type";
const char* st_str_codes = "ACKs by result code";
int st_node_types = -1;
int st_node_codes = -1;

// SRT rows: one per request kind that gets an ACK.
struct SrtRow {
  std::uint8_t type;
  std::uint8_t op;  // 0 = not an Operation
  const char* name;
};
std::vector<SrtRow>* srt_rows = nullptr;

// ---------------------------------------------------------------------------
// Per-conversation and per-PDU state.

// What the first pass learns about one PDU; kept for later passes (file scope).
struct PduInfo {
  bool tracked_request = false;  // a request the tracker waits an ACK for
  bool expired = false;          // reported by the pairing interval
  std::uint32_t frame = 0;
  std::uint8_t type = 0;
  std::uint8_t subtype = 0;
  std::uint32_t seq = 0;
  nstime_t abs_time{};
  std::uint32_t response_frame = 0;  // request: frame of its ACK
  std::uint32_t request_frame = 0;   // ACK: frame of its request
  std::uint8_t req_type = 0;
  std::uint8_t req_subtype = 0;
  nstime_t req_time{};
  nstime_t response_time{};
  wmem_array_t* findings = nullptr;  // exchange findings (vsm::Finding)
};

struct ConvState {
  explicit ConvState(const vsm::TrackerConfig& cfg) : tracker(cfg) {}
  vsm::ExchangeTracker tracker;
  bool have_initiator = false;
  address initiator_addr = ADDRESS_INIT_NONE;
  guint32 initiator_port = 0;
  std::vector<vsm::EarlierFinding> expired;  // scratch for expire()
};

vsm::ws::WmemCbResult free_conv_state(wmem_allocator_t*, wmem_cb_event_t, void* user_data) {
  delete static_cast<ConvState*>(user_data);
  return vsm::ws::as<vsm::ws::WmemCbResult>(false);  // do not call again
}

enum class Transport { Tcp, Sctp, Exported };
// Per call from the transport: the conversation state is looked up once per
// frame, not once per PDU.
struct DissectCtx {
  Transport transport;
  ConvState* conv = nullptr;
  tvbuff_t* cut = nullptr;  // the first PDU of this call that was not captured whole
  // Summaries of the PDUs dissected in this call, for the Info column.
  char info[1024] = "";
  std::size_t info_len = 0;
  void add_summary(std::string_view s) {
    if (info_len != 0 && info_len + 2 < sizeof info) {
      info[info_len++] = ',';
      info[info_len++] = ' ';
    }
    const std::size_t n = std::min(s.size(), sizeof info - 1 - info_len);
    std::copy_n(s.data(), n, info + info_len);
    info_len += n;
    info[info_len] = '\0';
  }
};

// Tap record, one per PDU.
struct VsmTapInfo {
  std::uint8_t type;
  std::uint8_t subtype;
  std::uint8_t code;
  bool has_header;
  bool matched;  // an ACK whose request is known
  std::uint8_t req_type;
  std::uint8_t req_subtype;
  nstime_t req_time;
  std::uint32_t req_frame;
};

// ---------------------------------------------------------------------------
// Helpers.

void add_finding(wmem_array_t** list, const vsm::Finding& f) {
  if (*list == nullptr) *list = wmem_array_new(wmem_file_scope(), sizeof(vsm::Finding));
  wmem_array_append_one(*list, f);
}

// Wireshark's "expert" tap (-z expert, the Expert Information dialog). It is
// registered after the protocols' handoffs, so it is looked up on first use;
// 0 when not found (then expert info is always worked out).
int expert_tap_id = -1;

// Whether anybody can see this PDU's expert info: a tree (the GUI, -V,
// filters), the expert tap, which runs without a tree (-z expert), or an
// Expert column. Otherwise (plain tshark -r) the findings are not worked out.
bool experts_wanted(proto_tree* tree, packet_info* pinfo) {
  if (tree != nullptr) return true;
  if (expert_tap_id < 0) expert_tap_id = find_tap_id("expert");
  if (expert_tap_id == 0 || have_tap_listener(expert_tap_id)) return true;
  return pinfo->cinfo != nullptr && pinfo->cinfo->col_first[COL_EXPERT] >= 0;
}

// An expert item, with or without a tree: Wireshark queues it to the expert
// tap either way.
void report(proto_tree* tree, packet_info* pinfo, tvbuff_t* tvb, const vsm::Finding& f) {
  if (f.req >= vsm::Req::Count_) return;
  const guint avail = tvb_captured_length(tvb);
  gint offset = 0;
  gint length = static_cast<gint>(avail);
  if (f.length != 0 && f.offset < avail) {
    offset = static_cast<gint>(f.offset);
    length = static_cast<gint>(std::min<std::uint32_t>(f.length, avail - f.offset));
  }
  char buf[384];
  const std::string_view text = vsm::describe(f, std::span<char>(buf, sizeof buf - 1));
  buf[text.size()] = '\0';
  proto_tree_add_expert_format(tree, pinfo, &ei_req[static_cast<std::size_t>(f.req)], tvb, offset, length, "%s", buf);
}

// The typed field of an information sub-option.
void add_info_value(wmem_allocator_t* scope, proto_tree* tree, tvbuff_t* tvb, const vsm::OptionView& o,
                    const vsm::SubOptionSpec& spec, int hf) {
  if (hf < 0 || o.length == 0) return;
  const gint voff = static_cast<gint>(o.value_offset());
  const gint vlen = o.length;
  const char* unit_sep = spec.unit.empty() ? "" : " ";
  const int unit_len = static_cast<int>(spec.unit.size());
  switch (spec.kind) {
    case vsm::ValueKind::Integer:
    case vsm::ValueKind::Decimal: {
      const vsm::Numeric n = o.numeric();
      if (n.encoding == vsm::Numeric::Encoding::Invalid) return;
      char text[64];
      if (n.encoding == vsm::Numeric::Encoding::Text) {
        const std::string_view t = o.text();
        std::snprintf(text, sizeof text, "%.*s", static_cast<int>(std::min<std::size_t>(t.size(), 40)), t.data());
      } else if (n.integral) {
        std::snprintf(text, sizeof text, "%" PRIu64 " [binary encoding]", n.integer);
      } else {
        std::snprintf(text, sizeof text, "%g [binary encoding]", n.number);
      }
      if (spec.kind == vsm::ValueKind::Integer) {
        if (!n.integral) return;
        proto_tree_add_uint64_format_value(tree, hf, tvb, voff, vlen, n.integer, "%s%s%.*s", text, unit_sep, unit_len,
                                           spec.unit.data());
      } else {
        proto_tree_add_double_format_value(tree, hf, tvb, voff, vlen, n.number, "%s%s%.*s", text, unit_sep, unit_len,
                                           spec.unit.data());
      }
      return;
    }
    case vsm::ValueKind::NtpTime: {
      const auto t = o.ntp();
      if (!t) return;
      nstime_t ts;
      ts.secs = static_cast<time_t>(t->unix_seconds());
      ts.nsecs = static_cast<int>(t->nanoseconds());
      proto_tree_add_time(tree, hf, tvb, voff, vlen, &ts);
      return;
    }
    case vsm::ValueKind::Address: {
      if (o.length != 4 && o.length != 16) return;
      const char* text = o.length == 4 ? tvb_ip_to_str(scope, tvb, voff) : tvb_ip6_to_str(scope, tvb, voff);
      proto_tree_add_string(tree, hf, tvb, voff, vlen, text);
      return;
    }
    case vsm::ValueKind::Text:
    case vsm::ValueKind::RunningStatus: proto_tree_add_item(tree, hf, tvb, voff, vlen, ENC_ASCII); return;
  }
}

// order_wrong: the tracker found the Node IDs in the wrong order, so they are
// labelled by their place on the wire rather than by their role.
void add_option(packet_info* pinfo, proto_tree* tree, tvbuff_t* tvb, const vsm::MessageView& m,
                const vsm::OptionView& o, unsigned node_index, bool order_wrong) {
  const gint off = static_cast<gint>(o.offset);
  proto_item* ti = proto_tree_add_item(tree, hf_option, tvb, off, static_cast<gint>(o.total_size()), ENC_NA);
  char label[128];
  char value[160];
  const std::string_view l = vsm::option_name(o.type, o.subtype, std::span<char>(label, sizeof label - 1));
  label[l.size()] = '\0';
  const std::string_view v = vsm::format_value(o, std::span<char>(value, sizeof value - 1));
  value[v.size()] = '\0';
  proto_item_set_text(ti, "%s: %s", label, value);
  proto_tree* st = proto_item_add_subtree(ti, ett_option);
  proto_tree_add_item(st, hf_opt_type, tvb, off + vsm::off::kOptType, 1, ENC_BIG_ENDIAN);
  // The Sub-OP-Type's name depends on the OP-Type: the dictionary's item name.
  const vsm::OptionSpec* spec = vsm::option_spec(o.type);
  if (spec != nullptr && !spec->subs.empty()) {
    const vsm::SubOptionSpec* sub = vsm::sub_option_spec(o.type, o.subtype);
    const std::string_view name = sub != nullptr ? sub->name : std::string_view("Unknown");
    proto_tree_add_uint_format_value(st, hf_opt_subtype, tvb, off + vsm::off::kOptSubType, 1, o.subtype, "%.*s (%u)",
                                     static_cast<int>(name.size()), name.data(), o.subtype);
  } else {
    proto_tree_add_item(st, hf_opt_subtype, tvb, off + vsm::off::kOptSubType, 1, ENC_BIG_ENDIAN);
  }
  proto_tree_add_item(st, hf_opt_length, tvb, off + vsm::off::kOptLength, 2, ENC_BIG_ENDIAN);
  if (o.length == 0) return;
  const gint voff = static_cast<gint>(o.value_offset());
  proto_tree_add_item(st, hf_opt_value, tvb, voff, o.length, ENC_NA);
  if (spec == nullptr) return;
  if (spec->fixed_length != 0) {
    if (o.length != spec->fixed_length) return;
    switch (static_cast<vsm::OptType>(o.type)) {
      case vsm::OptType::IPv4: proto_tree_add_item(st, hf_ipv4, tvb, voff, 4, ENC_BIG_ENDIAN); break;
      case vsm::OptType::IPv6: proto_tree_add_item(st, hf_ipv6, tvb, voff, 16, ENC_NA); break;
      case vsm::OptType::Port: proto_tree_add_item(st, hf_port, tvb, voff, 2, ENC_BIG_ENDIAN); break;
      case vsm::OptType::FunctionId: proto_tree_add_item(st, hf_function_id, tvb, voff, 4, ENC_BIG_ENDIAN); break;
      case vsm::OptType::NodeId: {
        proto_tree_add_item(st, hf_node_id, tvb, voff, 4, ENC_BIG_ENDIAN);
        if (vsm::carries_operation(m.header.type) && vsm::has_src_dst(m.header.subtype) && node_index < 2) {
          proto_item* gi =
              proto_tree_add_item(st, node_index == 0 ? hf_src_node_id : hf_dst_node_id, tvb, voff, 4, ENC_BIG_ENDIAN);
          proto_item_set_generated(gi);
          if (order_wrong) {
            const std::string_view place = vsm::kNodeIdPlaces[node_index];
            proto_item_set_text(gi, "%.*s: %u", static_cast<int>(place.size()), place.data(), tvb_get_ntohl(tvb, voff));
          }
        }
        break;
      }
      default: break;
    }
    return;
  }
  if (const vsm::SubOptionSpec* sub = vsm::sub_option_spec(o.type, o.subtype); sub != nullptr && o.type < 16) {
    add_info_value(pinfo->pool, st, tvb, o, *sub, hf_sub_fields[o.type][o.subtype]);
  }
}

// Which side of the conversation sent this PDU. Direction 0 is the TCP client
// when the handshake was seen, else the first side heard from.
vsm::Dir direction(ConvState& cs, packet_info* pinfo, const DissectCtx& ctx) {
  if (!cs.have_initiator) {
    bool src_is_initiator = true;
    if (ctx.transport == Transport::Tcp) {
      if (const tcp_analysis* tcpd = get_tcp_conversation_data(nullptr, pinfo);
          tcpd != nullptr && tcpd->server_port != 0 && pinfo->srcport != pinfo->destport) {
        src_is_initiator = pinfo->srcport != tcpd->server_port;
      }
    }
    copy_address_wmem(wmem_file_scope(), &cs.initiator_addr, src_is_initiator ? &pinfo->src : &pinfo->dst);
    cs.initiator_port = src_is_initiator ? pinfo->srcport : pinfo->destport;
    cs.have_initiator = true;
  }
  const bool from_initiator = addresses_equal(&pinfo->src, &cs.initiator_addr) && pinfo->srcport == cs.initiator_port;
  return from_initiator ? vsm::Dir::FromInitiator : vsm::Dir::FromResponder;
}

ConvState& conv_state(packet_info* pinfo, DissectCtx& ctx) {
  if (ctx.conv != nullptr) return *ctx.conv;
  conversation_t* conv = find_or_create_conversation(pinfo);
  auto* cs = static_cast<ConvState*>(conversation_get_proto_data(conv, proto_vsm));
  if (cs == nullptr) {
    vsm::TrackerConfig cfg;
    cfg.ack_timeout = pref_pairing_interval == 0 ? 1e18 : static_cast<double>(pref_pairing_interval);
    cfg.saw_connection_start = false;
    if (ctx.transport == Transport::Tcp) {
      const tcp_analysis* tcpd = get_tcp_conversation_data(conv, pinfo);
      cfg.saw_connection_start = tcpd != nullptr && tcpd->server_port != 0;
    }
    cs = new ConvState(cfg);
    conversation_add_proto_data(conv, proto_vsm, cs);
    wmem_register_callback(wmem_file_scope(), free_conv_state, cs);
  }
  ctx.conv = cs;
  return *cs;
}

// First pass only: feed the tracker and remember what it said.
PduInfo* track(const vsm::MessageView& m, tvbuff_t* tvb, packet_info* pinfo, DissectCtx& ctx) {
  const guint32 key = static_cast<guint32>(tvb_raw_offset(tvb));
  auto* info = static_cast<PduInfo*>(p_get_proto_data(wmem_file_scope(), pinfo, proto_vsm, key));
  if (info != nullptr || PINFO_FD_VISITED(pinfo)) return info;
  info = wmem_new0(wmem_file_scope(), PduInfo);
  p_add_proto_data(wmem_file_scope(), pinfo, proto_vsm, key, info);
  if (!m.has_header()) return info;
  info->type = m.header.type;
  info->subtype = m.header.subtype;
  info->seq = m.header.seq;
  info->abs_time = pinfo->abs_ts;
  info->frame = pinfo->num;

  ConvState& cs = conv_state(pinfo, ctx);
  const vsm::Dir dir = direction(cs, pinfo, ctx);
  const double now = nstime_to_sec(&pinfo->rel_ts);

  // The tracker's message id is the request's PduInfo (file scope): an ACK
  // finds its request without any further lookup.
  const auto pdu_of = [](std::uint64_t id) { return reinterpret_cast<PduInfo*>(static_cast<std::uintptr_t>(id)); };
  const auto give_up = [&](const vsm::EarlierFinding& e) {
    PduInfo* req = pdu_of(e.id);
    req->expired = true;
    add_finding(&req->findings, e.finding);
  };

  // Requests older than the pairing interval are given up on.
  cs.expired.clear();
  cs.tracker.expire(now, cs.expired);
  for (const vsm::EarlierFinding& e : cs.expired) give_up(e);

  const vsm::ExchangeResult r =
      cs.tracker.on_message(m, dir, now, static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(info)));
  for (const vsm::Finding& f : r.findings) add_finding(&info->findings, f);
  // Requests this one made unanswerable (replaced, dropped from tracking): the
  // finding belongs to them. A replaced message of unknown type is not
  // reported again (its type is the error), as at the end of the capture.
  for (const vsm::EarlierFinding& e : r.earlier) {
    if (e.why != vsm::EarlierFinding::Why::Replaced || vsm::is_known_type(e.type)) give_up(e);
  }
  if (r.request) {
    PduInfo* req = pdu_of(r.request->id);
    req->response_frame = pinfo->num;
    info->request_frame = req->frame;
    info->req_type = r.request->type;
    info->req_subtype = r.request->subtype;
    info->req_time = req->abs_time;
    nstime_delta(&info->response_time, &pinfo->abs_ts, &req->abs_time);
  }
  info->tracked_request =
      vsm::is_known_type(m.header.type) && !m.is_ack() && m.error.code != vsm::DecodeErrc::LengthTooSmall;
  return info;
}

// The Info column lists every PDU of the frame, and only them. Each call of a
// transport entry point gathers its PDUs' summaries in its context and writes
// the column once at the end (Wireshark's column calls cost far more than the
// rest of a PDU's dissection); several calls in one frame (SCTP chunks) are
// joined in packet scope, since SCTP writes its chunk names in between.
void write_info_column(packet_info* pinfo, const DissectCtx& ctx) {
  if (ctx.info_len == 0) return;
  col_set_str(pinfo->cinfo, COL_PROTOCOL, "VSM");
  auto* text = static_cast<wmem_strbuf_t*>(p_get_proto_data(pinfo->pool, pinfo, proto_vsm, 0));
  col_clear_fence(pinfo->cinfo, COL_INFO);
  if (text == nullptr) {
    col_add_str(pinfo->cinfo, COL_INFO, ctx.info);
    text = wmem_strbuf_new(pinfo->pool, ctx.info);
    p_add_proto_data(pinfo->pool, pinfo, proto_vsm, 0, text);
    return;
  }
  wmem_strbuf_append(text, ", ");
  wmem_strbuf_append(text, ctx.info);
  col_add_str(pinfo->cinfo, COL_INFO, wmem_strbuf_get_str(text));
}

// ---------------------------------------------------------------------------
// Dissection of one PDU.

int dissect_vsm_pdu(tvbuff_t* tvb, packet_info* pinfo, proto_tree* tree, void* data) {
  DissectCtx* ctx = static_cast<DissectCtx*>(data);

  // Decoded against the message's real (reported) size: a message cut by the
  // capture is not malformed. What was captured is shown, and Wireshark's own
  // exception for a short capture is raised once the frame is done.
  const guint len = tvb_captured_length(tvb);
  const guint reported = tvb_reported_length(tvb);
  const guint8* bytes = len ? tvb_get_ptr(tvb, 0, len) : nullptr;
  const vsm::MessageView m = vsm::decode(vsm::Bytes(bytes, len), reported, convention());
  if (m.cut() && ctx->cut == nullptr) ctx->cut = tvb;

  char summary[256];
  const std::string_view s = vsm::summarize(m, std::span<char>(summary, sizeof summary - 1));
  summary[s.size()] = '\0';
  ctx->add_summary(s);

  // Without a tree (plain tshark -r) no item is added at all: even a call
  // with a null tree costs more than the codec's decoding.
  proto_tree* vt = nullptr;
  if (tree != nullptr) {
    proto_item* ti = proto_tree_add_item(tree, proto_vsm, tvb, 0, -1, ENC_NA);
    proto_item_append_text(ti, ", %s", summary);
    vt = proto_item_add_subtree(ti, ett_vsm);
  }

  // Request/ACK tracking (first pass); what it found is shown on every pass.
  const PduInfo* info = track(m, tvb, pinfo, *ctx);

  if (vt == nullptr) {
    // No tree (plain tshark -r): the fields are not wanted, skip building them.
  } else if (m.has_header()) {
    const vsm::Header& h = m.header;
    proto_tree_add_item(vt, hf_type, tvb, vsm::off::kType, 1, ENC_BIG_ENDIAN);
    if (vsm::carries_operation(h.type)) {
      std::string_view op = vsm::operation_name(h.subtype);
      if (op.empty()) op = h.subtype == 0 ? "no operation" : "Unknown";
      proto_tree_add_uint_format_value(vt, hf_subtype, tvb, vsm::off::kSubType, 1, h.subtype, "%.*s (%u)",
                                       static_cast<int>(op.size()), op.data(), h.subtype);
    } else {
      proto_tree_add_item(vt, hf_subtype, tvb, vsm::off::kSubType, 1, ENC_BIG_ENDIAN);
    }
    proto_item* li = proto_tree_add_item(vt, hf_length, tvb, vsm::off::kLength, 2, ENC_BIG_ENDIAN);
    if (m.declared_size != 0) proto_item_append_text(li, " (message of %u octets)", m.declared_size);
    if (h.type == vsm::u8(vsm::MsgType::Ack) || h.type == vsm::u8(vsm::MsgType::Error)) {
      proto_tree_add_item(vt, hf_code, tvb, vsm::off::kCode, 1, ENC_BIG_ENDIAN);
    } else {
      proto_tree_add_uint_format_value(vt, hf_code, tvb, vsm::off::kCode, 1, h.code, "%u", h.code);
    }
    proto_tree_add_item(vt, hf_seq, tvb, vsm::off::kSeq, 3, ENC_BIG_ENDIAN);
    if (vt != nullptr) {
      // The tracker's ORDER finding: the Node IDs are not source then destination.
      bool order_wrong = false;
      if (const vsm::OperationRules* rules = vsm::operation_rules(h.subtype);
          rules != nullptr && info != nullptr && info->findings != nullptr) {
        const guint n = wmem_array_get_count(info->findings);
        for (guint i = 0; i < n && !order_wrong; ++i) {
          order_wrong = static_cast<const vsm::Finding*>(wmem_array_index(info->findings, i))->req == rules->order;
        }
      }
      unsigned node_index = 0;
      for (const vsm::OptionView o : m.options()) {
        add_option(pinfo, vt, tvb, m, o, node_index, order_wrong);
        if (o.is(vsm::OptType::NodeId)) ++node_index;
      }
      if (m.options_end < len) {
        proto_tree_add_item(vt, hf_undecoded, tvb, static_cast<gint>(m.options_end),
                            static_cast<gint>(len - m.options_end), ENC_NA);
      }
    }
  } else if (len != 0) {
    proto_tree_add_item(vt, hf_undecoded, tvb, 0, static_cast<gint>(len), ENC_NA);
  }

  // Findings of this message alone, when somebody can see them.
  const bool experts = experts_wanted(tree, pinfo);
  if (experts) {
    vsm::FindingList findings;
    vsm::check_message(m, findings);
    for (const vsm::Finding& f : findings) report(vt, pinfo, tvb, f);
  }

  VsmTapInfo scratch{};
  const bool tapped = have_tap_listener(vsm_tap);
  VsmTapInfo* tap = tapped ? wmem_new0(pinfo->pool, VsmTapInfo) : &scratch;
  tap->has_header = m.has_header();
  tap->type = m.header.type;
  tap->subtype = m.header.subtype;
  tap->code = m.header.code;
  if (info != nullptr) {
    if (vt != nullptr && info->response_frame != 0) {
      proto_item* it = proto_tree_add_uint(vt, hf_response_in, tvb, 0, 0, info->response_frame);
      proto_item_set_generated(it);
    }
    if (info->request_frame != 0) {
      if (vt != nullptr) {
        proto_item* it = proto_tree_add_uint(vt, hf_response_to, tvb, 0, 0, info->request_frame);
        proto_item_set_generated(it);
        it = proto_tree_add_time(vt, hf_response_time, tvb, 0, 0, &info->response_time);
        proto_item_set_generated(it);
      }
      tap->matched = true;
      tap->req_type = info->req_type;
      tap->req_subtype = info->req_subtype;
      tap->req_time = info->req_time;
      tap->req_frame = info->request_frame;
    }
    if (experts && info->findings != nullptr) {
      const guint n = wmem_array_get_count(info->findings);
      for (guint i = 0; i < n; ++i) {
        report(vt, pinfo, tvb, *static_cast<const vsm::Finding*>(wmem_array_index(info->findings, i)));
      }
    }
    // Once the whole capture has been seen (two-pass tshark, the GUI), a
    // request still without a response was never ACKed.
    if (experts && PINFO_FD_VISITED(pinfo) && info->tracked_request && info->response_frame == 0 && !info->expired) {
      vsm::Finding f;
      f.req = vsm::Req::AckEveryMessage;
      f.a = info->seq;
      f.b = info->type;
      f.ref = pinfo->num;
      f.detail = "never ACKed in this capture";
      report(vt, pinfo, tvb, f);
    }
  }
  if (tapped) tap_queue_packet(vsm_tap, pinfo, tap);

  // Export PDU: each message as an upper-layer PDU for the "vsm.pdu" dissector.
  if (ctx->transport != Transport::Exported && have_tap_listener(exported_pdu_tap)) {
    exp_pdu_data_t* exp = export_pdu_create_common_tags(pinfo, "vsm.pdu", EXP_PDU_TAG_DISSECTOR_NAME);
    exp->tvb_captured_length = tvb_captured_length(tvb);
    exp->tvb_reported_length = tvb_reported_length(tvb);
    exp->pdu_tvb = tvb;
    tap_queue_packet(exported_pdu_tap, pinfo, exp);
  }
  return static_cast<int>(len);
}

// ---------------------------------------------------------------------------
// Transports.

// A PDU not captured whole raises Wireshark's own exception once the call's
// Info text is written: "[Packet size limited during capture]" when the
// capture's snapshot length cut it, "[Unreassembled Packet]" for a segment
// that TCP was not allowed to reassemble.
void raise_if_cut(tvbuff_t* tvb, const DissectCtx& ctx) {
  if (ctx.cut == nullptr) return;
  tvbuff_t* short_tvb = tvb_captured_length(tvb) < tvb_reported_length(tvb) ? tvb : ctx.cut;
  tvb_ensure_bytes_exist(short_tvb, 0, static_cast<gint>(tvb_reported_length(short_tvb)));
}

guint get_vsm_pdu_len(packet_info*, tvbuff_t* tvb, int offset, void*) {
  const std::uint32_t size = vsm::declared_size(tvb_get_ntohs(tvb, offset + vsm::off::kLength), convention());
  // An impossible Length: hand the rest of the segment over as one malformed PDU.
  if (size == 0) return static_cast<guint>(tvb_reported_length_remaining(tvb, offset));
  return size;
}

int dissect_vsm_tcp(tvbuff_t* tvb, packet_info* pinfo, proto_tree* tree, void*) {
  DissectCtx ctx{Transport::Tcp};
  tcp_dissect_pdus(tvb, pinfo, tree, pref_desegment, vsm::kOptionHeaderSize, get_vsm_pdu_len, dissect_vsm_pdu, &ctx);
  write_info_column(pinfo, ctx);
  raise_if_cut(tvb, ctx);
  return static_cast<int>(tvb_captured_length(tvb));
}

// SCTP keeps message boundaries: a DATA chunk normally holds one message. The
// codec's SctpJoiner decides how chunks map to messages (several in one chunk,
// one across chunks), the same rule vsm-replay uses. It runs on the first pass,
// per conversation direction; each call's plan (pieces of this chunk, or a
// joined message's bytes) is kept with the frame for later passes.
int dissect_vsm_sctp(tvbuff_t* tvb, packet_info* pinfo, proto_tree* tree, void*) {
  struct Joiners {
    vsm::SctpJoiner dir[2];
  };
  struct Piece {
    guint offset, length;  // in this chunk, when bytes is null
    const guint8* bytes;   // a message begun in an earlier chunk: its bytes (file scope)
  };
  struct Plan {
    wmem_array_t* pieces;
    guint held;  // octets of this chunk held for a message continued in a later chunk
  };
  // Plans are kept per frame under keys above any tvb offset (the PDU keys), one per call.
  constexpr guint32 kPlanKeyBase = 0x40000000u, kCallCounterKey = 0x3FFFFFFFu;
  static wmem_map_t* joiners = nullptr;  // conversation -> Joiners, emptied with each file
  if (joiners == nullptr)
    joiners = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_direct_hash, g_direct_equal);

  DissectCtx ctx{Transport::Sctp};
  const guint total = tvb_captured_length(tvb);
  auto* calls = static_cast<guint32*>(p_get_proto_data(pinfo->pool, pinfo, proto_vsm, kCallCounterKey));
  if (calls == nullptr) {
    calls = wmem_new0(pinfo->pool, guint32);
    p_add_proto_data(pinfo->pool, pinfo, proto_vsm, kCallCounterKey, calls);
  }
  const guint32 call = (*calls)++;  // the SCTP dissector calls once per DATA chunk, in the same order every pass
  auto* plan = static_cast<Plan*>(p_get_proto_data(wmem_file_scope(), pinfo, proto_vsm, kPlanKeyBase + call));
  if (plan == nullptr) {
    plan = wmem_new0(wmem_file_scope(), Plan);
    plan->pieces = wmem_array_new(wmem_file_scope(), sizeof(Piece));
    if (!PINFO_FD_VISITED(pinfo)) {
      conversation_t* conv = find_or_create_conversation(pinfo);
      auto* j = static_cast<Joiners*>(wmem_map_lookup(joiners, conv));
      if (j == nullptr) {
        j = new Joiners;
        wmem_map_insert(joiners, conv, j);
        wmem_register_callback(
            wmem_file_scope(),
            [](wmem_allocator_t*, wmem_cb_event_t, void* p) -> vsm::ws::WmemCbResult {
              delete static_cast<Joiners*>(p);
              return vsm::ws::as<vsm::ws::WmemCbResult>(false);  // do not call again
            },
            j);
      }
      vsm::SctpJoiner& joiner =
          j->dir[direction(conv_state(pinfo, ctx), pinfo, ctx) == vsm::Dir::FromInitiator ? 0 : 1];
      joiner.set_convention(convention());
      const guint reported = tvb_reported_length(tvb);
      if (total < reported) {
        // A chunk cut by the capture (4.4 on hand these over): the joiner cannot
        // go on across missing octets, so a message it holds ends here, cut
        // short, and this chunk's messages are cut by their Lengths against the
        // chunk's real size (dissect_vsm_pdu then says "cut by the capture").
        for (const vsm::SctpPiece& sp : joiner.finish()) {
          const Piece piece{0, static_cast<guint>(sp.pdu.size()),
                            static_cast<const guint8*>(wmem_memdup(wmem_file_scope(), sp.pdu.data(), sp.pdu.size()))};
          wmem_array_append_one(plan->pieces, piece);
        }
        for (guint off = 0; off < total;) {
          guint len = reported - off;
          if (total - off >= vsm::kHeaderSize) {
            const std::uint32_t size = vsm::declared_size(tvb_get_ntohs(tvb, off + vsm::off::kLength), convention());
            if (size != 0 && size < len) len = size;
          }
          const Piece piece{off, len, nullptr};
          wmem_array_append_one(plan->pieces, piece);
          off += len;
        }
      } else {
        const vsm::Bytes chunk(tvb_get_ptr(tvb, 0, static_cast<gint>(total)), total);
        for (const vsm::SctpPiece& sp : joiner.feed(chunk)) {
          Piece piece{static_cast<guint>(sp.at), static_cast<guint>(sp.pdu.size()), nullptr};
          if (sp.joined)
            piece.bytes = static_cast<const guint8*>(wmem_memdup(wmem_file_scope(), sp.pdu.data(), sp.pdu.size()));
          wmem_array_append_one(plan->pieces, piece);
        }
        plan->held = static_cast<guint>(std::min<std::size_t>(joiner.held(), total));
      }
    } else {
      const Piece whole{0, total, nullptr};  // no first-pass plan (should not happen): the chunk as one message
      wmem_array_append_one(plan->pieces, whole);
    }
    p_add_proto_data(wmem_file_scope(), pinfo, proto_vsm, kPlanKeyBase + call, plan);
  }
  const guint n = wmem_array_get_count(plan->pieces);
  for (guint i = 0; i < n; ++i) {
    const auto* piece = static_cast<const Piece*>(wmem_array_index(plan->pieces, i));
    tvbuff_t* next = nullptr;
    if (piece->bytes != nullptr) {
      next = tvb_new_child_real_data(tvb, piece->bytes, piece->length, static_cast<gint>(piece->length));
      add_new_data_source(pinfo, next, "VSM message joined from DATA chunks");
    } else {
      next = tvb_new_subset_length(tvb, static_cast<gint>(piece->offset), static_cast<gint>(piece->length));
    }
    dissect_vsm_pdu(next, pinfo, tree, &ctx);
  }
  if (plan->held != 0) {
    proto_tree_add_bytes_format(tree, hf_undecoded, tvb, static_cast<gint>(total - plan->held),
                                static_cast<gint>(plan->held), nullptr,
                                "VSM: start of a message the next DATA chunk continues (%u octets)", plan->held);
  }
  write_info_column(pinfo, ctx);
  raise_if_cut(tvb, ctx);
  return static_cast<int>(total);
}

// One whole message, as handed over by Export PDU captures.
int dissect_vsm_exported(tvbuff_t* tvb, packet_info* pinfo, proto_tree* tree, void*) {
  DissectCtx ctx{Transport::Exported};
  const int n = dissect_vsm_pdu(tvb, pinfo, tree, &ctx);
  write_info_column(pinfo, ctx);
  raise_if_cut(tvb, ctx);
  return n;
}

bool dissect_vsm_heur_tcp(tvbuff_t* tvb, packet_info* pinfo, proto_tree* tree, void* data) {
  if (!pref_heuristic) return false;
  const guint len = tvb_captured_length(tvb);
  if (len < vsm::kHeaderSize) return false;
  const vsm::Bytes head(tvb_get_ptr(tvb, 0, vsm::kHeaderSize), vsm::kHeaderSize);
  if (!vsm::plausible_header(head, convention())) return false;
  const std::uint32_t size = vsm::declared_size(tvb_get_ntohs(tvb, vsm::off::kLength), convention());
  if (size == 0 || size > len) return false;  // judge only a whole first message
  if (!vsm::looks_like_vsm(vsm::Bytes(tvb_get_ptr(tvb, 0, size), size), convention())) return false;
  conversation_t* conv = find_or_create_conversation(pinfo);
  conversation_set_dissector(conv, vsm_tcp_handle);
  dissect_vsm_tcp(tvb, pinfo, tree, data);
  return true;
}

vsm::ws::HeurResult heur_tcp_entry(tvbuff_t* tvb, packet_info* pinfo, proto_tree* tree, void* data) {
  return vsm::ws::as<vsm::ws::HeurResult>(dissect_vsm_heur_tcp(tvb, pinfo, tree, data));
}

// ---------------------------------------------------------------------------
// Statistics: stats tree (-z vsm,tree) and service response time (-z vsm,srt).

const char* type_label_c(std::uint8_t type) {
  static std::array<const char*, 256> labels{};
  if (labels[type] == nullptr) labels[type] = keep(vsm::type_label(type));
  return labels[type];
}

const char* operation_label_c(std::uint8_t op) {
  static std::array<const char*, 256> labels{};
  if (labels[op] == nullptr) {
    const std::string_view n = vsm::operation_name(op);
    labels[op] =
        keep(n.empty() ? (op == 0 ? std::string("(no operation)") : cat({"Unknown operation ", std::to_string(op)}))
                       : to_string(n));
  }
  return labels[op];
}

const char* code_label_c(std::uint8_t code) {
  static std::array<const char*, 256> labels{};
  if (labels[code] == nullptr) {
    const std::string_view n = vsm::code_name(code);
    labels[code] =
        keep(n.empty() ? cat({"Unknown code ", std::to_string(code)}) : cat({n, " (", std::to_string(code), ")"}));
  }
  return labels[code];
}

void vsm_stats_tree_init(stats_tree* st) {
  st_node_types = stats_tree_create_node(st, st_str_types, 0, STAT_DT_INT, true);
  st_node_codes = stats_tree_create_node(st, st_str_codes, 0, STAT_DT_INT, true);
}

tap_packet_status vsm_stats_tree_packet(stats_tree* st, packet_info*, epan_dissect_t*, const void* p, tap_flags_t) {
  const auto* tap = static_cast<const VsmTapInfo*>(p);
  if (tap == nullptr || !tap->has_header) return TAP_PACKET_DONT_REDRAW;
  tick_stat_node(st, st_str_types, 0, false);
  const int type_node = tick_stat_node(st, type_label_c(tap->type), st_node_types, true);
  if (vsm::carries_operation(tap->type)) tick_stat_node(st, operation_label_c(tap->subtype), type_node, false);
  if (tap->type == vsm::u8(vsm::MsgType::Ack)) {
    tick_stat_node(st, st_str_codes, 0, false);
    tick_stat_node(st, code_label_c(tap->code), st_node_codes, false);
  }
  return TAP_PACKET_REDRAW;
}

int srt_row(std::uint8_t type, std::uint8_t op) {
  for (std::size_t i = 0; i < srt_rows->size(); ++i) {
    const SrtRow& r = (*srt_rows)[i];
    if (r.type == type && (type != vsm::u8(vsm::MsgType::Operation) || r.op == op)) return static_cast<int>(i);
  }
  return -1;
}

void vsm_srt_init(struct register_srt*, GArray* srt_array) {
  srt_stat_table* table = init_srt_table("VSM requests", nullptr, srt_array, static_cast<int>(srt_rows->size()),
                                         "Request", "vsm.type", nullptr);
  for (std::size_t i = 0; i < srt_rows->size(); ++i) {
    init_srt_table_row(table, static_cast<int>(i), (*srt_rows)[i].name);
  }
}

tap_packet_status vsm_srt_packet(void* pss, packet_info* pinfo, epan_dissect_t*, const void* p, tap_flags_t) {
  const auto* tap = static_cast<const VsmTapInfo*>(p);
  const auto* data = static_cast<srt_data_t*>(pss);
  if (tap == nullptr || !tap->matched || nstime_is_zero(&tap->req_time)) return TAP_PACKET_DONT_REDRAW;
  const int row = srt_row(tap->req_type, tap->req_subtype);
  if (row < 0) return TAP_PACKET_DONT_REDRAW;
  srt_stat_table* table = g_array_index(data->srt_array, srt_stat_table*, 0);
  add_srt_table_data(table, row, &tap->req_time, pinfo);
  return TAP_PACKET_REDRAW;
}

// ---------------------------------------------------------------------------
// Registration.

// The length convention named by a preference word: the codec's keywords, or
// the earlier spellings (the codec's kLengthConventionAliases, the same the
// tools accept); case does not matter.
bool convention_for(const char* word, vsm::LengthConvention* out) {
  if (word == nullptr) return false;
  for (const vsm::Named& c : vsm::kLengthConventions) {
    if (g_ascii_strcasecmp(word, to_string(c.keyword).c_str()) == 0) {
      *out = static_cast<vsm::LengthConvention>(c.value);
      return true;
    }
  }
  for (const vsm::Named& a : vsm::kLengthConventionAliases) {
    if (g_ascii_strcasecmp(word, to_string(a.keyword).c_str()) == 0) {
      *out = static_cast<vsm::LengthConvention>(a.value);
      return true;
    }
  }
  return false;
}

// An unknown word is an error: reported (on stderr for tshark, a dialog in
// the GUI) and the convention left as it was. tshark, where nobody can
// correct it, stops as it does for a bad -o argument.
void apply_prefs() {
  if (convention_for(pref_convention_word, &current_convention)) return;
  std::string words;
  for (const vsm::Named& c : vsm::kLengthConventions) words = cat({words, words.empty() ? "" : ", ", c.keyword});
  report_failure("Invalid value \"%s\" for the VSM preference vsm.length_convention (one of: %s)",
                 pref_convention_word != nullptr ? pref_convention_word : "", words.c_str());
  if (g_strcmp0(g_get_prgname(), "tshark") == 0) exit(1);
}

hf_register_info field(int* id, const char* name, const char* abbrev, ftenum type, int display, const void* strings,
                       const char* blurb) {
  hf_register_info hf = {id, {name, abbrev, type, display, strings, 0x0, blurb, HFILL}};
  return hf;
}

// The fixed fields are written in Wireshark's literal hf[] form, which its
// checkers (checkAPIs.pl, checkhf.pl, checkfiltername.pl) read; the compiler
// checks here that their names are the dictionary's.
constexpr std::string_view dictionary_name(vsm::OptType type) {
  for (const vsm::OptionSpec& o : vsm::kOptions) {
    if (o.type == static_cast<std::uint8_t>(type)) return o.name;
  }
  return {};
}
static_assert(dictionary_name(vsm::OptType::IPv4) == "IPv4 address");
static_assert(dictionary_name(vsm::OptType::IPv6) == "IPv6 address");
static_assert(dictionary_name(vsm::OptType::Port) == "Port number");
static_assert(dictionary_name(vsm::OptType::NodeId) == "Node ID");
static_assert(dictionary_name(vsm::OptType::FunctionId) == "Function ID");
static_assert(vsm::kNodeIdRoles[0] == "Source Node ID" && vsm::kNodeIdRoles[1] == "Destination Node ID");

// An information item's display name: the dictionary's, followed by its
// option's name when another option has an item of the same name ("Boot
// time (Node information)"), so that every name can be a column title.
std::string item_title(const vsm::OptionSpec& opt, const vsm::SubOptionSpec& sub) {
  for (const vsm::OptionSpec& other : vsm::kOptions) {
    if (&other == &opt) continue;
    for (const vsm::SubOptionSpec& s : other.subs) {
      if (s.name == sub.name) return cat({sub.name, " (", opt.name, ")"});
    }
  }
  return to_string(sub.name);
}

int expert_group(const vsm::Requirement& r) {
  if (r.scope == vsm::Scope::Exchange) return PI_SEQUENCE;
  if (r.level == vsm::Level::Format) return PI_MALFORMED;
  return PI_PROTOCOL;
}

int expert_severity(vsm::Req r) {
  switch (vsm::severity_of(r)) {
    case vsm::Severity::Note: return PI_NOTE;
    case vsm::Severity::Warning: return PI_WARN;
    case vsm::Severity::Error: return PI_ERROR;
  }
  return PI_ERROR;
}

// "VSM-6.3.4-ORDER" -> "vsm.expert.vsm_6_3_4_order"
std::string expert_abbrev(std::string_view id) {
  std::string s = "vsm.expert.";
  for (char c : id) {
    if (c == '-' || c == '.') {
      s += '_';
    } else {
      s += static_cast<char>(g_ascii_tolower(c));
    }
  }
  return s;
}

void proto_register_vsm() {
  proto_vsm = proto_register_protocol("Virtualized Service Management", "VSM", "vsm");

  const auto named_value = [](const vsm::Named& n) -> guint32 { return n.value; };
  const auto named_name = [](const vsm::Named& n) { return to_string(n.name); };
  vals_types = make_vals(vsm::kMessageTypes, named_value, [](const vsm::Named& n) { return vsm::type_label(n.value); });
  vals_codes = make_vals(vsm::kResultCodes, named_value, named_name);
  vals_options = make_vals(
      vsm::kOptions, [](const vsm::OptionSpec& o) -> guint32 { return o.type; },
      [](const vsm::OptionSpec& o) { return to_string(o.name); });

  // Wireshark's usual hf[] form (NULL, not nullptr) so that its checkers
  // (checkAPIs.pl, checkhf.pl, checkfiltername.pl) read these entries.
  static hf_register_info hf[] = {
      {&hf_type, {"Type", "vsm.type", FT_UINT8, BASE_DEC, VALS(vals_types), 0x0, "Message type", HFILL}},
      {&hf_subtype,
       {"Sub-Type", "vsm.subtype", FT_UINT8, BASE_DEC, NULL, 0x0, "Operation command for Operation and Ack (else zero)",
        HFILL}},
      {&hf_length, {"Length", "vsm.length", FT_UINT16, BASE_DEC, NULL, 0x0, "Header Length field", HFILL}},
      {&hf_code, {"Code", "vsm.code", FT_UINT8, BASE_DEC, VALS(vals_codes), 0x0, "Result code (Ack and Error)", HFILL}},
      {&hf_seq,
       {"Sequence Number", "vsm.seq", FT_UINT24, BASE_DEC, NULL, 0x0,
        "Sequence number of the message (copied into its ACK)", HFILL}},
      {&hf_option,
       {"Option", "vsm.option", FT_NONE, BASE_NONE, NULL, 0x0, "One option (OP-Type/Sub-OP-Type/Length/Value)", HFILL}},
      {&hf_opt_type, {"OP-Type", "vsm.option.type", FT_UINT8, BASE_DEC, VALS(vals_options), 0x0, "Option type", HFILL}},
      {&hf_opt_subtype,
       {"Sub-OP-Type", "vsm.option.subtype", FT_UINT8, BASE_DEC, NULL, 0x0,
        "Information item of the option type (zero for the fixed-length options)", HFILL}},
      {&hf_opt_length,
       {"Option Length", "vsm.option.length", FT_UINT16, BASE_DEC, NULL, 0x0, "Option value length", HFILL}},
      {&hf_opt_value, {"Value", "vsm.option.value", FT_BYTES, BASE_NONE, NULL, 0x0, "Option value", HFILL}},
      {&hf_ipv4, {"IPv4 address", "vsm.ipv4", FT_IPv4, BASE_NONE, NULL, 0x0, "Value of an IPv4 address option", HFILL}},
      {&hf_ipv6, {"IPv6 address", "vsm.ipv6", FT_IPv6, BASE_NONE, NULL, 0x0, "Value of an IPv6 address option", HFILL}},
      {&hf_port, {"Port number", "vsm.port", FT_UINT16, BASE_DEC, NULL, 0x0, "Value of a Port number option", HFILL}},
      {&hf_node_id, {"Node ID", "vsm.node_id", FT_UINT32, BASE_DEC, NULL, 0x0, "Value of a Node ID option", HFILL}},
      {&hf_function_id,
       {"Function ID", "vsm.function_id", FT_UINT32, BASE_DEC, NULL, 0x0, "Value of a Function ID option", HFILL}},
      {&hf_src_node_id,
       {"Source Node ID", "vsm.src_node_id", FT_UINT32, BASE_DEC, NULL, 0x0, "First Node ID of MOVE/COPY/MOVE_SESSION",
        HFILL}},
      {&hf_dst_node_id,
       {"Destination Node ID", "vsm.dst_node_id", FT_UINT32, BASE_DEC, NULL, 0x0,
        "Second Node ID of MOVE/COPY/MOVE_SESSION", HFILL}},
      {&hf_undecoded,
       {"Undecoded octets", "vsm.undecoded", FT_BYTES, BASE_NONE, NULL, 0x0, "Octets after the last well-formed option",
        HFILL}},
      {&hf_response_in,
       {"Response In", "vsm.response_in", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0x0,
        "The ACK to this message is in this frame", HFILL}},
      {&hf_response_to,
       {"Response To", "vsm.response_to", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0,
        "This is an ACK to the message in this frame", HFILL}},
      {&hf_response_time,
       {"Response Time", "vsm.response_time", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
        "Time between the message and its ACK", HFILL}},
  };
  proto_register_field_array(proto_vsm, hf, G_N_ELEMENTS(hf));

  // The information items' fields come from the dictionary (checked at run time by dissector.tshark.fields).
  auto* items = new std::vector<hf_register_info>();

  // One field per information sub-option: vsm.<option keyword> ("vsm.node_info.mem_available").
  for (auto& row : hf_sub_fields) row.fill(-1);
  for (const vsm::OptionSpec& opt : vsm::kOptions) {
    for (const vsm::SubOptionSpec& sub : opt.subs) {
      ftenum type = FT_STRING;
      int display = BASE_NONE;
      switch (sub.kind) {
        case vsm::ValueKind::Integer:
          type = FT_UINT64;
          display = BASE_DEC;
          break;
        case vsm::ValueKind::Decimal: type = FT_DOUBLE; break;
        case vsm::ValueKind::NtpTime:
          type = FT_ABSOLUTE_TIME;
          display = ABSOLUTE_TIME_UTC;
          break;
        default: break;
      }
      std::string blurb = cat({opt.name, " item ", std::to_string(sub.sub)});
      if (!sub.unit.empty()) blurb = cat({blurb, ", in ", sub.unit});
      items->push_back(field(&hf_sub_fields[opt.type][sub.sub], keep(item_title(opt, sub)),
                             keep("vsm." + vsm::option_keyword(opt.type, sub.sub)), type, display, nullptr,
                             keep(blurb)));
    }
  }
  proto_register_field_array(proto_vsm, items->data(), static_cast<int>(items->size()));

  static gint* ett[] = {&ett_vsm, &ett_option};
  proto_register_subtree_array(ett, G_N_ELEMENTS(ett));

  // One expert info per catalogue entry that a capture can show.
  auto* ei = new std::vector<ei_register_info>();
  for (const vsm::Requirement& r : vsm::catalogue()) {
    expert_field& e = ei_req[static_cast<std::size_t>(r.req)];
    e.ei = EI_INIT_EI;
    e.hf = EI_INIT_HF;
    if (r.scope != vsm::Scope::Message && r.scope != vsm::Scope::Exchange) continue;
    ei_register_info info = {&e,
                             {keep(expert_abbrev(r.id)), expert_group(r), expert_severity(r.req),
                              keep(cat({"[", r.id, "] ", r.title})), EXPFILL}};
    info.eiinfo.hf_info.hfinfo.blurb = keep(to_string(r.sentence));  // the filter field's description
    ei->push_back(info);
  }
  expert_module_t* expert = expert_register_protocol(proto_vsm);
  expert_register_field_array(expert, ei->data(), static_cast<int>(ei->size()));

  module_t* prefs = prefs_register_protocol(proto_vsm, apply_prefs);
  std::string words;
  for (const vsm::Named& c : vsm::kLengthConventions) {
    words = cat({words, words.empty() ? "" : ", ", c.keyword, " (", c.name, ")"});
  }
  pref_convention_word = keep(to_string(vsm::kLengthConventions[0].keyword));
  prefs_register_string_preference(prefs, "length_convention", "Length field convention",
                                   keep(cat({"How the header Length field is read: ", words})), &pref_convention_word);
  prefs_register_bool_preference(prefs, "desegment", "Reassemble VSM messages spanning multiple TCP segments",
                                 "Whether the VSM dissector should reassemble messages spanning multiple TCP "
                                 "segments (TCP's \"Allow subdissectors to reassemble TCP streams\" must be on too)",
                                 &pref_desegment);
  prefs_register_bool_preference(prefs, "try_heuristic", "Try to detect VSM on any TCP port",
                                 "Run the strict VSM heuristic on TCP traffic of other ports", &pref_heuristic);
  prefs_register_uint_preference(prefs, "pairing_interval", "Maximum request/ACK pairing interval (s)",
                                 "A request without an ACK after this many seconds is reported and no longer "
                                 "paired; 0 means no limit",
                                 10, &pref_pairing_interval);

  vsm_tcp_handle = register_dissector("vsm", dissect_vsm_tcp, proto_vsm);
  vsm_sctp_handle = register_dissector("vsm.sctp", dissect_vsm_sctp, proto_vsm);
  register_dissector("vsm.pdu", dissect_vsm_exported, proto_vsm);
  exported_pdu_tap = register_export_pdu_tap("VSM");

  vsm_tap = register_tap("vsm");
  stats_tree_register_plugin("vsm", "vsm", "VSM/Messages", 0, vsm_stats_tree_packet, vsm_stats_tree_init, nullptr);

  srt_rows = new std::vector<SrtRow>();
  for (const vsm::Named& t : vsm::kMessageTypes) {
    if (t.value == vsm::u8(vsm::MsgType::Ack)) continue;
    if (t.value == vsm::u8(vsm::MsgType::Operation)) {
      for (const vsm::Named& op : vsm::kOperations) {
        srt_rows->push_back({t.value, op.value, keep(cat({t.name, " ", op.name}))});
      }
    } else {
      srt_rows->push_back({t.value, 0, type_label_c(t.value)});
    }
  }
  register_srt_table(proto_vsm, nullptr, 1, vsm_srt_packet, vsm_srt_init, nullptr);
}

void proto_reg_handoff_vsm() {
  char port[8];
  std::snprintf(port, sizeof port, "%u", vsm::kDefaultPort);
  dissector_add_uint_range_with_preference("tcp.port", port, vsm_tcp_handle);
  dissector_add_uint_with_preference("sctp.port", vsm::kDefaultPort, vsm_sctp_handle);
  dissector_add_for_decode_as("sctp.ppi", vsm_sctp_handle);
  heur_dissector_add("tcp", heur_tcp_entry, "VSM over TCP", "vsm_tcp", proto_vsm, HEURISTIC_ENABLE);
}

}  // namespace

#if VSM_WS_HAS_PLUGIN_DESCRIBE
uint32_t plugin_describe(void) { return WS_PLUGIN_DESC_DISSECTOR; }
#endif

void plugin_register(void) {
  static proto_plugin plug;
  plug.register_protoinfo = proto_register_vsm;
  plug.register_handoff = proto_reg_handoff_vsm;
  proto_register_plugin(&plug);
}
