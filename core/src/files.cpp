// files.cpp: bounded, mode-checked file reads.
//
// The mode is checked on the opened descriptor (fstat), not on the path, so the
// file judged is the file read.
#include "files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace s2s {
namespace {

FileStamp stamp_of(const struct stat &st) {
    FileStamp s;
    s.dev = st.st_dev;
    s.ino = st.st_ino;
    s.size = st.st_size;
    s.mtime_ns = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    return s;
}

std::string mode_text(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", unsigned(mode & 07777));
    return buf;
}

}  // namespace

std::string where(const std::string &path, size_t line) {
    return path + ":" + std::to_string(line);
}

bool stat_file(const std::string &path, FileStamp &stamp) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return false;
    stamp = stamp_of(st);
    return true;
}

Error read_file(const std::string &path, size_t max_bytes, FileKind kind, std::string &out,
                FileStamp *stamp) {
    // O_NONBLOCK: opening a FIFO (or a device) named by mistake must fail
    // below as "not a regular file", not block the host (a PostgreSQL
    // postmaster at start-up, a login) waiting for a writer.  Regular files
    // read the same either way.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        return make_error(S2S_ERR_IO, "cannot open file", path + ": " + std::strerror(e),
                          e == ENOENT ? "check the path" : "check the file's owner and mode");
    }
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return make_error(S2S_ERR_IO, "not a regular file", path);
    }
    if (kind == FileKind::secret && (st.st_mode & (S_IWGRP | S_IWOTH | S_IROTH)) != 0) {
        ::close(fd);
        return make_error(S2S_ERR_PERMISSIONS, "secret file has unsafe permissions",
                          path + " has mode " + mode_text(st.st_mode) +
                              " (writable by group or others, or readable by others)",
                          "chmod 600 " + path);
    }
    if (st.st_size < 0 || size_t(st.st_size) > max_bytes) {
        ::close(fd);
        return make_error(S2S_ERR_LIMIT, "file too large",
                          path + " has " + std::to_string(st.st_size) + " bytes, limit " +
                              std::to_string(max_bytes));
    }
    out.clear();
    out.resize(size_t(st.st_size));
    size_t got = 0;
    while (got < out.size()) {
        ssize_t n = ::read(fd, out.data() + got, out.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += size_t(n);
    }
    ::close(fd);
    if (got != out.size()) {
        return make_error(S2S_ERR_IO, "short read", path + " changed while it was read",
                          "write such files atomically (temporary file + rename)");
    }
    if (stamp != nullptr) *stamp = stamp_of(st);
    return {};
}

}  // namespace s2s
