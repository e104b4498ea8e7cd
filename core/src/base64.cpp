// base64.cpp: strict base64 decoding and canonical encoding over libsodium.
//
// libmacaroons writes the standard alphabet, pymacaroons and go-macaroon the
// URL alphabet without padding, and users paste either, padded or not.  Rather
// than normalising the text (which would accept mixtures no encoder produces),
// the variant is chosen from the text itself and libsodium decodes it
// strictly: '+' or '/' means the standard alphabet, '-' or '_' the URL one,
// both is an error; a trailing '=' means the padded variant, whose padding
// libsodium then checks exactly.  libsodium also rejects white space (no
// ignore set is passed), a length of 1 mod 4, and non-zero trailing bits, so
// each byte string has exactly one accepted spelling per variant.
//
// The output is always base64url without padding: the one canonical form.
#include "base64.hpp"

#include <sodium.h>

namespace s2s {
namespace {

// Picks the libsodium variant for `in`; false if it mixes alphabets.
bool choose_variant(std::string_view in, int &variant) {
    bool standard = false, url = false;
    for (char c : in) {
        if (c == '+' || c == '/') standard = true;
        else if (c == '-' || c == '_') url = true;
    }
    if (standard && url) return false;
    bool padded = !in.empty() && in.back() == '=';
    if (standard) {
        variant = padded ? sodium_base64_VARIANT_ORIGINAL
                         : sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
    } else {
        variant = padded ? sodium_base64_VARIANT_URLSAFE
                         : sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    }
    return true;
}

}  // namespace

bool base64_decode(std::string_view in, std::string &out) {
    int variant = 0;
    if (!choose_variant(in, variant)) return false;
    // At most 3 bytes per 4 characters (rounded up); resize() within the
    // existing capacity does not allocate, so a reused `out` stays put.
    out.resize(in.size() / 4 * 3 + 3);
    size_t bin_len = 0;
    // b64_end is null: libsodium then fails on any character it did not
    // consume, instead of stopping there.
    if (!in.empty() &&
        sodium_base642bin(reinterpret_cast<unsigned char *>(out.data()), out.size(), in.data(),
                          in.size(), nullptr, &bin_len, nullptr, variant) != 0) {
        out.clear();
        return false;
    }
    out.resize(bin_len);
    return true;
}

void base64url_encode(std::string_view bytes, std::string &out) {
    const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    // sodium_base64_encoded_len counts the terminating NUL.
    size_t with_nul = sodium_base64_encoded_len(bytes.size(), variant);
    out.resize(with_nul);
    sodium_bin2base64(out.data(), with_nul, reinterpret_cast<const unsigned char *>(bytes.data()),
                      bytes.size(), variant);
    out.resize(with_nul - 1);
}

std::string base64url_encode(std::string_view bytes) {
    std::string out;
    base64url_encode(bytes, out);
    return out;
}

}  // namespace s2s
