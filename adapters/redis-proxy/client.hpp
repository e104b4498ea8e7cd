// client.hpp: the state of one client connection and its backend connection.
//
// Each client gets its own backend connection, opened at its first successful
// AUTH, so MULTI, WATCH, SELECT, blocking commands and pub/sub keep Redis's own
// semantics and no reply can reach another client.  The pending queue records,
// in command order, how many backend replies each forwarded command produces
// and where the proxy's own replies (denials, AUTH results) go between them.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "buffer.hpp"
#include "reply_scanner.hpp"
#include "s2sauth.h"

typedef struct ssl_st SSL;

namespace s2s_redis {

struct Pending {
    enum class Kind : uint8_t {
        kLocal,        // the proxy's own reply text
        kForward,      // `remaining` ordinary backend replies, passed through
        kLogin,        // backend AUTH/HELLO AUTH: an error ends the connection
        kSwallow,      // backend re-login after RESET: reply not shown
        kReplace,      // the backend's reply is replaced by `text` (EXECABORT)
        kHello,        // HELLO without AUTH: a success switches the protocol
        kSubscribe,    // (P|S)SUBSCRIBE and unsubscribes: confirmations
        kReset,        // RESET: clears the subscription state on reply
    };
    Kind kind = Kind::kForward;
    uint8_t proto = 0;          // kLogin/kHello: protocol asked for (0: unchanged)
    bool count_known = true;    // kSubscribe: false for an unsubscribe-all
    bool close_after = false;   // kLocal: close once sent (QUIT, protocol error)
    uint8_t sub_kind = 0;       // kSubscribe: 0 channels, 1 patterns, 2 shard channels
    uint32_t remaining = 1;
    std::string text;
};

// Subscriptions as confirmed by the backend, to know how many replies an
// argument-less UNSUBSCRIBE yields and when RESP2 messages can arrive.
struct Subscriptions {
    std::set<std::string> names[3];
    size_t total() const { return names[0].size() + names[1].size() + names[2].size(); }
};

class Worker;

struct Client;
struct Handle {
    Client *client;
    bool backend;
};

struct Client {
    Worker *worker = nullptr;
    size_t slot = 0;  // index in the worker's client list
    int fd = -1;
    int backend_fd = -1;
    Handle client_handle{this, false};
    Handle backend_handle{this, true};
    uint32_t client_events = 0, backend_events = 0;  // what epoll watches now

    Buffer in, out, backend_in, backend_out;
    ReplyScanner scanner;
    std::vector<Pending> pending;  // pending[pending_head..] are live
    size_t pending_head = 0;

    // Forwarded bytes not yet copied to backend_out (a run inside the input).
    const char *run_ptr = nullptr;
    size_t run_len = 0;

    SSL *ssl = nullptr;         // TLS listener only
    bool tls_handshaking = false;
    bool tls_want_write = false;  // OpenSSL needs the socket writable to go on
    s2s_peer *peer = nullptr;   // the client certificate's facts, if any

    s2s_grant *grant = nullptr;
    std::string backend_user;
    char ip[INET6_ADDRSTRLEN] = {0};

    uint8_t resp = 2;
    bool authenticated = false;
    bool backend_connecting = false;
    bool closing = false;      // close once `out` is sent
    bool dead = false;         // closed; freed after this epoll batch
    bool input_paused = false; // backpressure: not reading the client
    bool login_pending = false; // a backend login is unanswered: hold later commands
    bool backend_paused = false;
    bool in_multi = false;
    bool multi_dirty = false;  // a command was refused inside MULTI: EXEC aborts
    std::string multi_frames;  // queued commands, re-checked at EXEC
    size_t multi_count = 0;
    std::unique_ptr<Subscriptions> subs;

    bool pending_empty() const { return pending_head == pending.size(); }
    size_t pending_count() const { return pending.size() - pending_head; }
    Pending &pending_front() { return pending[pending_head]; }
    void pending_pop() {
        ++pending_head;
        if (pending_head == pending.size()) {
            pending.clear();
            pending_head = 0;
            if (pending.capacity() > 64) pending.shrink_to_fit();
        }
    }
};

}  // namespace s2s_redis
