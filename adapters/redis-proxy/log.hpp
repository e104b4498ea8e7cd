// log.hpp: one-line log messages to stderr (systemd's journal) or syslog.
//
// Lines never contain a credential: callers pass reason names, token ids and
// failed caveats (which the core makes safe to log), never a token.
#pragma once

#include <syslog.h>

namespace s2s_redis {

void log_use_syslog(bool on);
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace s2s_redis
