// spiffe_id.cpp: the strict SPIFFE ID parser.
//
// The checks run from the most specific to the most general so a rejection
// names the rule a human would name: "spiffe://td:443/x" is a port, not merely
// a bad trust-domain character.  Only exact lowercase "spiffe://" is accepted,
// as go-spiffe does: certificates are not normalized, they are judged.
#include "mtls/spiffe_id.hpp"

namespace s2s::mtls {
namespace {

constexpr std::string_view kScheme = "spiffe://";

bool is_trust_domain_char(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

bool is_path_char(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-' || c == '_';
}

SpiffeRule check_path(std::string_view path) {
    if (path.empty() || path == "/") return SpiffeRule::kRootPath;
    if (path.back() == '/') return SpiffeRule::kTrailingSlash;
    // path starts with '/': walk the segments between slashes.
    size_t pos = 1;
    while (pos <= path.size()) {
        size_t end = path.find('/', pos);
        if (end == std::string_view::npos) end = path.size();
        std::string_view segment = path.substr(pos, end - pos);
        if (segment.empty()) return SpiffeRule::kEmptySegment;
        if (segment == "." || segment == "..") return SpiffeRule::kDotSegment;
        for (unsigned char c : segment) {
            if (!is_path_char(c)) return SpiffeRule::kPathChar;
        }
        pos = end + 1;
    }
    return SpiffeRule::kOk;
}

}  // namespace

const char *spiffe_rule_text(SpiffeRule rule) {
    switch (rule) {
    case SpiffeRule::kOk: return "valid";
    case SpiffeRule::kTooLong: return "spiffe id longer than 2048 bytes";
    case SpiffeRule::kNulByte: return "spiffe id contains a NUL byte";
    case SpiffeRule::kScheme: return "uri scheme is not spiffe://";
    case SpiffeRule::kEmptyTrustDomain: return "spiffe id has an empty trust domain";
    case SpiffeRule::kUserinfo: return "spiffe id has userinfo";
    case SpiffeRule::kPort: return "spiffe id has a port";
    case SpiffeRule::kPercentEncoding: return "spiffe id has percent-encoding";
    case SpiffeRule::kQuery: return "spiffe id has a query";
    case SpiffeRule::kFragment: return "spiffe id has a fragment";
    case SpiffeRule::kTrustDomainChar: return "trust domain has a character outside [a-z0-9.-_]";
    case SpiffeRule::kTrustDomainTooLong: return "trust domain longer than 255 bytes";
    case SpiffeRule::kRootPath: return "spiffe id has no path (root)";
    case SpiffeRule::kTrailingSlash: return "spiffe id ends with a slash";
    case SpiffeRule::kEmptySegment: return "spiffe id has an empty path segment";
    case SpiffeRule::kDotSegment: return "spiffe id has a '.' or '..' path segment";
    case SpiffeRule::kPathChar: return "path segment has a character outside [a-zA-Z0-9.-_]";
    }
    return "unknown spiffe rule";
}

SpiffeRule check_trust_domain(std::string_view td) {
    if (td.empty()) return SpiffeRule::kEmptyTrustDomain;
    if (td.size() > kTrustDomainMaxBytes) return SpiffeRule::kTrustDomainTooLong;
    for (unsigned char c : td) {
        if (c == '\0') return SpiffeRule::kNulByte;
        if (!is_trust_domain_char(c)) return SpiffeRule::kTrustDomainChar;
    }
    return SpiffeRule::kOk;
}

SpiffeRule parse_spiffe_id(std::string_view uri, SpiffeIdView &out) {
    out = {};
    if (uri.size() > kSpiffeIdMaxBytes) return SpiffeRule::kTooLong;
    if (uri.find('\0') != std::string_view::npos) return SpiffeRule::kNulByte;
    if (uri.substr(0, kScheme.size()) != kScheme) return SpiffeRule::kScheme;
    // URI components that a SPIFFE ID must not have, anywhere after the scheme.
    std::string_view rest = uri.substr(kScheme.size());
    if (rest.find('%') != std::string_view::npos) return SpiffeRule::kPercentEncoding;
    if (rest.find('?') != std::string_view::npos) return SpiffeRule::kQuery;
    if (rest.find('#') != std::string_view::npos) return SpiffeRule::kFragment;

    size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
    if (authority.find('@') != std::string_view::npos) return SpiffeRule::kUserinfo;
    if (authority.find(':') != std::string_view::npos) return SpiffeRule::kPort;
    if (SpiffeRule r = check_trust_domain(authority); r != SpiffeRule::kOk) return r;
    if (SpiffeRule r = check_path(path); r != SpiffeRule::kOk) return r;

    out.trust_domain = authority;
    out.path = path;
    return SpiffeRule::kOk;
}

bool spiffe_id_has_prefix(std::string_view id, std::string_view prefix) {
    if (prefix.empty() || id.size() < prefix.size()) return false;
    if (id.substr(0, prefix.size()) != prefix) return false;
    return id.size() == prefix.size() || id[prefix.size()] == '/';
}

}  // namespace s2s::mtls
