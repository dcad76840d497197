// SPDX-License-Identifier: GPL-2.0-or-later
// Output files: the checks before a run, atomic writes, SHA-256 (libgcrypt).
#include "output_files.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <gcrypt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace vsm::conform {

namespace {

void gcrypt_init() {
  static const bool done = [] {
    gcry_check_version(nullptr);
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    return true;
  }();
  (void)done;
}

std::string hex(const unsigned char* d, std::size_t n) {
  std::string s;
  s.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) s += fmt::format("{:02x}", d[i]);
  return s;
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// A new empty file next to `path` (mode as a plain file would get); its name in `tmp`. -1 with errno set.
int make_temp(const std::string& path, std::string& tmp) {
  std::string name = directory_of(path) + "/." + base_of(path) + ".tmp.XXXXXX";
  const int fd = ::mkstemp(name.data());
  if (fd < 0) return -1;
  const mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd, 0666 & ~mask) != 0) {
    const int e = errno;
    ::close(fd);
    ::unlink(name.c_str());
    errno = e;
    return -1;
  }
  tmp = name;
  return fd;
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  gcrypt_init();
  unsigned char d[32];
  gcry_md_hash_buffer(GCRY_MD_SHA256, d, bytes.data(), bytes.size());
  return hex(d, sizeof d);
}

std::string sha256_file(const std::string& path, std::string& error) {
  gcrypt_init();
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!f) {
    error = fmt::format("{}: {}", path, std::strerror(errno));
    return {};
  }
  gcry_md_hd_t md = nullptr;
  if (gcry_md_open(&md, GCRY_MD_SHA256, 0) != 0) {
    error = "libgcrypt: cannot open SHA-256";
    return {};
  }
  std::vector<char> buf(1 << 16);
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) gcry_md_write(md, buf.data(), n);
  std::string out;
  if (std::ferror(f.get())) {
    error = fmt::format("{}: read error", path);
  } else {
    out = hex(gcry_md_read(md, GCRY_MD_SHA256), 32);
  }
  gcry_md_close(md);
  return out;
}

bool check_output_file(const std::string& path, std::string& error) {
  struct stat st {};
  if (path.empty() || path.back() == '/' || (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))) {
    error = fmt::format("{}: is a directory, not a file", path);
    return false;
  }
  std::string tmp;
  const int fd = make_temp(path, tmp);
  if (fd < 0) {
    error = fmt::format("{}: cannot create a file in {}: {}", path, directory_of(path), std::strerror(errno));
    return false;
  }
  ::close(fd);
  ::unlink(tmp.c_str());
  return true;
}

bool check_output_dir(const std::string& dir, std::string& error) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (::mkdir(dir.c_str(), 0777) != 0) {
      error = fmt::format("{}: cannot create the directory: {}", dir, std::strerror(errno));
      return false;
    }
  } else if (!S_ISDIR(st.st_mode)) {
    error = fmt::format("{}: not a directory", dir);
    return false;
  }
  return check_output_file(dir + "/probe", error);
}

bool Outputs::write(const std::string& path, const std::string& kind, const Fill& fill, std::string& error,
                    const std::string& test) {
  std::string tmp;
  const int fd = make_temp(path, tmp);
  if (fd < 0) {
    error = fmt::format("cannot write {}: {}", path, std::strerror(errno));
    return false;
  }
  ::close(fd);
  std::string why;
  if (!fill(tmp, why)) {
    ::unlink(tmp.c_str());
    error = fmt::format("cannot write {}: {}", path, why);
    return false;
  }
  std::string hash_error;
  Written w{path, kind, test, sha256_file(tmp, hash_error), 0};
  struct stat st {};
  if (w.sha256.empty() || ::stat(tmp.c_str(), &st) != 0) {
    ::unlink(tmp.c_str());
    error = fmt::format("cannot write {}: {}", path, hash_error.empty() ? std::strerror(errno) : hash_error);
    return false;
  }
  w.size = static_cast<std::uintmax_t>(st.st_size);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    error = fmt::format("cannot write {}: {}", path, std::strerror(errno));
    ::unlink(tmp.c_str());
    return false;
  }
  written_.push_back(std::move(w));
  return true;
}

bool Outputs::write_text(const std::string& path, const std::string& kind, std::string_view text, std::string& error) {
  return write(
      path, kind,
      [&](const std::string& tmp, std::string& why) {
        const int fd = ::open(tmp.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0) {
          why = std::strerror(errno);
          return false;
        }
        std::size_t done = 0;
        while (done < text.size()) {
          const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0) {
            why = std::strerror(n < 0 ? errno : EIO);
            ::close(fd);
            return false;
          }
          done += static_cast<std::size_t>(n);
        }
        if (::fsync(fd) != 0 && errno != EINVAL) {
          why = std::strerror(errno);
          ::close(fd);
          return false;
        }
        if (::close(fd) != 0) {
          why = std::strerror(errno);
          return false;
        }
        return true;
      },
      error);
}

}  // namespace vsm::conform
