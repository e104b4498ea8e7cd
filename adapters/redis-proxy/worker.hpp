// worker.hpp: one event loop (one thread, one epoll, one listening socket).
//
// The proxy runs one worker per CPU; each binds its own SO_REUSEPORT socket,
// so the kernel spreads connections across them and workers share nothing but
// the read-only verifier, the backend users and the command table.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "authorizer.hpp"
#include "backend_users.hpp"
#include "client.hpp"
#include "proxy_config.hpp"
#include "request_parser.hpp"
#include "table_source.hpp"

typedef struct ssl_ctx_st SSL_CTX;

namespace s2s_redis {

struct Shared {
    const ProxyConfig *cfg = nullptr;
    s2s_verifier *verifier = nullptr;
    const BackendUsers *users = nullptr;
    TableSource *tables = nullptr;
    sockaddr_storage backend_addr{};
    socklen_t backend_addr_len = 0;
    sockaddr_storage listen_addr{};
    socklen_t listen_addr_len = 0;
    std::atomic<bool> stopping{false};
    SSL_CTX *ssl_ctx = nullptr;  // TLS on the listener when set
};

class Worker {
public:
    explicit Worker(Shared &shared);
    ~Worker();
    Worker(const Worker &) = delete;
    Worker &operator=(const Worker &) = delete;

    bool open(std::string &error);  // epoll, eventfd, listening socket
    void run();
    void wake();  // from the signal thread: look at `stopping`

private:
    void accept_clients();
    void on_client_event(Client *c, uint32_t events);
    void on_backend_event(Client *c, uint32_t events);
    void read_client(Client *c);
    ssize_t client_read(Client *c, char *buf, size_t len);
    ssize_t client_write(Client *c, const char *buf, size_t len);
    void tls_handshake(Client *c);
    void read_backend(Client *c);
    size_t process_input(Client *c, const char *p, size_t n);
    size_t process_replies(Client *c, const char *p, size_t n);
    void handle_command(Client *c, const char *frame, size_t frame_len);
    void handle_unauthenticated(Client *c, std::string_view name);
    void handle_auth(Client *c);
    void handle_hello(Client *c, const char *frame, size_t frame_len);
    void handle_exec(Client *c);
    void handle_reply(Client *c, const char *r, size_t len);
    bool login_backend(Client *c, s2s_grant *grant, bool hello, int proto, std::string_view setname);
    bool connect_backend(Client *c);
    void backend_failed(Client *c, const char *why);

    void forward(Client *c, const char *frame, size_t len, bool is_inline);
    void flush_run(Client *c);
    void send_backend(Client *c, const std::vector<std::string_view> &argv);
    void push_pending(Client *c, Pending p);
    void reply_local(Client *c, std::string text, bool close_after = false);
    void drain_local(Client *c);

    void flush_client(Client *c);
    void flush_backend(Client *c);
    void update_client_events(Client *c);
    void update_backend_events(Client *c);
    void maybe_resume(Client *c);
    void close_client(Client *c, const char *why);
    void refresh_table();

    Shared &shared_;
    int epfd_ = -1, listen_fd_ = -1, wake_fd_ = -1;
    Handle listen_handle_{nullptr, false}, wake_handle_{nullptr, true};
    size_t clients_ = 0;
    std::vector<Client *> graveyard_;
    std::vector<Client *> all_;  // for shutdown
    Authorizer authz_;
    ParsedRequest req_;
    CommandFacts facts_;
    std::shared_ptr<const CommandTable> table_;
    uint64_t table_gen_ = 0;
    int64_t backoff_until_ms_ = 0;
    int64_t backoff_ms_ = 0;
    std::unique_ptr<char[]> scratch_;
    std::string encode_;
};

}  // namespace s2s_redis
