// spiffe_id.hpp: the SPIFFE ID grammar (SPIFFE-ID spec, X.509-SVID profile).
//
// One strict parser decides whether a URI is a SPIFFE ID a workload may
// present.  It is used for the URI SAN of client leaves and for the SPIFFE IDs
// an administrator writes in allowlists, so both sides obey the same rules.
// Each rejection names the rule it broke with a static string, which tests
// assert on and logs print.
#pragma once

#include <cstddef>
#include <string_view>

namespace s2s::mtls {

inline constexpr size_t kSpiffeIdMaxBytes = 2048;
inline constexpr size_t kTrustDomainMaxBytes = 255;

// Why a URI is not a SPIFFE ID; kOk when it is one.
enum class SpiffeRule {
    kOk = 0,
    kTooLong,            // more than 2048 bytes
    kNulByte,            // a NUL anywhere
    kScheme,             // not "spiffe://"
    kEmptyTrustDomain,   // "spiffe:///x"
    kUserinfo,           // "spiffe://user@td/x"
    kPort,               // "spiffe://td:443/x"
    kPercentEncoding,    // any '%'
    kQuery,              // any '?'
    kFragment,           // any '#'
    kTrustDomainChar,    // a byte outside [a-z0-9.-_] in the trust domain
    kTrustDomainTooLong, // more than 255 bytes
    kRootPath,           // no path, or "/" alone
    kTrailingSlash,      // "spiffe://td/a/"
    kEmptySegment,       // "spiffe://td/a//b"
    kDotSegment,         // a "." or ".." segment
    kPathChar,           // a byte outside [a-zA-Z0-9.-_] in a segment
};

// A static, lowercase description of a rule ("trust domain has a port").
const char *spiffe_rule_text(SpiffeRule rule);

struct SpiffeIdView {
    std::string_view trust_domain;  // "example.org"
    std::string_view path;          // "/ns/prod/sa/api"
};

// Parses `uri` as a workload SPIFFE ID; on kOk fills `out` with views into `uri`.
SpiffeRule parse_spiffe_id(std::string_view uri, SpiffeIdView &out);

// Checks a bare trust domain name (as written in allow_trust_domain).
SpiffeRule check_trust_domain(std::string_view trust_domain);

// Whether `id` equals `prefix` or continues it with a whole path segment:
// "spiffe://td/ns/prod" admits "spiffe://td/ns/prod/api", not ".../production".
bool spiffe_id_has_prefix(std::string_view id, std::string_view prefix);

}  // namespace s2s::mtls
