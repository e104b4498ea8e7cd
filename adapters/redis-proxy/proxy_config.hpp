// proxy_config.hpp: the proxy's line-based configuration file.
//
// One directive a line, '#' comments, as redis.conf.  The proxy's own
// directives are listed in docs/redis-proxy.md; every other directive is a
// core directive (keyring, revocation_list, service, trust_bundle, ...) and is
// handed to s2s_config_set, so one file configures both.  Any unknown
// directive or bad value refuses the start, naming the file and line.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace s2s_redis {

struct ProxyConfig {
    std::string listen_host = "127.0.0.1";
    int listen_port = 6380;
    std::string backend_host = "127.0.0.1";
    int backend_port = 6379;
    int threads = 0;  // 0: one per online CPU
    std::string s2sauth_config;  // optional core configuration file
    std::vector<std::pair<std::string, std::string>> core_directives;  // passed to s2s_config_set
    std::string service;  // also passed to the core; set on every context
    std::string backend_users_file;
    std::string default_backend_user = "default";
    std::string command_info_user;  // user for COMMAND; default: default_backend_user
    size_t max_query_bytes = 64u * 1024 * 1024;
    size_t max_bulk_bytes = 64u * 1024 * 1024;
    size_t max_output_bytes = 64u * 1024 * 1024;
    size_t max_multi_commands = 100000;
    size_t max_clients = 10000;  // per thread
    int backend_connect_timeout_ms = 2000;
    bool use_syslog = false;
};

// Reads the file; on error returns false with "file:line: problem".
bool load_proxy_config(const std::string &path, ProxyConfig &cfg, std::string &error);

}  // namespace s2s_redis
