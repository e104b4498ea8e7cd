// stack_codec.cpp: telling the formats apart, and stacks of macaroons.
//
// A credential is one text.  Its first character and, once base64-decoded,
// its first byte decide the format, and nothing else is tried afterwards:
//
//   '{'           a V2 JSON macaroon
//   '['           a V2 JSON array: a stack (decode_stack only)
//   base64, 0x02  V2 binary; for a stack, V2 macaroons back to back
//                 (go-macaroon's slice encoding) until the bytes end
//   base64, hex   V1 (4 lowercase hex digits of a packet length)
//
// The size limit is checked on the text before a byte of it is decoded.  A
// stack is written as concatenated V2 binary in base64url without padding,
// the root first.
#include "base64.hpp"
#include "codec_util.hpp"
#include "macaroon.hpp"

namespace s2s {
namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool looks_v1(std::string_view bytes) {
    return bytes.size() >= 4 && is_hex(bytes[0]) && is_hex(bytes[1]) && is_hex(bytes[2]) &&
           is_hex(bytes[3]);
}

constexpr char kV2Version = 0x02;

// Decodes the base64 of `text` into `scratch`; the common start of both entries.
bool decode_base64(std::string_view text, const Limits &limits, std::string &scratch,
                   ParseError &pe) {
    if (text.empty()) {
        pe.set("token is empty");
        return false;
    }
    if (!codec::check_token_size(text, limits, pe)) return false;
    if (!base64_decode(text, scratch)) {
        pe.set("token is not valid base64 (or mixes alphabets, or has white space)");
        return false;
    }
    if (scratch.empty()) {
        pe.set("token is empty");
        return false;
    }
    return true;
}

}  // namespace

bool decode_any(std::string_view text, const Limits &limits, Macaroon &out,
                std::string &scratch, ParseError &pe) {
    pe = ParseError{};
    if (!text.empty() && text.front() == '{') {
        return decode_v2_json(text, limits, out, pe);
    }
    if (!decode_base64(text, limits, scratch, pe)) return false;
    std::string_view bytes = scratch;
    if (bytes.front() == kV2Version) {
        size_t consumed = 0;
        if (!decode_v2(bytes, limits, out, consumed, pe)) return false;
        if (consumed != bytes.size()) {
            pe.set("trailing bytes after the V2 macaroon", consumed);
            return false;
        }
        return true;
    }
    if (looks_v1(bytes)) return decode_v1(bytes, limits, out, pe);
    pe.set("token is neither V1, V2 nor V2 JSON");
    return false;
}

bool decode_stack(std::string_view text, const Limits &limits, std::vector<Macaroon> &out,
                  std::string &scratch, ParseError &pe) {
    pe = ParseError{};
    if (!text.empty() && text.front() == '[') {
        return decode_v2_json_array(text, limits, out, pe);
    }
    if (!text.empty() && text.front() == '{') {
        if (out.empty()) out.resize(1);
        if (!decode_v2_json(text, limits, out[0], pe)) return false;
        out.resize(1);
        return true;
    }
    if (!decode_base64(text, limits, scratch, pe)) return false;
    std::string_view bytes = scratch;
    if (bytes.front() != kV2Version) {
        if (!looks_v1(bytes)) {
            pe.set("token is neither V1, V2 nor V2 JSON");
            return false;
        }
        if (out.empty()) out.resize(1);
        if (!decode_v1(bytes, limits, out[0], pe)) return false;
        out.resize(1);
        return true;
    }
    const size_t max_count = 1 + limits.max_discharges;
    size_t n = 0;
    size_t pos = 0;
    while (pos < bytes.size()) {
        if (n == max_count) {
            pe.set("stack has more than max_discharges discharges", pos, true);
            return false;
        }
        if (n == out.size()) out.emplace_back();
        size_t consumed = 0;
        if (!decode_v2(bytes.substr(pos), limits, out[n], consumed, pe)) {
            pe.offset += pos;
            return false;
        }
        pos += consumed;
        n++;
    }
    out.resize(n);
    return true;
}

void encode_stack(const std::vector<const Macaroon *> &ms, std::string &text_out) {
    std::string bytes, one;
    for (const Macaroon *m : ms) {
        encode_v2(*m, one);
        bytes.append(one);
    }
    base64url_encode(bytes, text_out);
}

}  // namespace s2s
