// SPDX-License-Identifier: GPL-2.0-or-later
#include "reader.hpp"

#include <pcap/pcap.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace vsm::replay {

namespace {

constexpr std::size_t kReadBuffer = 1 << 20;

class Progress {
 public:
  Progress(const std::string& path, std::uint64_t size, bool wanted)
      : path_(path), size_(size), on_(wanted && size > (64u << 20) && isatty(STDERR_FILENO)) {}
  ~Progress() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
  }
  void tick(FILE* f, std::uint64_t records, const Engine& e) {
    if (!on_ || (records & 0x3FFF) != 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (shown_ && now - last_ < std::chrono::milliseconds(500)) return;
    last_ = now;
    shown_ = true;
    const off_t pos = f != nullptr ? ftello(f) : 0;
    std::fprintf(stderr, "\r\033[Kvsm-replay: %s %3.0f%%  %llu records  %llu messages  %zu open connections",
                 path_.c_str(), size_ > 0 ? 100.0 * static_cast<double>(pos) / static_cast<double>(size_) : 0.0,
                 static_cast<unsigned long long>(records), static_cast<unsigned long long>(e.stats().messages),
                 e.open_connections());
  }

 private:
  std::string path_;
  std::uint64_t size_;
  bool on_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace

ReadResult read_capture(const std::string& path_arg, Engine& engine, const ReadOptions& opt) {
  ReadResult res;
  const bool from_stdin = path_arg == "-";
  const std::string path = from_stdin ? std::string("standard input") : path_arg;
  FILE* file = nullptr;
  if (from_stdin) {
    // libpcap reads pcap and pcapng from a stream: no seek, so a pipe will do.
    file = stdin;
  } else {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      res.status = exit_code::kUnreadable;
      res.error = path + ": cannot open: " + std::strerror(errno);
      return res;
    }
    res.file_bytes = static_cast<std::uint64_t>(st.st_size);
    // The file is opened here so that its stdio buffer can be large: libpcap
    // reads every record with two fread calls, and the default 4 KiB buffer
    // would turn a large capture into a read system call every few records.
    file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) {
      res.status = exit_code::kUnreadable;
      res.error = path + ": cannot open: " + std::strerror(errno);
      return res;
    }
  }
  std::setvbuf(file, nullptr, _IOFBF, kReadBuffer);
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* pc = pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (pc == nullptr) {  // on failure the file stays ours to close (on success pcap_close closes it)
    if (!from_stdin) std::fclose(file);
    res.status = exit_code::kUnreadable;
    res.error = path + ": not a readable pcap or pcapng capture: " + errbuf;
    return res;
  }
  res.linktype = pcap_datalink(pc);
  if (!supported_linktype(res.linktype)) {
    res.status = exit_code::kUnreadable;
    res.error = path + ": link type " + linktype_text(res.linktype) +
                " not supported (Ethernet, Linux cooked SLL/SLL2, raw IP and loopback are)";
    pcap_close(pc);
    return res;
  }
  const bool nano = pcap_get_tstamp_precision(pc) == PCAP_TSTAMP_PRECISION_NANO;
  Progress progress(path, res.file_bytes, opt.progress);
  FILE* f = pcap_file(pc);
  for (;;) {
    pcap_pkthdr* h = nullptr;
    const std::uint8_t* data = nullptr;
    const int rc = pcap_next_ex(pc, &h, &data);
    if (rc == PCAP_ERROR_BREAK) break;  // end of file
    if (rc != 1) {
      res.status = exit_code::kDamaged;
      res.error = path + ": record " + std::to_string(res.records + 1) + ": " + pcap_geterr(pc) +
                  " (the capture is truncated or corrupt; " + std::to_string(res.records) + " records read before it)";
      break;
    }
    ++res.records;
    // Times are seconds since the first record's whole second: full precision in a double.
    if (res.records == 1) engine.set_epoch(h->ts.tv_sec);
    const double t =
        static_cast<double>(h->ts.tv_sec - engine.epoch()) + static_cast<double>(h->ts.tv_usec) * (nano ? 1e-9 : 1e-6);
    engine.packet(res.records, t, parse_packet(res.linktype, ByteSpan(data, h->caplen), h->len));
    progress.tick(f, res.records, engine);
  }
  pcap_close(pc);
  return res;
}

}  // namespace vsm::replay
