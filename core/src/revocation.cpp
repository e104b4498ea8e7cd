// revocation.cpp: the revocation list file and its reloads.
//
// Token ids are printable ASCII without spaces, at most 256 bytes (s2s token
// ids, or a foreign token's identifier); blank lines and lines starting with
// '#' are ignored.  A line that is not a token id fails the whole load.
#include "revocation.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "guard.hpp"

namespace s2s {
namespace {

bool valid_revoked_id(std::string_view id) {
    if (id.empty() || id.size() > kMaxRevokedIdBytes) return false;
    for (unsigned char c : id) {
        if (c <= 0x20 || c >= 0x7f) return false;
    }
    return true;
}

class FileRevocationSource final : public RevocationSource {
public:
    explicit FileRevocationSource(std::string path) : path_(std::move(path)) {}

    Error load(std::shared_ptr<const RevocationSet> &out) override {
        out = nullptr;
        FileStamp now;
        if (loaded_ && stat_file(path_, now) && now == stamp_) return {};
        std::string text;
        FileStamp stamp;
        if (Error e = read_file(path_, kMaxRevocationBytes, FileKind::plain, text, &stamp)) return e;
        if (Error e = RevocationSet::parse(path_, text, out)) return e;
        stamp_ = stamp;
        loaded_ = true;
        return {};
    }

private:
    std::string path_;
    FileStamp stamp_;
    bool loaded_ = false;
};

}  // namespace

Error RevocationSet::parse(const std::string &path, std::string_view text,
                           std::shared_ptr<const RevocationSet> &out) {
    auto set = std::make_shared<RevocationSet>();
    Error err = for_each_line(path, text, [&](size_t line_no, std::string_view line) -> Error {
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
        if (line.empty() || line.front() == '#') return {};
        if (!valid_revoked_id(line)) {
            return make_error(S2S_ERR_CONFIG, "invalid token id in revocation list",
                              where(path, line_no) +
                                  ": token ids are printable ASCII without spaces, at most 256 bytes");
        }
        set->ids_.emplace(line);
        return {};
    });
    if (err) return err;
    out = std::move(set);
    return {};
}

std::unique_ptr<RevocationSource> make_file_revocation_source(const std::string &path) {
    return std::make_unique<FileRevocationSource>(path);
}

}  // namespace s2s

extern "C" S2S_API s2s_status s2s_revocation_append(const char *path, const char *token_id,
                                                    s2s_error *err) {
    using namespace s2s;
    if (path == nullptr || token_id == nullptr) return null_argument(err);
    if (!valid_revoked_id(token_id)) {
        return export_error(S2S_ERR_INVALID_ARGUMENT, "invalid token id",
                            "token ids are printable ASCII without spaces, at most 256 bytes", "",
                            err);
    }
    return guarded(err, [&] {
        int fd = ::open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            return export_error(S2S_ERR_IO, "cannot open revocation list",
                                (std::string(path) + ": " + std::strerror(errno)).c_str(), "", err);
        }
        // A list edited by hand may lack its final newline: appending to it
        // as is would glue the new id onto the last one, and neither would
        // be revoked any more.  Start a new line first in that case.
        struct stat st;
        char last = '\n';
        bool glued = ::fstat(fd, &st) == 0 && st.st_size > 0 &&
                     ::pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n';
        // One write of the whole line, so a concurrent reader never sees half of it.
        std::string line(glued ? 1 : 0, '\n');
        line.append(token_id);
        line.push_back('\n');
        ssize_t n = ::write(fd, line.data(), line.size());
        bool ok = n == ssize_t(line.size()) && ::fsync(fd) == 0;
        ok = ::close(fd) == 0 && ok;
        if (!ok) {
            return export_error(S2S_ERR_IO, "cannot append to revocation list", path, "", err);
        }
        return S2S_OK;
    });
}
