// base64.hpp: strict base64 over libsodium's constant-time codecs.
//
// Input may be the URL or the standard alphabet, padded or not (libmacaroons,
// pymacaroons and go-macaroon each pick a different one); it is decoded
// strictly: no white space, no mixed alphabets, and no non-zero trailing bits.
// Output is always base64url without padding, the one canonical form.
#pragma once

#include <string>
#include <string_view>

namespace s2s {

// Decodes into out (replacing its contents, reusing its capacity).
bool base64_decode(std::string_view in, std::string &out);

std::string base64url_encode(std::string_view bytes);
void base64url_encode(std::string_view bytes, std::string &out);

}  // namespace s2s
