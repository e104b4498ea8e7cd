// backend_users.cpp: loading the credentials file with permission checks.
#include "backend_users.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace s2s_redis {

bool BackendUsers::load(const std::string &path, std::string &error) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        error = path + ": cannot open the backend users file";
        return false;
    }
    struct stat st;
    bool stat_ok = fstat(fd, &st) == 0;
    ::close(fd);
    if (!stat_ok || !S_ISREG(st.st_mode)) {
        error = path + ": the backend users file is not a regular file";
        return false;
    }
    if (st.st_mode & (S_IRWXO | S_IWGRP)) {
        char mode[16];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        error = path + ": the backend users file has mode " + mode +
                ", readable by others or writable by group; run chmod 600 on it";
        return false;
    }
    std::ifstream in(path);
    std::string line;
    int lineno = 0;
    std::unordered_map<std::string, std::string> loaded;
    while (std::getline(in, line)) {
        ++lineno;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        size_t start = line.find_first_not_of(" \t");
        if (start == std::string::npos || line[start] == '#') continue;
        size_t space = line.find_first_of(" \t", start);
        size_t pass_at = space == std::string::npos ? space : line.find_first_not_of(" \t", space);
        if (pass_at == std::string::npos) {
            error = path + ":" + std::to_string(lineno) + ": expected \"<user> <password>\"";
            return false;
        }
        std::string user = line.substr(start, space - start);
        if (!loaded.emplace(user, line.substr(pass_at)).second) {
            error = path + ":" + std::to_string(lineno) + ": user '" + user + "' is listed twice";
            return false;
        }
    }
    if (loaded.empty()) {
        error = path + ": the backend users file lists no user";
        return false;
    }
    passwords_ = std::move(loaded);
    return true;
}

const std::string *BackendUsers::password(const std::string &user) const {
    auto it = passwords_.find(user);
    return it == passwords_.end() ? nullptr : &it->second;
}

}  // namespace s2s_redis
