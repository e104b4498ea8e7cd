// digest.cpp: SHA-256 fingerprints and pin normalization.
#include "mtls/digest.hpp"

#include <array>
#include <cstdint>

#include <openssl/evp.h>

namespace s2s::mtls {
namespace {

constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void b64url_32(const uint8_t *d, std::string &out) {
    out.clear();
    out.reserve(43);
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < 32; i++) {
        acc = (acc << 8) | d[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(kB64Url[(acc >> bits) & 0x3f]);
        }
    }
    if (bits > 0) out.push_back(kB64Url[(acc << (6 - bits)) & 0x3f]);
}

bool sha256(std::string_view bytes, std::array<uint8_t, 32> &md) {
    unsigned int len = 0;
    return EVP_Digest(bytes.data(), bytes.size(), md.data(), &len, EVP_sha256(), nullptr) == 1 &&
           len == md.size();
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int b64url_value(char c) {
    for (int i = 0; i < 64; i++) {
        if (kB64Url[i] == c) return i;
    }
    return -1;
}

}  // namespace

bool sha256_b64url(std::string_view bytes, std::string &out) {
    std::array<uint8_t, 32> md{};
    if (!sha256(bytes, md)) return false;
    b64url_32(md.data(), out);
    return true;
}

bool sha256_hex(std::string_view bytes, std::string &out) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::array<uint8_t, 32> md{};
    if (!sha256(bytes, md)) return false;
    out.clear();
    for (uint8_t b : md) {
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 0xf]);
    }
    return true;
}

bool normalize_pin(std::string_view text, std::string &out) {
    std::array<uint8_t, 32> md{};
    if (text.size() == 43) {
        uint32_t acc = 0;
        int bits = 0;
        size_t n = 0;
        for (char c : text) {
            int v = b64url_value(c);
            if (v < 0) return false;
            acc = (acc << 6) | static_cast<uint32_t>(v);
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                md[n++] = static_cast<uint8_t>(acc >> bits);
            }
        }
        // 43 characters carry 258 bits: the 2 left over must be zero, so each
        // pin has exactly one spelling.
        if (n != 32 || (acc & ((1u << bits) - 1)) != 0) return false;
    } else {
        size_t n = 0;
        size_t i = 0;
        while (i < text.size()) {
            if (n == 32) return false;
            if (i + 1 >= text.size()) return false;
            int hi = hex_value(text[i]);
            int lo = hex_value(text[i + 1]);
            if (hi < 0 || lo < 0) return false;
            md[n++] = static_cast<uint8_t>(hi << 4 | lo);
            i += 2;
            if (i < text.size() && text[i] == ':') {
                i++;
                if (i == text.size()) return false;
            }
        }
        if (n != 32) return false;
    }
    b64url_32(md.data(), out);
    return true;
}

}  // namespace s2s::mtls
