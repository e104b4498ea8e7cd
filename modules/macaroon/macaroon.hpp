// macaroon.hpp: the in-memory macaroon and the codecs of its three wire formats.
//
// One Macaroon type serves minting, attenuation and verification.  Parsers fill
// a caller-owned Macaroon in place so that a verifier reusing one per thread
// reaches a steady state without allocation (std::string::assign keeps its
// capacity).  Every codec is strict: one accepted spelling per value, every
// length checked, nothing after the end.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto.hpp"
#include "result.hpp"
#include "s2sauth.h"

namespace s2s {

struct Limits {
    size_t max_token_bytes = S2S_DEFAULT_MAX_TOKEN_BYTES;   // encoded credential
    size_t max_caveats = S2S_DEFAULT_MAX_CAVEATS;           // per macaroon
    size_t max_caveat_bytes = S2S_DEFAULT_MAX_CAVEAT_BYTES; // per caveat id
    size_t max_discharges = S2S_DEFAULT_MAX_DISCHARGES;     // per stack
    size_t max_depth = S2S_DEFAULT_MAX_DEPTH;               // discharge nesting

    static Limits from(const s2s_limits *l);
};

struct Caveat {
    std::string id;        // the caveat (first party) or caveat id (third party)
    std::string vid;       // verification id; empty for a first-party caveat
    std::string location;  // third party only (may be empty)

    bool third_party() const { return !vid.empty(); }
};

struct Macaroon {
    std::string location;
    std::string identifier;
    std::vector<Caveat> caveats;
    Digest signature{};
};

// The s2s identifier "s2s1:<key-id>:<token-id>".  parse_identifier returns false
// for any other identifier (a foreign token, verified with a raw root key).
inline constexpr std::string_view kIdentifierPrefix = "s2s1:";
bool parse_identifier(std::string_view identifier, std::string_view &key_id,
                      std::string_view &token_id);
std::string make_identifier(std::string_view key_id, std::string_view token_id);
// [A-Za-z0-9_-]{1,64}: the charset of key ids and token ids.
bool valid_id(std::string_view id);
// The revocation id of a foreign (non-s2s) identifier: the identifier itself
// when it is at most 256 bytes of printable ASCII without space, '"' or '\'
// (so it is safe between quotes in a log line), else "sha256:" + base64url of
// its SHA-256.
void foreign_token_id(std::string_view identifier, std::string &out);

// ---- codecs ------------------------------------------------------------------
// Each decode_* takes raw bytes (already base64-decoded where the format is
// base64) and fills `out`; on failure it sets `pe` and returns false.

// V1: libmacaroons packets "<4 hex len>key value\n"; keys location, identifier,
// then per caveat cid [vid cl], then signature.  encode_v1 returns false (and
// leaves bytes_out empty) when a field does not fit a packet's 16-bit length.
bool decode_v1(std::string_view bytes, const Limits &limits, Macaroon &out, ParseError &pe);
bool encode_v1(const Macaroon &m, std::string &bytes_out);

// V2 binary: version 2, fields (type varint, len varint, data), sections ended
// by EOS.  decode_v2 consumes one macaroon from the front of `bytes` and sets
// `consumed`, so a stack (concatenated V2) decodes by repeated calls.
bool decode_v2(std::string_view bytes, const Limits &limits, Macaroon &out, size_t &consumed,
               ParseError &pe);
void encode_v2(const Macaroon &m, std::string &bytes_out);

// V2 JSON: {"v":2,"l":..,"i"|"i64":..,"c":[{"i"|"i64","v"|"v64","l"}],"s"|"s64":..}.
// Duplicate keys, both x and x64, unknown keys and a non-32-byte signature fail.
// encode_v2_json returns false (text_out empty) when a location is not UTF-8.
bool decode_v2_json(std::string_view text, const Limits &limits, Macaroon &out, ParseError &pe);
bool encode_v2_json(const Macaroon &m, std::string &text_out);
// A JSON array of V2 JSON macaroons (a stack); fills `out`, resized to the count.
bool decode_v2_json_array(std::string_view text, const Limits &limits,
                          std::vector<Macaroon> &out, ParseError &pe);

// Any single macaroon: V2 JSON if the text starts with '{', else base64, then V1
// or V2 by the first decoded byte.  `scratch` holds the decoded bytes.
bool decode_any(std::string_view text, const Limits &limits, Macaroon &out,
                std::string &scratch, ParseError &pe);

// A stack: concatenated V2 (base64), a V2 JSON array, or a single macaroon in
// any format.  Fills `out` (resized to the count); the first is the root.
bool decode_stack(std::string_view text, const Limits &limits, std::vector<Macaroon> &out,
                  std::string &scratch, ParseError &pe);
void encode_stack(const std::vector<const Macaroon *> &ms, std::string &text_out);

// ---- construction --------------------------------------------------------------

// A new macaroon from a derived root key (see derive_root_key).
bool macaroon_init(Macaroon &m, const Digest &derived_key, std::string_view identifier,
                   std::string_view location);
bool add_first_party(Macaroon &m, std::string_view caveat);
// caveat_key is the raw key the third party will also use; it is derived here.
bool add_third_party(Macaroon &m, std::string_view location, std::string_view caveat_key,
                     std::string_view caveat_id);
bool bind_discharge(const Macaroon &root, Macaroon &discharge);

// add_third_party with a caller-chosen secretbox nonce, so that published
// vectors (libmacaroons' README uses an all-zero nonce) can be reproduced.
// For tests only: a repeated nonce under one signature leaks the caveat key.
bool add_third_party_with_nonce(Macaroon &m, std::string_view location,
                                std::string_view caveat_key, std::string_view caveat_id,
                                const uint8_t (&nonce)[kSecretboxNonceBytes]);

}  // namespace s2s
