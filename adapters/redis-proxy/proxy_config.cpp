// proxy_config.cpp: parsing of the proxy's configuration file.
#include "proxy_config.hpp"

#include <climits>
#include <fstream>
#include <sstream>

namespace s2s_redis {
namespace {

bool parse_size(const std::string &text, size_t &out) {
    if (text.empty() || text.size() > 24) return false;
    size_t i = 0;
    unsigned long long v = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        v = v * 10 + static_cast<unsigned>(text[i] - '0');
        if (v > (1ull << 40)) return false;
        ++i;
    }
    if (i == 0) return false;
    std::string unit = text.substr(i);
    unsigned long long mult = 1;
    if (unit == "" || unit == "b") mult = 1;
    else if (unit == "k" || unit == "kb") mult = 1024;
    else if (unit == "m" || unit == "mb") mult = 1024 * 1024;
    else if (unit == "g" || unit == "gb") mult = 1024ull * 1024 * 1024;
    else return false;
    out = static_cast<size_t>(v * mult);
    return true;
}

bool parse_int(const std::string &text, long lo, long hi, int &out) {
    if (text.empty() || text.size() > 10) return false;
    long v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    if (v < lo || v > hi) return false;
    out = static_cast<int>(v);
    return true;
}

// "host port" or "host:port".
bool parse_address(const std::vector<std::string> &args, std::string &host, int &port) {
    std::string h, p;
    if (args.size() == 2) {
        h = args[0];
        p = args[1];
    } else if (args.size() == 1) {
        size_t colon = args[0].rfind(':');
        if (colon == std::string::npos) return false;
        h = args[0].substr(0, colon);
        p = args[0].substr(colon + 1);
        if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    } else {
        return false;
    }
    if (h.empty()) return false;
    host = h;
    return parse_int(p, 1, 65535, port);
}

}  // namespace

bool load_proxy_config(const std::string &path, ProxyConfig &cfg, std::string &error) {
    std::ifstream in(path);
    if (!in) {
        error = path + ": cannot open the configuration file";
        return false;
    }
    std::string line;
    int lineno = 0;
    while (std::getline(in, line)) {
        ++lineno;
        if (line.size() > 4096) {
            error = path + ":" + std::to_string(lineno) + ": line longer than 4096 bytes";
            return false;
        }
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::istringstream words(line);
        std::string name;
        if (!(words >> name) || name[0] == '#') continue;
        std::vector<std::string> args;
        for (std::string w; words >> w;) args.push_back(w);
        auto bad = [&](const std::string &why) {
            error = path + ":" + std::to_string(lineno) + ": " + name + ": " + why;
            return false;
        };
        auto one = [&]() -> bool { return args.size() == 1; };
        if (name == "listen") {
            if (!parse_address(args, cfg.listen_host, cfg.listen_port))
                return bad("expected \"<address> <port>\" or \"<address>:<port>\"");
        } else if (name == "backend") {
            if (args.size() == 1 && args[0].rfind("unix:", 0) == 0) {
                cfg.backend_unix = args[0].substr(5);
                if (cfg.backend_unix.empty() || cfg.backend_unix.size() >= 108)
                    return bad("expected unix:<path> with a path of 1..107 bytes");
            } else if (!parse_address(args, cfg.backend_host, cfg.backend_port)) {
                return bad("expected \"<address> <port>\", \"<address>:<port>\" or \"unix:<path>\"");
            }
        } else if (name == "threads") {
            if (!one() || !parse_int(args[0], 1, 256, cfg.threads)) return bad("expected 1..256");
        } else if (name == "s2sauth_config") {
            if (!one()) return bad("expected one path");
            cfg.s2sauth_config = args[0];
        } else if (name == "service") {
            if (!one()) return bad("expected one service name");
            cfg.service = args[0];
            cfg.core_directives.push_back({name, args[0], lineno});
        } else if (name == "backend_users_file") {
            if (!one()) return bad("expected one path");
            cfg.backend_users_file = args[0];
        } else if (name == "default_backend_user") {
            if (!one()) return bad("expected one user name");
            cfg.default_backend_user = args[0];
        } else if (name == "command_info_user") {
            if (!one()) return bad("expected one user name");
            cfg.command_info_user = args[0];
        } else if (name == "max_query_bytes" || name == "max_bulk_bytes" || name == "max_output_bytes") {
            size_t v = 0;
            if (!one() || !parse_size(args[0], v) || v < 1024)
                return bad("expected a size of at least 1024 (suffixes k, m, g)");
            if (name == "max_query_bytes") cfg.max_query_bytes = v;
            if (name == "max_bulk_bytes") cfg.max_bulk_bytes = v;
            if (name == "max_output_bytes") cfg.max_output_bytes = v;
        } else if (name == "max_multi_commands" || name == "max_clients") {
            int v = 0;
            if (!one() || !parse_int(args[0], 1, 10000000, v)) return bad("expected 1..10000000");
            if (name == "max_multi_commands") cfg.max_multi_commands = static_cast<size_t>(v);
            else cfg.max_clients = static_cast<size_t>(v);
        } else if (name == "backend_connect_timeout_ms") {
            if (!one() || !parse_int(args[0], 1, 600000, cfg.backend_connect_timeout_ms))
                return bad("expected 1..600000");
        } else if (name == "syslog") {
            if (!one() || (args[0] != "yes" && args[0] != "no")) return bad("expected yes or no");
            cfg.use_syslog = args[0] == "yes";
        } else if (name == "tls_cert_file" || name == "tls_key_file") {
            if (!one()) return bad("expected one path");
            (name == "tls_cert_file" ? cfg.tls_cert_file : cfg.tls_key_file) = args[0];
        } else if (name.rfind("tls_", 0) == 0) {
            return bad("unknown directive (TLS takes tls_cert_file and tls_key_file; client "
                       "certificates follow the core's trust_bundle and require_client_cert)");
        } else {
            // The core's directive, or an unknown one: s2s_config_set decides.
            std::string value;
            for (size_t i = 0; i < args.size(); ++i) value += (i ? " " : "") + args[i];
            cfg.core_directives.push_back({name, value, lineno});
        }
    }
    cfg.config_path = path;
    if (cfg.tls_cert_file.empty() != cfg.tls_key_file.empty()) {
        error = path + ": tls_cert_file and tls_key_file go together";
        return false;
    }
    if (cfg.backend_users_file.empty()) {
        error = path + ": backend_users_file is required (the backend ACL users' passwords)";
        return false;
    }
    if (cfg.command_info_user.empty()) cfg.command_info_user = cfg.default_backend_user;
    if (cfg.max_bulk_bytes > cfg.max_query_bytes) cfg.max_bulk_bytes = cfg.max_query_bytes;
    return true;
}

}  // namespace s2s_redis
