// caveat_eval.hpp: the first-party caveat language, one evaluator for all hosts.
//
// A caveat is "key op value": ASCII key, single spaces, the value the rest of
// the line (byte-exact, no normalization).  Caveats are conjunctive.  Anything
// the evaluator does not understand, or that asks about a fact the host does
// not supply, is unsatisfied: deny, never skip.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "context.hpp"
#include "s2sauth.h"

namespace s2s {

// Facts about the peer that caveats see; filled from the s2s_peer, if any.
struct PeerFacts {
    bool present = false;        // a client certificate was presented
    bool trusted = false;        // and its chain verified
    std::string_view cert_sha256;  // x5t#S256 of the leaf
    std::string_view spiffe_id;    // "" if none
};

// State accumulated over all caveats of a verification (root and discharges).
struct CaveatState {
    std::string_view identity;    // from `identity =`; all must agree
    std::string_view redis_user;  // from `redis.user =` when declared, not supplied
    // Set by s2s_authenticate only: caveats on attributes the context defers
    // are checked for form but not matched (s2s_grant_check matches them).
    bool honor_deferred = false;
};

struct CaveatResult {
    s2s_reason reason = S2S_REASON_OK;  // OK when satisfied
};

// Evaluates one first-party caveat against the context at time `now`.
// `state` views point into `caveat`, which must outlive the state.
CaveatResult eval_caveat(std::string_view caveat, const Context &ctx, const PeerFacts &peer,
                         int64_t now, CaveatState &state);

// RFC 3339 UTC ("2026-12-03T12:00:00Z", optional fraction) to epoch seconds;
// `frac_nonzero` tells whether a fraction above the second was present.
bool parse_rfc3339_utc(std::string_view text, int64_t &seconds, bool &frac_nonzero);
std::string format_rfc3339_utc(int64_t seconds);

// Whether `path` is `prefix` or lies below it on a segment boundary.
bool path_has_prefix(std::string_view path, std::string_view prefix);

}  // namespace s2s
