// authorizer.cpp: facts about a command, and the check against the grant.
#include "authorizer.hpp"

#include <strings.h>

#include <algorithm>
#include <cstring>

#include "log.hpp"

namespace s2s_redis {
namespace {

bool iequal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Every channel a glob pattern can match starts with the text before its
// first metacharacter, so that prefix stands for the pattern: a channel
// caveat admits the pattern only if it admits the prefix.
std::string_view literal_prefix(std::string_view pattern) {
    size_t at = pattern.find_first_of("*?[\\");
    return at == std::string_view::npos ? pattern : pattern.substr(0, at);
}

void add_all(std::vector<std::string_view> &out, const std::vector<std::string_view> &argv, size_t from) {
    for (size_t i = from; i < argv.size(); ++i) out.push_back(argv[i]);
}

// Channel facts by command; false when unknowable.
bool find_channels(const CommandInfo &info, const std::vector<std::string_view> &argv,
                   std::vector<std::string_view> &channels) {
    const std::string &n = info.name;
    if (info.scripting || info.dangerous) return false;  // may publish anywhere
    if (n == "subscribe" || n == "ssubscribe") {
        add_all(channels, argv, 1);
    } else if (n == "psubscribe") {
        for (size_t i = 1; i < argv.size(); ++i) channels.push_back(literal_prefix(argv[i]));
    } else if (n == "publish" || n == "spublish") {
        if (argv.size() > 1) channels.push_back(argv[1]);
    } else if (n == "pubsub|channels" || n == "pubsub|shardchannels") {
        if (argv.size() < 3) return false;  // every channel
        channels.push_back(literal_prefix(argv[2]));
    } else if (n == "pubsub|numsub" || n == "pubsub|shardnumsub") {
        add_all(channels, argv, 2);
    }
    return true;
}

bool is_pubsub(const std::string &n) {
    return n == "subscribe" || n == "ssubscribe" || n == "psubscribe" || n == "publish" ||
           n == "spublish" || n.rfind("pubsub|", 0) == 0;
}

bool keys_of(const CommandInfo &info, const std::vector<std::string_view> &argv,
             std::vector<std::string_view> &keys) {
    const std::string &n = info.name;
    if (info.scripting) return false;
    if (info.key_specs.empty() && (info.keyspace || info.dangerous)) return false;
    // Commands whose effect leaves the current database.
    if (n == "move" || n == "swapdb") return false;
    // Client-side caching reports the names of keys other clients change
    // (BCAST without a prefix: every key), so no key set bounds it.
    if (n == "client|tracking") return false;
    if (n == "select") return argv.size() == 2 && argv[1] == "0";
    if (n == "copy") {
        for (size_t i = 3; i < argv.size(); ++i)
            if (iequal(argv[i], "db")) return false;
    }
    return find_keys(info, argv, keys);
}

}  // namespace

std::string printable(std::string_view bytes, size_t max) {
    std::string out;
    for (size_t i = 0; i < bytes.size() && i < max; ++i) {
        unsigned char c = static_cast<unsigned char>(bytes[i]);
        out += (c >= 0x20 && c < 0x7f && c != '\'') ? static_cast<char>(c) : '?';
    }
    if (bytes.size() > max) out += "...";
    return out;
}

void analyze_command(const CommandTable *table, const std::vector<std::string_view> &argv,
                     CommandFacts &facts) {
    facts.keys.clear();
    facts.channels.clear();
    facts.keys_known = facts.channels_known = false;
    const CommandInfo *info = table ? table->find(argv) : nullptr;
    if (info == nullptr) {
        facts.name = ascii_lower(argv[0]);
        return;
    }
    facts.name = info->name;
    if (!arity_ok(info->arity, argv.size())) {
        // Redis rejects a wrong argument count before running anything.
        facts.keys_known = facts.channels_known = true;
        return;
    }
    facts.keys_known = keys_of(*info, argv, facts.keys);
    if (!facts.keys_known) facts.keys.clear();
    facts.channels_known = find_channels(*info, argv, facts.channels);
    if (!facts.channels_known) facts.channels.clear();
    // A key caveat confines pub/sub too: channels share the key namespace for
    // it (as shard channels do in Redis's own key specs), so a token limited to
    // `orders:` keys cannot SUBSCRIBE to `secret` or PSUBSCRIBE to `*`.
    if (is_pubsub(info->name)) {
        facts.keys_known = facts.channels_known;
        facts.keys = facts.channels;
    }
}

Denial Authorizer::check(const s2s_grant *grant, const char *client_ip, const s2s_peer *peer,
                         const CommandFacts &facts) {
    s2s_context_reset(ctx);
    s2s_context_set_peer(ctx, peer);
    if (!service.empty()) s2s_context_set(ctx, S2S_ATTR_SERVICE, service.data(), service.size());
    s2s_context_set(ctx, S2S_ATTR_CLIENT_IP, client_ip, std::strlen(client_ip));
    s2s_context_set(ctx, S2S_ATTR_REDIS_CMD, facts.name.data(), facts.name.size());
    s2s_context_mark_present(ctx, S2S_ATTR_REDIS_USER);
    if (facts.keys_known) {
        s2s_context_mark_present(ctx, S2S_ATTR_REDIS_KEY);
        for (std::string_view k : facts.keys) s2s_context_set(ctx, S2S_ATTR_REDIS_KEY, k.data(), k.size());
    }
    if (facts.channels_known) {
        s2s_context_mark_present(ctx, S2S_ATTR_REDIS_CHANNEL);
        for (std::string_view ch : facts.channels)
            s2s_context_set(ctx, S2S_ATTR_REDIS_CHANNEL, ch.data(), ch.size());
    }
    s2s_error err;
    s2s_status st = s2s_grant_check(verifier, grant, ctx, decision, &err);
    if (st == S2S_OK && s2s_decision_allowed(decision)) return Denial::kNone;
    const char *caveat = st == S2S_OK ? s2s_decision_failed_caveat(decision) : "";
    log_msg(LOG_NOTICE, "deny client=%s cmd='%s' reason=%s token_id=%s caveat='%s'%s", client_ip,
            printable(facts.name).c_str(),
            st == S2S_OK ? s2s_reason_name(s2s_decision_reason(decision)) : s2s_status_name(st),
            s2s_decision_token_id(decision), caveat,
            st == S2S_OK ? "" : " (verifier error)");
    if (st != S2S_OK) return Denial::kCredential;
    std::string_view failed(caveat);
    if (failed.rfind("redis.cmd ", 0) == 0) return Denial::kCommand;
    if (failed.rfind("redis.key ", 0) == 0) return Denial::kKey;
    if (failed.rfind("redis.channel ", 0) == 0) return Denial::kChannel;
    return Denial::kCredential;
}

s2s_grant *Authorizer::authenticate(const char *client_ip, const s2s_peer *peer, std::string_view token) {
    // At AUTH the command, keys and channels are not known yet: they are
    // deferred to the per-command grant checks, so a token limited to some
    // commands can log in, and each command is then judged on its own.
    s2s_context_reset(ctx);
    s2s_context_set_peer(ctx, peer);
    if (!service.empty()) s2s_context_set(ctx, S2S_ATTR_SERVICE, service.data(), service.size());
    s2s_context_set(ctx, S2S_ATTR_CLIENT_IP, client_ip, std::strlen(client_ip));
    s2s_context_defer(ctx, S2S_ATTR_REDIS_CMD);
    s2s_context_defer(ctx, S2S_ATTR_REDIS_KEY);
    s2s_context_defer(ctx, S2S_ATTR_REDIS_CHANNEL);
    s2s_context_mark_present(ctx, S2S_ATTR_REDIS_USER);
    s2s_grant *grant = nullptr;
    s2s_error err;
    s2s_status st = s2s_authenticate(verifier, ctx, token.data(), token.size(), decision, &grant, &err);
    if (st == S2S_OK && s2s_decision_allowed(decision) && grant != nullptr) {
        log_msg(LOG_INFO, "auth client=%s token_id=%s identity='%s'", client_ip,
                s2s_decision_token_id(decision), s2s_decision_identity(decision));
        return grant;
    }
    s2s_grant_free(grant);
    log_msg(LOG_NOTICE, "auth denied client=%s reason=%s token_id=%s caveat='%s' detail='%s'", client_ip,
            st == S2S_OK ? s2s_reason_name(s2s_decision_reason(decision)) : s2s_status_name(st),
            s2s_decision_token_id(decision), s2s_decision_failed_caveat(decision),
            s2s_decision_detail(decision));
    return nullptr;
}

std::string denial_reply(Denial denial, const CommandFacts &facts, const s2s_decision *d) {
    switch (denial) {
        case Denial::kKey:
            return "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n";
        case Denial::kChannel:
            return "-NOPERM this user has no permissions to access one of the channels used as arguments\r\n";
        case Denial::kCommand:
            return "-NOPERM this user has no permissions to run the '" + printable(facts.name) + "' command\r\n";
        default:
            return std::string("-NOPERM the credential of this connection no longer permits commands (") +
                   s2s_reason_name(s2s_decision_reason(d)) + ")\r\n";
    }
}

}  // namespace s2s_redis
