// proxy_config.hpp: the proxy's line-based configuration file.
//
// One directive a line, '#' comments, as redis.conf.  The proxy's own
// directives are listed in docs/redis-proxy.md; every other directive is
// handed to the core's s2s_config_set (keyring, revocation_list, service,
// trust_bundle, ...), so one file configures both, and a directive neither
// knows is an error naming this file and line.  Any unknown
// directive or bad value refuses the start, naming the file and line.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace s2s_redis {

struct ProxyConfig {
    std::string listen_host = "127.0.0.1";
    int listen_port = 6380;
    std::string backend_host = "127.0.0.1";
    int backend_port = 6379;
    std::string backend_unix;  // a Unix socket path instead of host and port
    int threads = 0;  // 0: one per online CPU
    std::string s2sauth_config;  // optional core configuration file
    struct CoreDirective {
        std::string name, value;
        int line;
    };
    std::vector<CoreDirective> core_directives;  // passed to s2s_config_set
    std::string config_path;
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
    // TLS on the listener: both set, or neither.  Client certificates follow
    // the core's mTLS directives (trust_bundle, require_client_cert, ...).
    std::string tls_cert_file, tls_key_file;
};

// Reads the file; on error returns false with "file:line: problem".
bool load_proxy_config(const std::string &path, ProxyConfig &cfg, std::string &error);

}  // namespace s2s_redis
