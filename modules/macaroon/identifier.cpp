// identifier.cpp: the s2s macaroon identifier and the parser limits.
//
// An s2s identifier is "s2s1:<key-id>:<token-id>": the key id tells the
// verifier which root key of the key ring signed the token, the token id is
// the unit of revocation.  Both ids use a small URL-safe charset so they can
// sit in a revocation file, a log line or a header without quoting.  Anything
// else is a foreign identifier (a token minted by libmacaroons, pymacaroons or
// go-macaroon), which only a raw root key can verify.
#include "macaroon/macaroon.hpp"

#include <openssl/evp.h>

#include "base64.hpp"

namespace s2s {
namespace {

constexpr size_t kMaxIdBytes = 64;
static_assert(kMaxIdBytes == S2S_KEY_ID_MAX && kMaxIdBytes == S2S_TOKEN_ID_MAX);

bool id_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

size_t or_default(size_t value, size_t fallback) { return value != 0 ? value : fallback; }

}  // namespace

bool valid_id(std::string_view id) {
    if (id.empty() || id.size() > kMaxIdBytes) return false;
    for (char c : id) {
        if (!id_char(c)) return false;
    }
    return true;
}

bool parse_identifier(std::string_view identifier, std::string_view &key_id,
                      std::string_view &token_id) {
    if (!identifier.starts_with(kIdentifierPrefix)) return false;
    std::string_view rest = identifier.substr(kIdentifierPrefix.size());
    size_t colon = rest.find(':');
    if (colon == std::string_view::npos) return false;
    std::string_view key = rest.substr(0, colon);
    std::string_view token = rest.substr(colon + 1);
    // valid_id rejects a second ':' in the token id, so the split is unique.
    if (!valid_id(key) || !valid_id(token)) return false;
    key_id = key;
    token_id = token;
    return true;
}

std::string make_identifier(std::string_view key_id, std::string_view token_id) {
    std::string id;
    id.reserve(kIdentifierPrefix.size() + key_id.size() + 1 + token_id.size());
    id.append(kIdentifierPrefix).append(key_id).append(1, ':').append(token_id);
    return id;
}

Limits Limits::from(const s2s_limits *l) {
    Limits out;
    if (l == nullptr) return out;
    out.max_token_bytes = or_default(l->max_token_bytes, out.max_token_bytes);
    out.max_caveats = or_default(l->max_caveats, out.max_caveats);
    out.max_caveat_bytes = or_default(l->max_caveat_bytes, out.max_caveat_bytes);
    out.max_discharges = or_default(l->max_discharges, out.max_discharges);
    out.max_depth = or_default(l->max_depth, out.max_depth);
    return out;
}

void foreign_token_id(std::string_view identifier, std::string &out) {
    bool plain = !identifier.empty() && identifier.size() <= 256;
    for (unsigned char c : identifier) plain = plain && c > 0x20 && c < 0x7f && c != '"' && c != '\\';
    if (plain) {
        out.assign(identifier);
        return;
    }
    uint8_t md[32];
    unsigned int n = 0;
    EVP_Digest(identifier.data(), identifier.size(), md, &n, EVP_sha256(), nullptr);
    out = "sha256:" + base64url_encode({reinterpret_cast<char *>(md), sizeof md});
}

}  // namespace s2s
