// digest.hpp: the SHA-256 fingerprints the mTLS module matches on.
//
// Pins are compared as base64url without padding (RFC 8705 x5t#S256), the
// form macaroon caveats carry; configuration may also give them in hex, which
// is normalized once at load time so matching stays a plain string compare.
#pragma once

#include <string>
#include <string_view>

namespace s2s::mtls {

// base64url(SHA-256(bytes)) without padding: 43 characters.  False if the
// digest failed.
bool sha256_b64url(std::string_view bytes, std::string &out);

// Lowercase hex of SHA-256(bytes), colon-free: 64 characters.
bool sha256_hex(std::string_view bytes, std::string &out);

// Normalizes a configured pin (43-character base64url, or 64 hex digits with
// optional ':' between byte pairs) to base64url; false if it is neither.
bool normalize_pin(std::string_view text, std::string &out);

}  // namespace s2s::mtls
