#include "bridge/file_io.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bitten::bridge {
namespace {

tl::unexpected<Error> IoError(const std::string& what, const std::filesystem::path& path, int err) {
  return Fail("io_error", what + " " + path.string() + ": " + std::strerror(err));
}

Status WriteAll(int fd, std::string_view content, const std::filesystem::path& path) {
  while (!content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("write", path, errno);
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  return Ok();
}

Status SyncDir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("open folder", dir, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return IoError("fsync folder", dir, err);
  return Ok();
}

}  // namespace

Status WriteFileAtomically(const std::filesystem::path& dir, std::string_view name,
                           std::string_view content, Replace replace, Durability durability) {
  const std::filesystem::path target = dir / std::string(name);
  const std::filesystem::path tmp = dir / (std::string(name) + ".tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("open", tmp, errno);
  Status st = WriteAll(fd, content, tmp);
  if (st && durability == Durability::kFsync && ::fsync(fd) != 0) st = IoError("fsync", tmp, errno);
  if (::close(fd) != 0 && st) st = IoError("close", tmp, errno);
  if (!st) {
    ::unlink(tmp.c_str());
    return st;
  }
  int rc = 0;
  if (replace == Replace::kRefuse) {
    rc = ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE);
    if (rc != 0 && errno == EINVAL) {
      // The filesystem has no RENAME_NOREPLACE: check, then rename. Only one writer (the server)
      // ever creates this file, so the window is between us and nobody.
      struct stat sb {};
      if (::stat(target.c_str(), &sb) == 0) {
        rc = -1;
        errno = EEXIST;
      } else {
        rc = ::rename(tmp.c_str(), target.c_str());
      }
    }
  } else {
    rc = ::rename(tmp.c_str(), target.c_str());
  }
  if (rc != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    if (err == EEXIST) return Fail("exists", target.string() + " exists");
    return IoError("rename to", target, err);
  }
  if (durability == Durability::kFsync) return SyncDir(dir);
  return Ok();
}

Result<std::string> ReadWholeFile(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Fail("not_found", path.string() + " does not exist");
    return IoError("open", path, errno);
  }
  std::string out;
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return IoError("read", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

Status AppendDurably(const std::filesystem::path& path, std::string_view content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("open", path, errno);
  Status st = WriteAll(fd, content, path);
  if (st && ::fsync(fd) != 0) st = IoError("fsync", path, errno);
  if (::close(fd) != 0 && st) st = IoError("close", path, errno);
  return st;
}

}  // namespace bitten::bridge
