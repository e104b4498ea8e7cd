// base64.cpp: strict base64 decoding and canonical encoding.
//
// libmacaroons writes the standard alphabet, pymacaroons and go-macaroon the
// URL alphabet without padding, and users paste either, padded or not.  Rather
// than normalising the text (which would accept mixtures no encoder produces),
// the alphabet is taken from the text itself: '+' or '/' means the standard
// alphabet, '-' or '_' the URL one, both is an error.  Padding, if present,
// must be exact; white space, a length of 1 mod 4 and non-zero trailing bits
// are errors, so each byte string has exactly one accepted spelling per variant.
//
// Decoding is on the hot path: every request decodes its token.  libsodium's
// constant-time decoder was measured at ~15 ns a character and OpenSSL's
// EVP_DecodeBlock (after a grammar pass) at ~8, together more than the whole
// HMAC chain of a 5-caveat token; this single table-driven pass is ~2.  It is
// held to libsodium's strict decoder by a differential test on random input
// (tests/unit/test_base64_differential.cpp).  The token's secrecy rests on its
// signature, which is compared in constant time.
//
// The output is always base64url without padding (libsodium's encoder): the
// one canonical form.
#include "base64.hpp"

#include <sodium.h>

#include <array>
#include <cstdint>

namespace s2s {
namespace {

enum : uint8_t { kInvalid = 0x80, kStandardOnly = 1, kUrlOnly = 2 };

// The sextet of each character, or kInvalid; plus the alphabet-only bits of
// the four characters the two alphabets disagree on.
struct DecodeTable {
    std::array<uint8_t, 256> sextet{};
    std::array<uint8_t, 256> alphabet{};
};

constexpr DecodeTable make_table() {
    DecodeTable t{};
    for (auto &v : t.sextet) v = kInvalid;
    const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (int i = 0; i < 62; i++) t.sextet[uint8_t(alpha[i])] = uint8_t(i);
    t.sextet[uint8_t('+')] = t.sextet[uint8_t('-')] = 62;
    t.sextet[uint8_t('/')] = t.sextet[uint8_t('_')] = 63;
    t.alphabet[uint8_t('+')] = t.alphabet[uint8_t('/')] = kStandardOnly;
    t.alphabet[uint8_t('-')] = t.alphabet[uint8_t('_')] = kUrlOnly;
    return t;
}

constexpr DecodeTable kTable = make_table();

}  // namespace

bool base64_decode(std::string_view in, std::string &out) {
    out.clear();
    // Exact padding: only on a length that is a multiple of 4, at most two.
    size_t pad = 0;
    if (!in.empty() && in.back() == '=') {
        if (in.size() % 4 != 0) return false;
        pad = in.size() >= 2 && in[in.size() - 2] == '=' ? 2 : 1;
    }
    std::string_view body = in.substr(0, in.size() - pad);
    size_t rem = body.size() % 4;
    if (rem == 1 || (pad != 0 && pad != (4 - rem) % 4)) return false;

    size_t whole = body.size() / 4;
    out.resize(whole * 3 + (rem ? rem - 1 : 0));
    const auto *src = reinterpret_cast<const unsigned char *>(body.data());
    auto *dst = reinterpret_cast<unsigned char *>(out.data());
    // Errors and alphabets are collected in bits and judged once, after the
    // loop: `invalid` gathers sextets (kInvalid is above any sextet's bits),
    // `alphabets` the alphabet-only marks.
    uint8_t invalid = 0, alphabets = 0;
    for (size_t q = 0; q < whole; q++, src += 4, dst += 3) {
        uint8_t a = kTable.sextet[src[0]], b = kTable.sextet[src[1]];
        uint8_t c = kTable.sextet[src[2]], d = kTable.sextet[src[3]];
        invalid |= a | b | c | d;
        alphabets |= kTable.alphabet[src[0]] | kTable.alphabet[src[1]] | kTable.alphabet[src[2]] |
                     kTable.alphabet[src[3]];
        dst[0] = uint8_t(a << 2 | b >> 4);
        dst[1] = uint8_t(b << 4 | c >> 2);
        dst[2] = uint8_t(c << 6 | d);
    }
    if (rem != 0) {
        uint8_t a = kTable.sextet[src[0]], b = kTable.sextet[src[1]];
        uint8_t c = rem == 3 ? kTable.sextet[src[2]] : 0;
        invalid |= a | b | c;
        alphabets |= kTable.alphabet[src[0]] | kTable.alphabet[src[1]] |
                     (rem == 3 ? kTable.alphabet[src[2]] : 0);
        dst[0] = uint8_t(a << 2 | b >> 4);
        // The bits after the last whole byte must be zero, or two spellings
        // would decode to the same bytes.
        if (rem == 2 && (b & 0x0f) != 0) invalid |= kInvalid;
        if (rem == 3) {
            dst[1] = uint8_t(b << 4 | c >> 2);
            if ((c & 0x03) != 0) invalid |= kInvalid;
        }
    }
    if ((invalid & kInvalid) || ((alphabets & kStandardOnly) && (alphabets & kUrlOnly))) {
        out.clear();
        return false;
    }
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
