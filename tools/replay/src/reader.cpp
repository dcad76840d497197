// SPDX-License-Identifier: GPL-2.0-or-later
#include "reader.hpp"

#include <pcap/pcap.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

namespace vsm::replay {

namespace {

constexpr std::size_t kReadBuffer = 1 << 20;
constexpr std::size_t kGzipInput = 64 << 10;  // compressed bytes handed to inflate at a time

// The source libpcap reads through a stdio stream (fopencookie): the capture file or standard input, its
// first octets (read to tell gzip from pcap by content) given back first, and, for gzip (RFC 1952, magic
// 1f 8b; concatenated members too), inflated by zlib's stream API as libpcap asks: memory stays bounded
// (this buffer, zlib's 32 KiB window, the stdio buffer), whatever the size of the capture.
class Source {
 public:
  Source(FILE* src, bool own, std::vector<unsigned char> head, bool gzip)
      : src_(src), own_(own), gzip_(gzip), in_(std::max(kGzipInput, head.size())) {
    std::copy(head.begin(), head.end(), in_.begin());
    avail_ = head.size();
    fed_ = head.size();
    if (gzip_) {
      z_.next_in = in_.data();
      z_.avail_in = static_cast<uInt>(avail_);
      if (inflateInit2(&z_, 15 + 32) != Z_OK) error_ = "gzip: cannot start zlib's inflate";  // 32: gzip header
      z_ok_ = error_.empty();
    }
  }
  ~Source() {
    if (z_ok_) inflateEnd(&z_);
    if (own_ && src_ != nullptr) std::fclose(src_);
  }
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  // A stdio stream reading from this source (libpcap's pcap_fopen_offline closes it; this object stays ours).
  FILE* stream() {
    cookie_io_functions_t io{};
    io.read = [](void* c, char* buf, std::size_t n) { return static_cast<Source*>(c)->read(buf, n); };
    io.close = [](void*) { return 0; };
    return fopencookie(this, "rb", io);
  }
  const std::string& error() const { return error_; }
  bool gzip() const { return gzip_; }
  std::uint64_t compressed_offset() const { return gzip_ ? fed_ - z_.avail_in : fed_ - avail_; }
  FILE* file() const { return src_; }

 private:
  ssize_t fail(std::string why) {
    error_ = std::move(why);
    errno = EIO;
    return -1;
  }
  std::size_t fill(unsigned char* to, std::size_t n) {
    const std::size_t got = std::fread(to, 1, n, src_);
    fed_ += got;
    if (got == 0 && std::ferror(src_)) read_error_ = errno != 0 ? std::strerror(errno) : "read error";
    return got;
  }
  ssize_t read(char* buf, std::size_t n) {
    if (!error_.empty()) return fail(error_);
    if (!gzip_) {  // the octets read to tell the format, then the file itself
      if (avail_ > 0) {
        const std::size_t k = std::min(n, avail_);
        std::memcpy(buf, in_.data() + head_at_, k);
        head_at_ += k;
        avail_ -= k;
        return static_cast<ssize_t>(k);
      }
      const std::size_t got = fill(reinterpret_cast<unsigned char*>(buf), n);
      if (!read_error_.empty()) return fail("read error: " + read_error_);
      return static_cast<ssize_t>(got);
    }
    z_.next_out = reinterpret_cast<Bytef*>(buf);
    z_.avail_out = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
    const uInt want = z_.avail_out;
    while (z_.avail_out == want) {  // until inflate produced something, or the end
      if (z_.avail_in == 0 && !eof_) {
        const std::size_t got = fill(in_.data(), in_.size());
        if (!read_error_.empty()) {
          return fail("read error at compressed offset " + std::to_string(compressed_offset()) + ": " + read_error_);
        }
        if (got == 0) eof_ = true;
        z_.next_in = in_.data();
        z_.avail_in = static_cast<uInt>(got);
      }
      if (z_.avail_in == 0 && eof_) {
        if (!in_member_) break;  // the end, after a whole member
        return fail("gzip data truncated at compressed offset " + std::to_string(compressed_offset()) +
                    " (the compressed file ends inside a member)");
      }
      if (!in_member_) {  // a further member of a concatenation (gzip a b > c)
        inflateReset(&z_);
        in_member_ = true;
        later_member_ = true;
      }
      const int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        in_member_ = false;
      } else if (rc == Z_DATA_ERROR && later_member_ && z_.total_out == 0) {
        // Not a gzip header after a whole member: trailing garbage (padding), ignored as gzread and gzip -d do.
        in_member_ = false;
        eof_ = true;
        z_.avail_in = 0;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return fail("corrupt gzip data at compressed offset " + std::to_string(compressed_offset()) + ": " +
                    (z_.msg != nullptr ? z_.msg : zError(rc)));
      }
    }
    return static_cast<ssize_t>(want - z_.avail_out);
  }

  FILE* src_;
  bool own_;
  bool gzip_;
  std::vector<unsigned char> in_;
  std::size_t avail_ = 0;    // plain: head octets not given back yet
  std::size_t head_at_ = 0;  // plain: the next of them
  std::uint64_t fed_ = 0;    // octets read from the file
  z_stream z_{};
  bool z_ok_ = false;
  bool eof_ = false;
  bool in_member_ = true;
  bool later_member_ = false;  // past the first member
  std::string read_error_;
  std::string error_;
};

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
  // gzip or not by content (magic 1f 8b), never by name: a plain capture named .gz reads as it is.
  std::vector<unsigned char> head(2);
  head.resize(std::fread(head.data(), 1, head.size(), file));
  const bool gzip = head.size() == 2 && head[0] == 0x1f && head[1] == 0x8b;
  std::unique_ptr<Source> source;  // gzip, or a stream that cannot seek back over the magic
  if (!gzip && !from_stdin && std::fseek(file, 0, SEEK_SET) == 0) {
    head.clear();
  } else {
    source = std::make_unique<Source>(file, !from_stdin, std::move(head), gzip);
    file = source->stream();
    if (file == nullptr) {
      res.status = exit_code::kUnreadable;
      res.error = path + ": cannot read: " + std::strerror(errno);
      return res;
    }
    std::setvbuf(file, nullptr, _IOFBF, kReadBuffer);
  }
  // What went wrong inside the gzip stream, when something did: the file and the compressed offset.
  auto gzip_error = [&]() -> std::string { return source ? source->error() : std::string(); };
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* pc = pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (pc == nullptr) {  // on failure the file stays ours to close (on success pcap_close closes it)
    if (source || !from_stdin) std::fclose(file);
    res.status = exit_code::kUnreadable;
    if (const std::string g = gzip_error(); !g.empty()) {
      res.error = path + ": " + g;
    } else {
      res.error = path + ": not a readable pcap or pcapng capture" + (gzip ? " (after gzip decompression)" : "") +
                  ": " + errbuf;
    }
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
  FILE* f = source ? source->file() : pcap_file(pc);  // the position in the file read (compressed, for gzip)
  for (;;) {
    pcap_pkthdr* h = nullptr;
    const std::uint8_t* data = nullptr;
    const int rc = pcap_next_ex(pc, &h, &data);
    if (rc == PCAP_ERROR_BREAK && gzip_error().empty()) break;  // end of file
    if (rc != 1) {
      res.status = exit_code::kDamaged;
      std::string g = gzip_error();
      if (g.empty()) {
        g = pcap_geterr(pc);
        // Damage inside the decompressed capture: where the compressed file had been read to.
        if (source && source->gzip())
          g += " (gzip input read up to compressed offset " + std::to_string(source->compressed_offset()) + ")";
      }
      res.error = path + ": record " + std::to_string(res.records + 1) + ": " + g +
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
