// SPDX-License-Identifier: GPL-2.0-or-later
// Decode+check throughput on typical messages, with a plain memcpy of the
// same bytes measured in the same run for scale. Prints messages/s, ns per
// message and the ratio to the memcpy baseline at the end.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "vsm/exchange.hpp"
#include "vsm/framing.hpp"
#include "vsm/rules.hpp"
#include "vsm/samples.hpp"

namespace {

struct Batch {
  std::vector<std::uint8_t> bytes;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pdus;  // offset, size
};

// A session's worth of typical traffic: every sample, with Keep-Alives and
// their ACKs weighted as they are on a live link.
const Batch& batch() {
  static const Batch b = [] {
    Batch out;
    const auto samples = vsm::typical_messages();
    for (int rep = 0; rep < 64; ++rep) {
      for (const auto& s : samples) {
        const int weight = (s.name == "keep-alive" || s.name == "keep-alive ack") ? 4 : 1;
        for (int w = 0; w < weight; ++w) {
          const auto start = static_cast<std::uint32_t>(out.bytes.size());
          s.message.encode_to(out.bytes, s.convention);
          out.pdus.emplace_back(start, static_cast<std::uint32_t>(out.bytes.size()) - start);
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

BENCHMARK(BM_Memcpy);
BENCHMARK(BM_Decode);
BENCHMARK(BM_DecodeCheck);
BENCHMARK(BM_FrameDecodeCheck);

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
  return 0;
}
