// main.cpp: s2sauth-redis-proxy, a Redis ACL proxy authenticated by macaroons.
//
// Start-up reads the configuration, builds the verifier, loads the backend
// users and the backend's command table, and starts one worker per CPU.  Any
// error refuses the start with a message naming the problem.  The main thread
// then only waits for signals: SIGTERM/SIGINT stop the workers, SIGHUP
// reloads the key ring and revocation list without dropping a connection.
// It runs in the foreground and logs to stderr (or syslog), as systemd wants.
#include <netdb.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "log.hpp"
#include "tls.hpp"
#include "worker.hpp"

using namespace s2s_redis;

namespace {

void usage() {
    std::fprintf(stderr,
                 "usage: s2sauth-redis-proxy -c <config file> [-t]\n"
                 "  -c FILE  the proxy configuration (see docs/redis-proxy.md)\n"
                 "  -t       check the configuration and exit\n");
}

bool resolve(const std::string &host, int port, sockaddr_storage &out, socklen_t &len, std::string &error) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo *res = nullptr;
    std::string service = std::to_string(port);
    int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
    if (rc != 0 || res == nullptr) {
        error = "cannot resolve '" + host + "': " + gai_strerror(rc);
        return false;
    }
    std::memcpy(&out, res->ai_addr, res->ai_addrlen);
    len = res->ai_addrlen;
    freeaddrinfo(res);
    return true;
}

int refuse(const std::string &message) {
    log_msg(LOG_ERR, "refusing to start: %s", message.c_str());
    return 1;
}

std::string core_error(const s2s_error &err) {
    std::string text = err.message;
    if (err.detail[0]) text += std::string(" (") + err.detail + ")";
    if (err.hint[0]) text += std::string("; hint: ") + err.hint;
    return text;
}

}  // namespace

int main(int argc, char **argv) {
    std::string config_path;
    bool test_only = false;
    int opt;
    while ((opt = getopt(argc, argv, "c:th")) != -1) {
        if (opt == 'c') config_path = optarg;
        else if (opt == 't') test_only = true;
        else {
            usage();
            return opt == 'h' ? 0 : 2;
        }
    }
    if (config_path.empty() || optind != argc) {
        usage();
        return 2;
    }

    ProxyConfig cfg;
    std::string error;
    if (!load_proxy_config(config_path, cfg, error)) return refuse(error);
    log_use_syslog(cfg.use_syslog);

    s2s_error err{};
    s2s_config *core_cfg = nullptr;
    if (s2s_config_new(&core_cfg, &err) != S2S_OK) return refuse(core_error(err));
    std::unique_ptr<s2s_config, decltype(&s2s_config_free)> core_guard(core_cfg, s2s_config_free);
    if (!cfg.s2sauth_config.empty() && s2s_config_load(core_cfg, cfg.s2sauth_config.c_str(), &err) != S2S_OK)
        return refuse(core_error(err));
    for (const ProxyConfig::CoreDirective &d : cfg.core_directives) {
        if (s2s_config_set(core_cfg, d.name.c_str(), d.value.c_str(), &err) != S2S_OK)
            return refuse(config_path + ":" + std::to_string(d.line) + ": " + d.name + ": " + core_error(err));
    }
    s2s_verifier *verifier = nullptr;
    if (s2s_verifier_new(core_cfg, &verifier, &err) != S2S_OK) return refuse(core_error(err));
    std::unique_ptr<s2s_verifier, decltype(&s2s_verifier_free)> verifier_guard(verifier, s2s_verifier_free);

    BackendUsers users;
    if (!users.load(cfg.backend_users_file, error)) return refuse(error);
    if (users.password(cfg.default_backend_user) == nullptr)
        return refuse("default_backend_user '" + cfg.default_backend_user + "' is not in " +
                      cfg.backend_users_file);

    Shared shared;
    shared.cfg = &cfg;
    shared.verifier = verifier;
    shared.users = &users;
    if (!cfg.backend_unix.empty()) {
        // A co-located backend over a Unix socket skips the loopback TCP stack.
        sockaddr_un un{};
        un.sun_family = AF_UNIX;
        std::memcpy(un.sun_path, cfg.backend_unix.data(), cfg.backend_unix.size());
        std::memcpy(&shared.backend_addr, &un, sizeof un);
        shared.backend_addr_len = sizeof un;
    } else if (!resolve(cfg.backend_host, cfg.backend_port, shared.backend_addr, shared.backend_addr_len,
                        error)) {
        return refuse(error);
    }
    if (!resolve(cfg.listen_host, cfg.listen_port, shared.listen_addr, shared.listen_addr_len, error))
        return refuse(error);
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ssl_ctx(nullptr, SSL_CTX_free);
    if (!cfg.tls_cert_file.empty()) {
        ssl_ctx.reset(tls_server_ctx(cfg, verifier, error));
        if (!ssl_ctx) return refuse(error);
        shared.ssl_ctx = ssl_ctx.get();
    }
    if (test_only) {
        std::fprintf(stderr, "s2sauth-redis-proxy: configuration %s is valid\n", config_path.c_str());
        return 0;
    }

    // Each client holds two descriptors (client and backend): raise the soft
    // limit as far as the hard one allows.
    struct rlimit files;
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }

    TableSource tables(cfg, users);
    shared.tables = &tables;
    if (!tables.fetch_now(error))
        log_msg(LOG_WARNING, "command table: %s; retrying in the background (until then, "
                             "every key or channel caveat denies)", error.c_str());

    // Signals go to the main thread only: block them before starting threads.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);
    tables.start();

    int threads = cfg.threads > 0 ? cfg.threads : static_cast<int>(std::thread::hardware_concurrency());
    if (threads <= 0) threads = 1;
    std::vector<std::unique_ptr<Worker>> workers;
    for (int i = 0; i < threads; ++i) {
        auto w = std::make_unique<Worker>(shared);
        if (!w->open(error)) return refuse(error);
        workers.push_back(std::move(w));
    }
    std::vector<std::thread> running;
    for (auto &w : workers) running.emplace_back([&w] { w->run(); });
    std::string backend = cfg.backend_unix.empty()
                              ? cfg.backend_host + ":" + std::to_string(cfg.backend_port)
                              : "unix:" + cfg.backend_unix;
    log_msg(LOG_NOTICE, "listening on %s:%d%s, backend %s, %d threads", cfg.listen_host.c_str(),
            cfg.listen_port, cfg.tls_cert_file.empty() ? "" : " (TLS)", backend.c_str(), threads);

    for (;;) {
        int sig = 0;
        if (sigwait(&signals, &sig) != 0) continue;
        if (sig == SIGHUP) {
            s2s_error reload_err{};
            if (s2s_verifier_reload(verifier, &reload_err) == S2S_OK)
                log_msg(LOG_NOTICE, "reloaded the key ring and revocation list");
            else
                log_msg(LOG_ERR, "reload failed, keeping the previous keys: %s", core_error(reload_err).c_str());
            continue;
        }
        log_msg(LOG_NOTICE, "received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        break;
    }
    shared.stopping.store(true);
    for (auto &w : workers) w->wake();
    for (auto &t : running) t.join();
    workers.clear();
    tables.stop();
    return 0;
}
