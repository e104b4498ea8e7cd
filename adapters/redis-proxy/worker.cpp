// worker.cpp: the event loop, the client state machine and reply ordering.
//
// Data path: bytes from a client are framed into commands; each command is
// checked against the client's grant and, if allowed, its exact bytes are
// forwarded (consecutive allowed commands are copied to the backend in one
// run).  A refused command gets a local reply, queued behind the backend
// replies still owed to earlier commands, so replies stay in order.  Backend
// bytes are cut into whole replies by the scanner and passed through.
#include "worker.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "log.hpp"
#include "tls.hpp"

namespace s2s_redis {
namespace {

constexpr size_t kScratch = 64 * 1024;
constexpr size_t kSoftLimit = 1024 * 1024;  // stop reading the other side past this
constexpr size_t kMaxPending = 65536;
constexpr int kMaxEvents = 256;
constexpr uint32_t kIn = EPOLLIN, kOut = EPOLLOUT, kNone = 0;

const char kNoAuth[] = "-NOAUTH Authentication required.\r\n";
const char kWrongPass[] = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
const char kBackendLost[] = "-ERR s2sauth-redis-proxy: backend connection lost\r\n";
const char kBackendDown[] = "-ERR s2sauth-redis-proxy: backend unavailable, try again later\r\n";
const char kExecAbort[] = "-EXECABORT Transaction discarded because of previous errors.\r\n";

int64_t now_ms() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

bool iequal(std::string_view a, const char *b) {
    size_t n = std::strlen(b);
    return a.size() == n && strncasecmp(a.data(), b, n) == 0;
}

// Lowercase command name into a fixed buffer (longer names match nothing).
std::string_view lower_name(std::string_view in, char (&buf)[32]) {
    if (in.size() >= sizeof buf) return std::string_view();
    for (size_t i = 0; i < in.size(); ++i) {
        char ch = in[i];
        buf[i] = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
    }
    return std::string_view(buf, in.size());
}

std::string error_line(const char *text) { return std::string("-ERR ") + text + "\r\n"; }

std::string wrong_args(std::string_view name) {
    return "-ERR wrong number of arguments for '" + printable(name) + "' command\r\n";
}

void set_nodelay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// Which reply kind confirms a subscription command.
int sub_kind_of(std::string_view name, bool &subscribe) {
    subscribe = true;
    if (name == "subscribe") return 0;
    if (name == "psubscribe") return 1;
    if (name == "ssubscribe") return 2;
    subscribe = false;
    if (name == "unsubscribe") return 0;
    if (name == "punsubscribe") return 1;
    if (name == "sunsubscribe") return 2;
    return -1;
}

bool is_confirmation(std::string_view kind) {
    return kind == "subscribe" || kind == "psubscribe" || kind == "ssubscribe" ||
           kind == "unsubscribe" || kind == "punsubscribe" || kind == "sunsubscribe";
}

bool is_message(std::string_view kind) {
    return kind == "message" || kind == "pmessage" || kind == "smessage";
}

}  // namespace

Worker::Worker(Shared &shared) : shared_(shared), scratch_(new char[kScratch]) {
    authz_.verifier = shared.verifier;
    authz_.service = shared.cfg->service;
}

Worker::~Worker() {
    for (Client *c : all_) {
        if (c->fd >= 0) ::close(c->fd);
        if (c->backend_fd >= 0) ::close(c->backend_fd);
        s2s_grant_free(c->grant);
        s2s_peer_free(c->peer);
        SSL_free(c->ssl);
        delete c;
    }
    for (Client *c : graveyard_) delete c;
    if (listen_fd_ >= 0) ::close(listen_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
    if (epfd_ >= 0) ::close(epfd_);
    s2s_context_free(authz_.ctx);
    s2s_decision_free(authz_.decision);
}

bool Worker::open(std::string &error) {
    s2s_error err;
    if (s2s_context_new(&authz_.ctx, &err) != S2S_OK || s2s_decision_new(&authz_.decision, &err) != S2S_OK) {
        error = std::string("cannot allocate a verification context: ") + err.message;
        return false;
    }
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epfd_ < 0 || wake_fd_ < 0) {
        error = std::string("epoll/eventfd: ") + std::strerror(errno);
        return false;
    }
    const sockaddr *addr = reinterpret_cast<const sockaddr *>(&shared_.listen_addr);
    listen_fd_ = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (listen_fd_ < 0 || setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        bind(listen_fd_, addr, shared_.listen_addr_len) != 0 || listen(listen_fd_, 511) != 0) {
        error = "cannot listen on " + shared_.cfg->listen_host + ":" +
                std::to_string(shared_.cfg->listen_port) + ": " + std::strerror(errno);
        return false;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &listen_handle_;
    epoll_ctl(epfd_, EPOLL_CTL_ADD, listen_fd_, &ev);
    ev.data.ptr = &wake_handle_;
    epoll_ctl(epfd_, EPOLL_CTL_ADD, wake_fd_, &ev);
    return true;
}

void Worker::wake() {
    uint64_t one = 1;
    ssize_t w = ::write(wake_fd_, &one, sizeof one);
    (void)w;
}

void Worker::refresh_table() {
    uint64_t gen = shared_.tables->generation();
    if (gen != table_gen_) {
        table_ = shared_.tables->current();
        table_gen_ = gen;
    }
}

void Worker::run() {
    epoll_event events[kMaxEvents];
    while (!shared_.stopping.load(std::memory_order_relaxed)) {
        int n = epoll_wait(epfd_, events, kMaxEvents, 1000);
        if (n < 0) {
            if (errno == EINTR) continue;
            log_msg(LOG_ERR, "epoll_wait: %s", std::strerror(errno));
            break;
        }
        refresh_table();
        for (int i = 0; i < n; ++i) {
            Handle *h = static_cast<Handle *>(events[i].data.ptr);
            if (h == &listen_handle_) {
                accept_clients();
            } else if (h == &wake_handle_) {
                uint64_t v;
                ssize_t r = ::read(wake_fd_, &v, sizeof v);
                (void)r;
            } else if (!h->client->dead) {
                if (h->backend) on_backend_event(h->client, events[i].events);
                else on_client_event(h->client, events[i].events);
            }
        }
        for (Client *c : graveyard_) delete c;
        graveyard_.clear();
    }
}

// ---- connections ------------------------------------------------------------

void Worker::accept_clients() {
    for (;;) {
        sockaddr_storage peer;
        socklen_t len = sizeof peer;
        int fd = accept4(listen_fd_, reinterpret_cast<sockaddr *>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            return;  // EAGAIN, or EMFILE: try again on the next event
        }
        if (clients_ >= shared_.cfg->max_clients) {
            static const char full[] = "-ERR max number of clients reached\r\n";
            ssize_t w = ::write(fd, full, sizeof full - 1);
            (void)w;
            ::close(fd);
            continue;
        }
        set_nodelay(fd);
        auto *c = new Client;
        c->worker = this;
        c->fd = fd;
        if (peer.ss_family == AF_INET)
            inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in *>(&peer)->sin_addr, c->ip, sizeof c->ip);
        else if (peer.ss_family == AF_INET6)
            inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6 *>(&peer)->sin6_addr, c->ip, sizeof c->ip);
        if (shared_.ssl_ctx != nullptr) {
            c->ssl = SSL_new(shared_.ssl_ctx);
            if (c->ssl == nullptr || SSL_set_fd(c->ssl, fd) != 1) {
                ERR_clear_error();
                SSL_free(c->ssl);
                ::close(fd);
                delete c;
                continue;
            }
            SSL_set_accept_state(c->ssl);
            c->tls_handshaking = true;
        }
        c->slot = all_.size();
        all_.push_back(c);
        ++clients_;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = &c->client_handle;
        c->client_events = EPOLLIN;
        epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
    }
}

void Worker::close_client(Client *c, const char *why) {
    if (c->dead) return;
    if (why != nullptr) log_msg(LOG_INFO, "closing client %s: %s", c->ip, why);
    c->dead = true;
    if (c->ssl != nullptr) {
        if (!c->tls_handshaking) SSL_shutdown(c->ssl);  // best effort close_notify
        SSL_free(c->ssl);
        c->ssl = nullptr;
        ERR_clear_error();
    }
    s2s_peer_free(c->peer);
    c->peer = nullptr;
    epoll_ctl(epfd_, EPOLL_CTL_DEL, c->fd, nullptr);
    ::close(c->fd);
    c->fd = -1;
    if (c->backend_fd >= 0) {
        epoll_ctl(epfd_, EPOLL_CTL_DEL, c->backend_fd, nullptr);
        ::close(c->backend_fd);
        c->backend_fd = -1;
    }
    s2s_grant_free(c->grant);
    c->grant = nullptr;
    Client *last = all_.back();
    all_[c->slot] = last;
    last->slot = c->slot;
    all_.pop_back();
    --clients_;
    graveyard_.push_back(c);
}

bool Worker::connect_backend(Client *c) {
    if (now_ms() < backoff_until_ms_) return false;
    const sockaddr *addr = reinterpret_cast<const sockaddr *>(&shared_.backend_addr);
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    if (addr->sa_family != AF_UNIX) set_nodelay(fd);
    int rc = ::connect(fd, addr, shared_.backend_addr_len);
    if (rc != 0 && errno != EINPROGRESS) {
        log_msg(LOG_WARNING, "backend connect: %s", std::strerror(errno));
        ::close(fd);
        backoff_ms_ = backoff_ms_ == 0 ? 100 : std::min<int64_t>(backoff_ms_ * 2, 5000);
        backoff_until_ms_ = now_ms() + backoff_ms_;
        shared_.tables->request_refresh();
        return false;
    }
    c->backend_fd = fd;
    c->backend_connecting = rc != 0;
    c->backend_events = kIn | (c->backend_connecting ? kOut : kNone);
    epoll_event ev{};
    ev.events = c->backend_events;
    ev.data.ptr = &c->backend_handle;
    epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
    c->scanner.reset();
    return true;
}

// The backend went away: every reply still owed becomes an error, then the
// client is closed, since its session (MULTI, SELECT, subscriptions) is gone.
void Worker::backend_failed(Client *c, const char *why) {
    log_msg(LOG_WARNING, "backend connection of client %s: %s", c->ip, why);
    flush_run(c);
    const char *lost = c->backend_connecting ? kBackendDown : kBackendLost;
    size_t lost_len = std::strlen(lost);
    while (!c->pending_empty()) {
        Pending &p = c->pending_front();
        if (p.kind == Pending::Kind::kLocal) {
            c->out.append(p.text.data(), p.text.size());
        } else if (p.kind != Pending::Kind::kSwallow) {
            for (uint32_t i = 0; i < std::max<uint32_t>(p.remaining, 1); ++i)
                c->out.append(lost, lost_len);
        }
        c->pending_pop();
    }
    if (c->backend_fd >= 0) {
        epoll_ctl(epfd_, EPOLL_CTL_DEL, c->backend_fd, nullptr);
        ::close(c->backend_fd);
        c->backend_fd = -1;
    }
    if (c->backend_connecting) {
        backoff_ms_ = backoff_ms_ == 0 ? 100 : std::min<int64_t>(backoff_ms_ * 2, 5000);
        backoff_until_ms_ = now_ms() + backoff_ms_;
    }
    c->backend_connecting = false;
    c->backend_in.release();
    c->backend_out.release();
    shared_.tables->request_refresh();
    c->closing = true;
    flush_client(c);
}

// ---- epoll interest ---------------------------------------------------------

void Worker::update_client_events(Client *c) {
    if (c->dead) return;
    uint32_t want = (c->input_paused || c->closing ? kNone : kIn) |
                    (c->out.empty() && !c->tls_want_write ? kNone : kOut);
    if (c->tls_handshaking) want = c->tls_want_write ? kOut : kIn;
    if (want == c->client_events) return;
    epoll_event ev{};
    ev.events = want;
    ev.data.ptr = &c->client_handle;
    epoll_ctl(epfd_, EPOLL_CTL_MOD, c->fd, &ev);
    c->client_events = want;
}

void Worker::update_backend_events(Client *c) {
    if (c->dead || c->backend_fd < 0) return;
    uint32_t want = (c->backend_paused ? kNone : kIn) |
                    (c->backend_connecting || !c->backend_out.empty() ? kOut : kNone);
    if (want == c->backend_events) return;
    epoll_event ev{};
    ev.events = want;
    ev.data.ptr = &c->backend_handle;
    epoll_ctl(epfd_, EPOLL_CTL_MOD, c->backend_fd, &ev);
    c->backend_events = want;
}

void Worker::flush_client(Client *c) {
    if (c->tls_handshaking) return;
    while (!c->out.empty()) {
        ssize_t w = client_write(c, c->out.data(), c->out.size());
        if (w > 0) {
            c->out.consume(static_cast<size_t>(w));
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) break;
        close_client(c, nullptr);  // the client went away
        return;
    }
    if (c->out.empty() && c->closing) {
        close_client(c, nullptr);
        return;
    }
    if (c->out.size() > shared_.cfg->max_output_bytes) {
        close_client(c, "pending output over max_output_bytes (slow reader)");
        return;
    }
    bool pause_backend = c->out.size() > kSoftLimit;
    if (pause_backend != c->backend_paused) {
        c->backend_paused = pause_backend;
        update_backend_events(c);
    }
    update_client_events(c);
}

void Worker::flush_backend(Client *c) {
    flush_run(c);
    if (c->backend_fd < 0 || c->backend_connecting) {
        update_backend_events(c);
        return;
    }
    while (!c->backend_out.empty()) {
        ssize_t w = ::write(c->backend_fd, c->backend_out.data(), c->backend_out.size());
        if (w > 0) {
            c->backend_out.consume(static_cast<size_t>(w));
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) break;
        backend_failed(c, std::strerror(errno));
        return;
    }
    update_backend_events(c);
}

void Worker::maybe_resume(Client *c) {
    if (c->dead || !c->input_paused || c->closing) return;
    if (c->login_pending || c->out.size() > kSoftLimit || c->backend_out.size() > kSoftLimit ||
        c->pending_count() > kMaxPending)
        return;
    c->input_paused = false;
    if (!c->in.empty()) {
        size_t used = process_input(c, c->in.data(), c->in.size());
        if (c->dead) return;
        flush_run(c);  // the run points into `in`: copy it before `in` moves
        c->in.consume(used);
    }
    // Bytes OpenSSL already decrypted raise no epoll event: read them now.
    if (c->ssl != nullptr && SSL_pending(c->ssl) > 0 && !c->input_paused) {
        read_client(c);
        if (c->dead) return;
    }
    if (c->dead) return;
    flush_backend(c);
    if (c->dead) return;
    flush_client(c);
}

// ---- client side ------------------------------------------------------------

void Worker::on_client_event(Client *c, uint32_t events) {
    if (events & (EPOLLERR | EPOLLHUP)) {
        if (!(events & EPOLLIN)) {
            close_client(c, nullptr);
            return;
        }
    }
    if (c->tls_handshaking) {
        tls_handshake(c);
        if (c->dead || c->tls_handshaking) return;
        events |= EPOLLIN;  // application data may have come with the handshake
    }
    if (c->tls_want_write && (events & EPOLLOUT)) {
        c->tls_want_write = false;
        events |= EPOLLIN;  // a read was waiting for the socket to drain
    }
    if (events & EPOLLOUT) flush_client(c);
    if (c->dead) return;
    if ((events & EPOLLIN) && !c->input_paused && !c->closing) read_client(c);
    if (!c->dead) maybe_resume(c);
}

void Worker::read_client(Client *c) {
    char *buf = scratch_.get();
    ssize_t n = client_read(c, buf, kScratch);
    if (n == 0) {
        close_client(c, nullptr);
        return;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR) close_client(c, nullptr);
        return;
    }
    size_t got = static_cast<size_t>(n);
    if (c->in.empty()) {
        size_t used = process_input(c, buf, got);
        if (c->dead) return;
        flush_run(c);  // the run points into scratch
        c->in.append(buf + used, got - used);
    } else {
        c->in.append(buf, got);
        size_t used = process_input(c, c->in.data(), c->in.size());
        if (c->dead) return;
        flush_run(c);
        c->in.consume(used);
    }
    if (c->in.size() > shared_.cfg->max_query_bytes) {
        close_client(c, "query buffer over max_query_bytes");
        return;
    }
    flush_backend(c);
    if (!c->dead) flush_client(c);
}

size_t Worker::process_input(Client *c, const char *p, size_t n) {
    size_t pos = 0;
    RequestLimits limits;
    limits.max_bulk_bytes = shared_.cfg->max_bulk_bytes;
    while (pos < n && !c->dead && !c->closing) {
        // Commands after AUTH wait for the backend to confirm the login, so none
        // runs as the previous backend user if the new login fails.
        if (c->login_pending || c->out.size() > kSoftLimit ||
            c->backend_out.size() + c->run_len > kSoftLimit || c->pending_count() > kMaxPending) {
            c->input_paused = true;
            update_client_events(c);
            break;
        }
        limits.authenticated = c->authenticated;
        ParseStatus st = parse_request(p + pos, n - pos, limits, req_);
        if (st == ParseStatus::kIncomplete) break;
        if (st == ParseStatus::kError) {
            log_msg(LOG_INFO, "client %s: %s", c->ip, req_.error);
            reply_local(c, error_line(req_.error), true);
            pos = n;  // nothing after a protocol error is read
            break;
        }
        if (st == ParseStatus::kCommand) handle_command(c, p + pos, req_.frame_len);
        pos += req_.frame_len;
    }
    return pos;
}

// ---- client I/O, plain or TLS ------------------------------------------------

void Worker::tls_handshake(Client *c) {
    ERR_clear_error();
    int rc = SSL_do_handshake(c->ssl);
    if (rc == 1) {
        c->tls_handshaking = false;
        c->tls_want_write = false;
        std::string error;
        c->peer = tls_peer(shared_.verifier, c->ssl, error);
        if (c->peer == nullptr && !error.empty()) {
            close_client(c, error.c_str());
            return;
        }
        update_client_events(c);
        return;
    }
    int e = SSL_get_error(c->ssl, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        c->tls_want_write = e == SSL_ERROR_WANT_WRITE;
        update_client_events(c);
        return;
    }
    unsigned long code = ERR_peek_error();
    char why[200];
    std::snprintf(why, sizeof why, "TLS handshake failed: %s",
                  code ? ERR_reason_error_string(code) : "connection closed");
    ERR_clear_error();
    close_client(c, why);
}

// Like read(2): >0 bytes, 0 at end of stream, -1 with errno (EAGAIN: try later).
ssize_t Worker::client_read(Client *c, char *buf, size_t len) {
    if (c->ssl == nullptr) return ::read(c->fd, buf, len);
    size_t got = 0;
    while (got < len) {
        ERR_clear_error();
        int n = SSL_read(c->ssl, buf + got, static_cast<int>(std::min<size_t>(len - got, 1 << 30)));
        if (n > 0) {
            got += static_cast<size_t>(n);
            continue;
        }
        int e = SSL_get_error(c->ssl, n);
        if (e == SSL_ERROR_WANT_READ) break;
        if (e == SSL_ERROR_WANT_WRITE) {
            c->tls_want_write = true;
            update_client_events(c);
            break;
        }
        if (got > 0) break;  // report the data now, the end on the next call
        ERR_clear_error();
        if (e == SSL_ERROR_ZERO_RETURN) return 0;
        errno = EPIPE;
        return -1;
    }
    if (got == 0) {
        errno = EAGAIN;
        return -1;
    }
    return static_cast<ssize_t>(got);
}

ssize_t Worker::client_write(Client *c, const char *buf, size_t len) {
    if (c->ssl == nullptr) return ::write(c->fd, buf, len);
    ERR_clear_error();
    int n = SSL_write(c->ssl, buf, static_cast<int>(std::min<size_t>(len, 1 << 30)));
    if (n > 0) return n;
    int e = SSL_get_error(c->ssl, n);
    if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
        errno = EAGAIN;
        return -1;
    }
    ERR_clear_error();
    errno = EPIPE;
    return -1;
}

void Worker::flush_run(Client *c) {
    if (c->run_len == 0) return;
    c->backend_out.append(c->run_ptr, c->run_len);
    c->run_ptr = nullptr;
    c->run_len = 0;
}

void Worker::forward(Client *c, const char *frame, size_t len, bool is_inline) {
    if (is_inline) {
        // Redis and the proxy might split an inline line differently: send the
        // arguments the proxy checked, as multibulk.
        flush_run(c);
        send_backend(c, req_.argv);
        return;
    }
    if (c->run_len > 0 && c->run_ptr + c->run_len == frame) {
        c->run_len += len;
        return;
    }
    flush_run(c);
    c->run_ptr = frame;
    c->run_len = len;
}

void Worker::send_backend(Client *c, const std::vector<std::string_view> &argv) {
    flush_run(c);
    encode_.clear();
    encode_multibulk(argv, encode_);
    c->backend_out.append(encode_.data(), encode_.size());
}

void Worker::push_pending(Client *c, Pending p) {
    if (p.kind == Pending::Kind::kForward && !c->pending_empty()) {
        Pending &last = c->pending.back();
        if (last.kind == Pending::Kind::kForward) {
            ++last.remaining;
            return;
        }
    }
    c->pending.push_back(std::move(p));
}

void Worker::reply_local(Client *c, std::string text, bool close_after) {
    if (c->pending_empty()) {
        c->out.append(text.data(), text.size());
        if (close_after) c->closing = true;
        return;
    }
    Pending &last = c->pending.back();
    if (last.kind == Pending::Kind::kLocal && !last.close_after) {
        last.text += text;
        last.close_after = close_after;
        return;
    }
    Pending p;
    p.kind = Pending::Kind::kLocal;
    p.text = std::move(text);
    p.close_after = close_after;
    c->pending.push_back(std::move(p));
}

// Local replies that reached the head of the queue go out now.
void Worker::drain_local(Client *c) {
    while (!c->pending_empty() && c->pending_front().kind == Pending::Kind::kLocal) {
        Pending &p = c->pending_front();
        c->out.append(p.text.data(), p.text.size());
        if (p.close_after) c->closing = true;
        c->pending_pop();
    }
}

void Worker::handle_unauthenticated(Client *c, std::string_view name) {
    const auto &argv = req_.argv;
    if (name == "ping") {
        if (argv.size() == 1) reply_local(c, "+PONG\r\n");
        else if (argv.size() == 2)
            reply_local(c, "$" + std::to_string(argv[1].size()) + "\r\n" + std::string(argv[1]) + "\r\n");
        else reply_local(c, wrong_args("ping"));
    } else if (name == "quit") {
        reply_local(c, "+OK\r\n", true);
    } else {
        reply_local(c, kNoAuth);
    }
}

void Worker::handle_command(Client *c, const char *frame, size_t frame_len) {
    char lower[32];
    std::string_view name = lower_name(req_.argv[0], lower);
    if (name == "auth") return handle_auth(c);
    if (name == "hello") return handle_hello(c, frame, frame_len);
    if (!c->authenticated) return handle_unauthenticated(c, name);
    if (name == "quit") return reply_local(c, "+OK\r\n", true);

    // Commands that would break the one-reply-per-command bookkeeping.
    if (name == "monitor" || name == "sync" || name == "psync" || name == "replconf" ||
        (name == "client" && req_.argv.size() >= 2 && iequal(req_.argv[1], "reply"))) {
        if (c->in_multi) c->multi_dirty = true;
        return reply_local(c, "-ERR '" + printable(req_.argv[0]) +
                                  "' is not supported through s2sauth-redis-proxy\r\n");
    }

    analyze_command(table_.get(), req_.argv, facts_);
    Denial denial = authz_.check(c->grant, c->ip, c->peer, facts_);
    if (denial != Denial::kNone) {
        if (c->in_multi && name != "exec" && name != "discard") c->multi_dirty = true;
        if (name == "exec" && c->in_multi) {
            // EXEC refused: discard the transaction at the backend.
            c->in_multi = false;
            c->multi_frames.clear();
            c->multi_count = 0;
            c->multi_dirty = false;
            send_backend(c, {"DISCARD"});
            Pending p;
            p.kind = Pending::Kind::kReplace;
            p.text = "-EXECABORT Transaction discarded because EXEC is not permitted: " +
                     denial_reply(denial, facts_, authz_.decision).substr(1);
            push_pending(c, std::move(p));
            return;
        }
        return reply_local(c, denial_reply(denial, facts_, authz_.decision));
    }

    if (name == "exec" && c->in_multi) return handle_exec(c);
    if (name == "multi") {
        c->in_multi = true;
    } else if (name == "discard") {
        c->in_multi = false;
        c->multi_dirty = false;
        c->multi_frames.clear();
        c->multi_count = 0;
    } else if (c->in_multi && name != "watch" && name != "reset") {
        if (c->multi_count >= shared_.cfg->max_multi_commands) {
            c->multi_dirty = true;
            return reply_local(c, error_line("s2sauth-redis-proxy: too many commands in MULTI"));
        }
        if (req_.is_inline) encode_multibulk(req_.argv, c->multi_frames);
        else c->multi_frames.append(frame, frame_len);
        ++c->multi_count;
    }

    Pending p;
    if (name == "reset") {
        c->in_multi = c->multi_dirty = false;
        c->multi_frames.clear();
        c->multi_count = 0;
        forward(c, frame, frame_len, req_.is_inline);
        p.kind = Pending::Kind::kReset;
        push_pending(c, std::move(p));
        // RESET logs the backend connection in as `default`: log in again.
        const std::string *password = shared_.users->password(c->backend_user);
        send_backend(c, {"AUTH", c->backend_user, password ? *password : std::string_view()});
        Pending relogin;
        relogin.kind = Pending::Kind::kSwallow;
        push_pending(c, std::move(relogin));
        c->login_pending = true;
        return;
    }
    bool subscribe = false;
    int kind = c->in_multi ? -1 : sub_kind_of(name, subscribe);
    if (kind >= 0) {
        p.kind = Pending::Kind::kSubscribe;
        p.sub_kind = static_cast<uint8_t>(kind);
        size_t args = req_.argv.size() - 1;
        if (args == 0 && subscribe) {
            p.kind = Pending::Kind::kForward;  // an arity error
        } else if (args == 0) {
            p.count_known = false;
            p.remaining = 0;
        } else {
            p.remaining = static_cast<uint32_t>(args);
        }
    }
    forward(c, frame, frame_len, req_.is_inline);
    push_pending(c, std::move(p));
}

void Worker::handle_exec(Client *c) {
    // Every queued command is checked again: the clock moved, and a revocation
    // may have arrived since it was queued.
    Denial denial = Denial::kNone;
    std::string reply;
    RequestLimits limits;
    limits.authenticated = true;
    limits.max_bulk_bytes = shared_.cfg->max_bulk_bytes;
    ParsedRequest queued;
    CommandFacts facts;
    const char *p = c->multi_frames.data();
    size_t n = c->multi_frames.size(), pos = 0;
    while (!c->multi_dirty && pos < n) {
        if (parse_request(p + pos, n - pos, limits, queued) != ParseStatus::kCommand) {
            denial = Denial::kCredential;
            reply = kExecAbort;
            break;
        }
        analyze_command(table_.get(), queued.argv, facts);
        denial = authz_.check(c->grant, c->ip, c->peer, facts);
        if (denial != Denial::kNone) {
            std::string why = denial_reply(denial, facts, authz_.decision);
            // "-NOPERM ...\r\n" -> "-EXECABORT Transaction discarded: NOPERM ...\r\n"
            reply = "-EXECABORT Transaction discarded because a queued command is no longer permitted: " +
                    why.substr(1);
            break;
        }
        pos += queued.frame_len;
    }
    bool abort = c->multi_dirty || denial != Denial::kNone;
    c->in_multi = c->multi_dirty = false;
    c->multi_frames.clear();
    c->multi_frames.shrink_to_fit();
    c->multi_count = 0;
    Pending pend;
    if (abort) {
        send_backend(c, {"DISCARD"});
        pend.kind = Pending::Kind::kReplace;
        pend.text = reply.empty() ? std::string(kExecAbort) : reply;
    } else {
        send_backend(c, req_.argv);  // after any run of earlier commands
    }
    push_pending(c, std::move(pend));
}

void Worker::handle_auth(Client *c) {
    const auto &argv = req_.argv;
    if (argv.size() < 2 || argv.size() > 3) return reply_local(c, wrong_args("auth"));
    if (c->in_multi) {
        c->multi_dirty = true;
        return reply_local(c, error_line("AUTH inside MULTI is not supported by s2sauth-redis-proxy"));
    }
    // The user name a client sends is ignored: the token alone decides which
    // backend user serves it (redis.user), so a client cannot pick one.
    std::string_view token = argv.back();
    s2s_grant *grant = authz_.authenticate(c->ip, c->peer, token);
    if (grant == nullptr) return reply_local(c, kWrongPass);
    login_backend(c, grant, false, 0, {});
}

bool Worker::login_backend(Client *c, s2s_grant *grant, bool hello, int proto, std::string_view setname) {
    const char *declared = s2s_grant_declared(grant, "redis.user");
    std::string user = declared ? declared : shared_.cfg->default_backend_user;
    const std::string *password = shared_.users->password(user);
    if (password == nullptr) {
        log_msg(LOG_ERR, "client %s: backend user '%s' is not in the backend users file", c->ip,
                printable(user).c_str());
        s2s_grant_free(grant);
        reply_local(c, error_line("s2sauth-redis-proxy: the backend user of this token is not configured"));
        return false;
    }
    if (c->backend_fd < 0 && !connect_backend(c)) {
        s2s_grant_free(grant);
        reply_local(c, kBackendDown);
        return false;
    }
    s2s_grant_free(c->grant);
    c->grant = grant;
    c->authenticated = true;
    c->backend_user = user;
    std::vector<std::string_view> argv;
    if (hello) {
        std::string proto_text = std::to_string(proto);
        argv = {"HELLO", proto_text, "AUTH", user, *password};
        if (!setname.empty() || setname.data() != nullptr) {
            argv.push_back("SETNAME");
            argv.push_back(setname);
        }
        send_backend(c, argv);
    } else {
        send_backend(c, {"AUTH", user, *password});
    }
    Pending p;
    p.kind = Pending::Kind::kLogin;
    p.proto = static_cast<uint8_t>(hello ? proto : 0);
    push_pending(c, std::move(p));
    c->login_pending = true;
    return true;
}

void Worker::handle_hello(Client *c, const char *frame, size_t frame_len) {
    const auto &argv = req_.argv;
    if (c->in_multi) {
        c->multi_dirty = true;
        return reply_local(c, error_line("HELLO inside MULTI is not supported by s2sauth-redis-proxy"));
    }
    long long proto = 0;
    if (argv.size() >= 2) {
        if (!parse_ll(argv[1], proto) || proto < 0 || proto > 0xffff)
            return reply_local(c, error_line("Protocol version is not an integer or out of range"));
        if (proto != 2 && proto != 3)
            return reply_local(c, "-NOPROTO sorry, this protocol version is not supported.\r\n");
    }
    std::string_view token, setname;
    bool has_auth = false, has_setname = false;
    for (size_t i = 2; i < argv.size(); ++i) {
        if (iequal(argv[i], "auth") && i + 2 < argv.size()) {
            has_auth = true;
            token = argv[i + 2];
            i += 2;
        } else if (iequal(argv[i], "setname") && i + 1 < argv.size()) {
            has_setname = true;
            setname = argv[i + 1];
            i += 1;
        } else {
            return reply_local(c, "-ERR Syntax error in HELLO option '" + printable(argv[i]) + "'\r\n");
        }
    }
    if (has_auth) {
        s2s_grant *grant = authz_.authenticate(c->ip, c->peer, token);
        if (grant == nullptr) return reply_local(c, kWrongPass);
        if (proto == 0) proto = c->resp;
        std::string name(setname);
        login_backend(c, grant, true, static_cast<int>(proto),
                      has_setname ? std::string_view(name) : std::string_view());
        return;
    }
    if (!c->authenticated)
        return reply_local(c,
                           "-NOAUTH HELLO must be called with the client already authenticated, otherwise "
                           "the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the "
                           "client and select the RESP protocol version at the same time\r\n");
    analyze_command(table_.get(), argv, facts_);
    Denial denial = authz_.check(c->grant, c->ip, c->peer, facts_);
    if (denial != Denial::kNone) return reply_local(c, denial_reply(denial, facts_, authz_.decision));
    forward(c, frame, frame_len, req_.is_inline);
    Pending p;
    p.kind = Pending::Kind::kHello;
    p.proto = static_cast<uint8_t>(proto);
    push_pending(c, std::move(p));
}

// ---- backend side -----------------------------------------------------------

void Worker::on_backend_event(Client *c, uint32_t events) {
    if (c->backend_connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int soerr = 0;
        socklen_t len = sizeof soerr;
        getsockopt(c->backend_fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
        if (soerr != 0) {
            backend_failed(c, std::strerror(soerr));
            return;
        }
        c->backend_connecting = false;
        backoff_ms_ = 0;
    }
    if (events & EPOLLIN) {
        read_backend(c);
        if (c->dead || c->backend_fd < 0) return;
    } else if (events & (EPOLLERR | EPOLLHUP)) {
        backend_failed(c, "connection closed");
        return;
    }
    if (events & EPOLLOUT) flush_backend(c);
    if (!c->dead) maybe_resume(c);
}

void Worker::read_backend(Client *c) {
    char *buf = scratch_.get();
    ssize_t n = ::read(c->backend_fd, buf, kScratch);
    if (n == 0) {
        backend_failed(c, "closed by the backend");
        return;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR) backend_failed(c, std::strerror(errno));
        return;
    }
    size_t got = static_cast<size_t>(n);
    if (c->backend_in.empty()) {
        size_t used = process_replies(c, buf, got);
        if (c->dead || c->backend_fd < 0) return;
        c->backend_in.append(buf + used, got - used);
    } else {
        c->backend_in.append(buf, got);
        size_t used = process_replies(c, c->backend_in.data(), c->backend_in.size());
        if (c->dead || c->backend_fd < 0) return;
        c->backend_in.consume(used);
    }
    flush_client(c);
}

size_t Worker::process_replies(Client *c, const char *p, size_t n) {
    size_t start = 0;
    while (start < n) {
        size_t end = 0;
        ReplyScanner::Status st = c->scanner.next(p + start, n - start, end);
        if (st == ReplyScanner::Status::kIncomplete) break;
        if (st == ReplyScanner::Status::kError) {
            backend_failed(c, "protocol error in a backend reply");
            return n;
        }
        handle_reply(c, p + start, end);
        c->scanner.consumed(end);
        start += end;
        if (c->dead || c->backend_fd < 0) return n;
    }
    return start;
}

void Worker::handle_reply(Client *c, const char *r, size_t len) {
    bool is_error = r[0] == '-' || r[0] == '!';
    ReplyHead head;
    bool aggregate = r[0] == '*' || r[0] == '>';
    if (aggregate) head = read_reply_head(r, len);
    Pending *front = c->pending_empty() ? nullptr : &c->pending_front();
    bool sub_head = front && front->kind == Pending::Kind::kSubscribe;

    // Out-of-band frames: RESP3 pushes that answer no command, and RESP2
    // messages while subscribed.  They pass through where they arrive.
    bool out_of_band = false;
    if (r[0] == '>') out_of_band = !(sub_head && is_confirmation(head.first));
    else if (r[0] == '*' && c->resp == 2 && c->subs && c->subs->total() > 0 && is_message(head.first))
        out_of_band = true;
    if (out_of_band) {
        c->out.append(r, len);
        return;
    }
    if (front == nullptr) {
        backend_failed(c, "a backend reply that no command asked for");
        return;
    }
    Pending &p = *front;
    switch (p.kind) {
        case Pending::Kind::kForward:
        case Pending::Kind::kLocal:  // not reached: drained eagerly
            c->out.append(r, len);
            break;
        case Pending::Kind::kLogin:
            c->login_pending = false;
            if (is_error) {
                log_msg(LOG_ERR, "client %s: the backend refused the login as ACL user '%s'", c->ip,
                        printable(c->backend_user).c_str());
                static const char refused[] =
                    "-ERR s2sauth-redis-proxy: the backend refused the login for this token\r\n";
                c->out.append(refused, sizeof refused - 1);
                c->closing = true;
                p.remaining = 1;
            } else {
                if (p.proto != 0) c->resp = p.proto;
                c->out.append(r, len);
            }
            break;
        case Pending::Kind::kSwallow:
            c->login_pending = false;
            if (is_error) {
                log_msg(LOG_ERR, "client %s: backend re-login after RESET failed", c->ip);
                static const char failed[] = "-ERR s2sauth-redis-proxy: backend login failed\r\n";
                c->out.append(failed, sizeof failed - 1);
                c->closing = true;
            }
            break;
        case Pending::Kind::kReplace:
            c->out.append(p.text.data(), p.text.size());
            break;
        case Pending::Kind::kHello:
            if (!is_error && p.proto != 0) c->resp = p.proto;
            c->out.append(r, len);
            break;
        case Pending::Kind::kReset:
            c->subs.reset();
            c->resp = 2;
            c->out.append(r, len);
            break;
        case Pending::Kind::kSubscribe: {
            if (!p.count_known) {
                size_t have = c->subs ? c->subs->names[p.sub_kind].size() : 0;
                p.remaining = static_cast<uint32_t>(have == 0 ? 1 : have);
                p.count_known = true;
            }
            if (is_error) {
                p.remaining = 1;  // a refused command answers once
            } else if (is_confirmation(head.first)) {
                if (!c->subs) c->subs = std::make_unique<Subscriptions>();
                std::string channel(head.second);
                if (head.first.find("unsub") == std::string_view::npos) {
                    if (!head.second_is_null) c->subs->names[p.sub_kind].insert(channel);
                } else {
                    c->subs->names[p.sub_kind].erase(channel);
                }
            }
            c->out.append(r, len);
            break;
        }
    }
    if (--p.remaining == 0) {
        c->pending_pop();
        drain_local(c);
    }
}

}  // namespace s2s_redis
