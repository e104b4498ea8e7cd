// files.hpp: reading configuration and secret files with limits and mode checks.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "result.hpp"

namespace s2s {

// What identifies one version of a file, to notice that it changed.
struct FileStamp {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = -1;
    int64_t mtime_ns = -1;

    bool operator==(const FileStamp &) const = default;
};

enum class FileKind { plain, secret };

// Reads a whole file of at most `max_bytes`.  A secret file that group or others
// can write, or others can read, is refused (S2S_ERR_PERMISSIONS) before it is read.
Error read_file(const std::string &path, size_t max_bytes, FileKind kind, std::string &out,
                FileStamp *stamp = nullptr);

// The current stamp of `path`; false if it cannot be stat'ed.
bool stat_file(const std::string &path, FileStamp &stamp);

// Splits text into lines (without "\n"), calling fn(line_number, line) until it
// returns an error.  A NUL byte or a "\r" anywhere is an error.
template <typename Fn>
Error for_each_line(const std::string &path, std::string_view text, Fn &&fn);

// "file:line" for error details.
std::string where(const std::string &path, size_t line);

}  // namespace s2s

#include "files_impl.hpp"
