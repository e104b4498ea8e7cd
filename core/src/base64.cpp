// base64.cpp: strict base64 decoding and canonical encoding.
//
// libmacaroons writes the standard alphabet, pymacaroons and go-macaroon the
// URL alphabet without padding, and users paste either, padded or not.  Rather
// than normalising the text (which would accept mixtures no encoder produces),
// the alphabet is chosen from the text itself: '+' or '/' means the standard
// alphabet, '-' or '_' the URL one, both is an error.  Padding, if present,
// must be exact; white space, a length of 1 mod 4 and non-zero trailing bits
// are errors, so each byte string has exactly one accepted spelling per variant.
//
// Decoding is on the hot path (every request decodes its token), so the bytes
// are decoded by OpenSSL's EVP_DecodeBlock after this file has checked the
// grammar.  libsodium's constant-time decoder was measured at ~15 ns a
// character, more than the whole HMAC chain of a 5-caveat token; the token's
// secrecy rests on its signature, which is compared in constant time.
//
// The output is always base64url without padding (libsodium): the one
// canonical form.
#include "base64.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <array>

namespace s2s {
namespace {

// Per character: its standard-alphabet spelling (0 if not base64) and which
// alphabet it belongs to, so one pass validates, classifies and translates.
enum : uint8_t { kBoth = 1, kStandardOnly = 2, kUrlOnly = 4 };

struct CharInfo {
    std::array<char, 256> to_standard{};
    std::array<uint8_t, 256> alphabet{};
    std::array<uint8_t, 256> sextet{};
};

constexpr CharInfo make_info() {
    CharInfo t{};
    const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (int i = 0; i < 62; i++) {
        t.to_standard[uint8_t(alpha[i])] = alpha[i];
        t.alphabet[uint8_t(alpha[i])] = kBoth;
        t.sextet[uint8_t(alpha[i])] = uint8_t(i);
    }
    t.to_standard[uint8_t('+')] = '+';
    t.to_standard[uint8_t('/')] = '/';
    t.to_standard[uint8_t('-')] = '+';
    t.to_standard[uint8_t('_')] = '/';
    t.alphabet[uint8_t('+')] = t.alphabet[uint8_t('/')] = kStandardOnly;
    t.alphabet[uint8_t('-')] = t.alphabet[uint8_t('_')] = kUrlOnly;
    t.sextet[uint8_t('+')] = t.sextet[uint8_t('-')] = 62;
    t.sextet[uint8_t('/')] = t.sextet[uint8_t('_')] = 63;
    return t;
}

constexpr CharInfo kInfo = make_info();

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

    // One pass: translate to the standard alphabet, collecting which
    // alphabets were seen; a character of neither leaves a zero behind.
    // Thread-local lookups are calls in a shared library: take the address once.
    thread_local std::string quanta_storage;
    std::string &quanta = quanta_storage;
    quanta.resize(body.size());
    uint8_t seen = 0;
    char *dst = quanta.data();
    for (size_t i = 0; i < body.size(); i++) {
        unsigned char c = static_cast<unsigned char>(body[i]);
        dst[i] = kInfo.to_standard[c];
        seen |= kInfo.alphabet[c];
    }
    if ((seen & kStandardOnly) && (seen & kUrlOnly)) return false;
    if (quanta.find('\0') != std::string::npos) return false;
    // The bits after the last whole byte must be zero, or two spellings would
    // decode to the same bytes.
    if (rem != 0 && (kInfo.sextet[uint8_t(body.back())] & (rem == 2 ? 0x0f : 0x03)) != 0) {
        return false;
    }
    // EVP_DecodeBlock takes whole quanta.
    size_t fill = (4 - rem) % 4;
    quanta.append(fill, '=');
    out.resize(quanta.size() / 4 * 3);
    if (quanta.empty()) return true;
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char *>(out.data()),
                            reinterpret_cast<const unsigned char *>(quanta.data()),
                            int(quanta.size()));
    if (n < 0 || size_t(n) != out.size()) {
        out.clear();
        return false;
    }
    out.resize(out.size() - fill);  // EVP_DecodeBlock counts padding as zero bytes
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
