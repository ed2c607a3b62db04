#pragma once
/// \file Replacing a file atomically: write a temporary beside it, flush it to disk, rename it
/// over the target. A reader sees the old file or the new one, never a mix, and a failed write
/// leaves the old file as it was (issue 13). POSIX only (mkstemp, fsync, rename).

#include <theta/core/error.hpp>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace theta::io {

/// Writes `bytes` to `path` through `<path>.tmp-XXXXXX` in the same directory (so the rename
/// cannot cross file systems): every write is checked, the data is fsync'ed, the temporary is
/// renamed over `path`, and the directory is fsync'ed so the rename itself survives a crash.
/// The file keeps the permission bits of the file it replaces; a new file gets 0644 (mkstemp
/// alone would give 0600).
/// On any failure the temporary is removed, `path` is untouched and `CheckpointError` names
/// the path, the step and the OS error.
///
///     write_file_atomically("run/ppo.ckpt", writer.bytes());
inline void write_file_atomically(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
  const auto fail = [&](const char* what, int error) {
    throw CheckpointError(fmt::format("checkpoint '{}': {}: {}", path.string(), what, std::strerror(error)));
  };
  std::string temp = path.string() + ".tmp-XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) fail("cannot create a temporary file beside it", errno);
  // From here on, every failure closes and removes the temporary before throwing.
  const auto abandon = [&](const char* what) {
    const int error = errno;
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    fail(what, error);
  };
  struct stat existing {};
  const ::mode_t mode = ::stat(path.c_str(), &existing) == 0 ? (existing.st_mode & 07777) : 0644;
  if (::fchmod(fd, mode) != 0) abandon("cannot set the temporary file's permissions");
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ::ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      abandon("write failed");
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) abandon("fsync failed");
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    fail("close failed", error);
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    fail("cannot rename the temporary file into place", error);
  }
  // Best effort: make the rename durable. A failure here cannot un-replace the file.
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  if (const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY); dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

}  // namespace theta::io
