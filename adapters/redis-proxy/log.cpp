// log.cpp: stderr or syslog, chosen once at start-up.
#include "log.hpp"

#include <cstdarg>
#include <cstdio>
#include <ctime>

namespace s2s_redis {
namespace {
bool use_syslog = false;

const char *level_name(int priority) {
    switch (priority) {
        case LOG_ERR: return "error";
        case LOG_WARNING: return "warning";
        case LOG_NOTICE: return "notice";
        case LOG_INFO: return "info";
        default: return "debug";
    }
}
}  // namespace

void log_use_syslog(bool on) {
    use_syslog = on;
    if (on) openlog("s2sauth-redis-proxy", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_msg(int priority, const char *fmt, ...) {
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (use_syslog) {
        syslog(priority, "%s", line);
        return;
    }
    char stamp[32];
    time_t now = time(nullptr);
    struct tm tm_utc;
    gmtime_r(&now, &tm_utc);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm_utc);
    std::fprintf(stderr, "%s s2sauth-redis-proxy %s: %s\n", stamp, level_name(priority), line);
}

}  // namespace s2s_redis
