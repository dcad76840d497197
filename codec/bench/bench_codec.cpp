// SPDX-License-Identifier: GPL-2.0-or-later
// Decode+check throughput on typical messages, with a plain memcpy of the
// same bytes measured in the same run for scale. Prints messages/s, ns per
// message and the ratio to the memcpy baseline at the end.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "vsm/exchange.hpp"
#include "vsm/framing.hpp"
#include "vsm/rules.hpp"
#include "vsm/samples.hpp"
#include "vsm/session.hpp"

namespace {

struct Batch {
  std::vector<std::uint8_t> bytes;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pdus;  // offset, size
  std::vector<bool> from_node;                                // sender of each PDU
};

// One connection's worth of typical traffic: a Registration, then every
// request of the samples followed by its ACK, Keep-Alives weighted as they
// are on a live link, a De-registration at the end. Each side numbers its
// requests in turn, so a tracker finds nothing wrong with it.
const Batch& batch() {
  static const Batch b = [] {
    Batch out;
    const auto samples = vsm::typical_messages();
    std::uint32_t seq[2] = {1, 1};  // manager, node
    constexpr int kReps = 64;
    for (int rep = 0; rep < kReps; ++rep) {
      for (std::size_t i = 0; i + 1 < samples.size(); i += 2) {  // request, ACK
        const vsm::Sample& req = samples[i];
        if (req.name == "registration" && rep != 0) continue;
        if (req.name == "de-registration" && rep != kReps - 1) continue;
        const int weight = req.name == "keep-alive" ? 4 : 1;
        for (int w = 0; w < weight; ++w) {
          const bool node = req.sender == vsm::Role::Node;
          for (const vsm::Sample* s : {&req, &samples[i + 1]}) {
            vsm::Message m = s->message;
            m.seq = seq[node ? 1 : 0];
            const auto start = static_cast<std::uint32_t>(out.bytes.size());
            if (m.encode_to(out.bytes, s->convention)) std::abort();  // the samples are small
            out.pdus.emplace_back(start, static_cast<std::uint32_t>(out.bytes.size()) - start);
            out.from_node.push_back(s->sender == vsm::Role::Node);
          }
          seq[node ? 1 : 0] = vsm::next_seq(seq[node ? 1 : 0]);
        }
      }
    }
    return out;
  }();
  return b;
}

void BM_Memcpy(benchmark::State& state) {
  const Batch& b = batch();
  std::vector<std::uint8_t> dst(b.bytes.size());
  for (auto _ : state) {
    for (const auto& [offset, size] : b.pdus) std::memcpy(dst.data() + offset, b.bytes.data() + offset, size);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * b.pdus.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * b.bytes.size()));
}

void BM_Decode(benchmark::State& state) {
  const Batch& b = batch();
  for (auto _ : state) {
    std::size_t options = 0;
    for (const auto& [offset, size] : b.pdus) {
      const vsm::MessageView m = vsm::decode(vsm::Bytes(b.bytes.data() + offset, size));
      options += m.option_count;
    }
    benchmark::DoNotOptimize(options);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * b.pdus.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * b.bytes.size()));
}

void BM_DecodeCheck(benchmark::State& state) {
  const Batch& b = batch();
  std::size_t findings = 0;
  for (auto _ : state) {
    for (const auto& [offset, size] : b.pdus) {
      const vsm::MessageView m = vsm::decode(vsm::Bytes(b.bytes.data() + offset, size));
      vsm::FindingList f;
      vsm::check_message(m, f);
      findings += f.size();
    }
    benchmark::DoNotOptimize(findings);
  }
  if (findings != 0) state.SkipWithError("typical messages produced findings");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * b.pdus.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * b.bytes.size()));
}

void BM_FrameDecodeCheck(benchmark::State& state) {
  const Batch& b = batch();
  vsm::Framer framer;
  std::size_t messages = 0;
  for (auto _ : state) {
    std::size_t pos = 0;
    while (pos < b.bytes.size()) {
      const std::size_t n = std::min<std::size_t>(1448, b.bytes.size() - pos);
      pos += framer.feed(vsm::Bytes(b.bytes.data() + pos, n));
      for (vsm::FrameResult r = framer.next(); r.status == vsm::FrameStatus::Pdu; r = framer.next()) {
        const vsm::MessageView m = vsm::decode(r.pdu);
        vsm::FindingList f;
        vsm::check_message(m, f);
        messages += 1 + f.size();
      }
    }
    benchmark::DoNotOptimize(messages);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * b.pdus.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * b.bytes.size()));
}

// The manager's end of the connection as a program drives it: the node's
// messages through Session::receive (framing, decoding, rules, tracking,
// ACK matching), the manager's own through note_sent (tracked, not copied).
void BM_SessionReceive(benchmark::State& state) {
  const Batch& b = batch();
  std::size_t findings = 0, matched = 0;
  vsm::SessionConfig cfg;
  cfg.local_role = vsm::Role::Manager;
  cfg.initiator = false;
  cfg.check_sent = false;
  for (auto _ : state) {
    vsm::Session s(cfg);
    for (std::size_t i = 0; i < b.pdus.size(); ++i) {
      const vsm::Bytes pdu(b.bytes.data() + b.pdus[i].first, b.pdus[i].second);
      if (b.from_node[i]) {
        s.receive(pdu, 0.0, [&](const vsm::SessionEvent& e) {
          findings += e.findings.size() + e.earlier.size();
          matched += e.request ? 1 : 0;
        });
      } else {
        findings += s.note_sent(pdu, 0.0).findings.size();
      }
    }
    findings += s.close(1.0).size();
    benchmark::DoNotOptimize(matched);
  }
  if (findings != 0) state.SkipWithError("typical traffic produced findings");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * b.pdus.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * b.bytes.size()));
}

BENCHMARK(BM_Memcpy);
BENCHMARK(BM_Decode);
BENCHMARK(BM_DecodeCheck);
BENCHMARK(BM_FrameDecodeCheck);
BENCHMARK(BM_SessionReceive);

// Keeps each run's time per message for the summary.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      if (r.run_type == Run::RT_Iteration && r.iterations > 0) {
        ns_per_msg[r.benchmark_name()] = r.GetAdjustedRealTime() / static_cast<double>(batch().pdus.size());
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> ns_per_msg;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  const Batch& b = batch();
  std::printf("\nbatch: %zu messages, %zu bytes (%.1f bytes/message)\n", b.pdus.size(), b.bytes.size(),
              static_cast<double>(b.bytes.size()) / static_cast<double>(b.pdus.size()));
  const auto base = reporter.ns_per_msg.find("BM_Memcpy");
  for (const auto& [name, ns] : reporter.ns_per_msg) {
    std::printf("%-22s %8.2f ns/message  %8.2f M messages/s", name.c_str(), ns, 1e3 / ns);
    if (base != reporter.ns_per_msg.end() && name != "BM_Memcpy") {
      std::printf("  %6.1fx the memcpy baseline", ns / base->second);
    }
    std::printf("\n");
  }
  const auto dc = reporter.ns_per_msg.find("BM_DecodeCheck");
  if (dc != reporter.ns_per_msg.end()) {
    std::printf("target: >= 10 M messages/s decoded and checked on one core: %s (%.2f M/s)\n",
                1e3 / dc->second >= 10.0 ? "met" : "NOT met", 1e3 / dc->second);
  }
  const auto sr = reporter.ns_per_msg.find("BM_SessionReceive");
  const auto fdc = reporter.ns_per_msg.find("BM_FrameDecodeCheck");
  if (sr != reporter.ns_per_msg.end() && fdc != reporter.ns_per_msg.end()) {
    std::printf(
        "target: >= 30 M messages/s through Session::receive on one core: %s (%.2f M/s, %.2fx the time of "
        "framer+decode+check)\n",
        1e3 / sr->second >= 30.0 ? "met" : "NOT met", 1e3 / sr->second, sr->second / fdc->second);
  }
  return 0;
}
