// authorizer.hpp: turns one Redis command into an s2sauth decision.
//
// For each command the proxy tells the core what the command is and what it
// reaches: redis.cmd (the lowercase name, "container|sub" for a subcommand, as
// Redis's ACL names them), redis.key (every key, from the backend's key specs),
// redis.channel (every channel; a PSUBSCRIBE pattern counts as its literal
// prefix), plus service, client address and the clock.  Where keys or
// channels cannot be known with certainty the attribute is left absent, so the
// core denies any caveat on it while a token without such a caveat still
// allows the command.  The grant from AUTH is re-checked every time, so
// expiry and revocation take effect mid-connection.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "command_table.hpp"
#include "s2sauth.h"

namespace s2s_redis {

struct CommandFacts {
    std::string name;  // redis.cmd value
    bool keys_known = false;
    std::vector<std::string_view> keys;
    bool channels_known = false;
    std::vector<std::string_view> channels;
};

// Fills facts for argv; `table` may be NULL (not loaded yet: nothing known).
void analyze_command(const CommandTable *table, const std::vector<std::string_view> &argv,
                     CommandFacts &facts);

enum class Denial { kNone, kCommand, kKey, kChannel, kCredential };

struct Authorizer {
    const s2s_verifier *verifier = nullptr;
    std::string service;  // from the configuration; empty: the verifier's
    s2s_context *ctx = nullptr;
    s2s_decision *decision = nullptr;

    // Checks facts against the grant; logs a denial.
    Denial check(const s2s_grant *grant, const char *client_ip, const s2s_peer *peer,
                 const CommandFacts &facts);
    // Verifies an AUTH credential; on allow returns the grant (caller frees).
    s2s_grant *authenticate(const char *client_ip, const s2s_peer *peer, std::string_view token);
};

// The -NOPERM line (with CRLF) for a denial, as Redis's ACL words them.
std::string denial_reply(Denial denial, const CommandFacts &facts, const s2s_decision *d);

// Printable form of client bytes for error messages and logs.
std::string printable(std::string_view bytes, size_t max = 64);

}  // namespace s2s_redis
