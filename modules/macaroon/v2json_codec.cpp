// v2json_codec.cpp: the V2 JSON format (libmacaroons doc/format.txt).
//
//     {"v":2, "l":loc, "i"|"i64":id, "c":[{"i"|"i64":cid, "v"|"v64":vid, "l":cl}],
//      "s"|"s64":sig}
//
// Parsing uses jansson with JSON_REJECT_DUPLICATES, then checks the shape
// strictly: every key must be one the format defines, "x" and "x64" may not
// both be present, every value has its one JSON type, "v" (optional: neither
// go-macaroon nor pymacaroons writes it; libmacaroons does) must be the number
// 2, a caveat location needs a vid, and the signature is 32 bytes.  The text
// must start with '{' and end with '}' (no white space around it, nothing
// after it).  "x64" values are base64 in either alphabet, padded or not, as
// the format asks (strict: see base64.cpp).
//
// Writing follows go-macaroon's choices exactly: fields in the order c, l,
// i|i64, s|s64 (caveats: i|i64, v|v64, l), no "v" field, empty fields left
// out, and a binary field is written as a JSON string when it is valid UTF-8
// and its JSON spelling (as Go escapes it) is no longer than its base64url
// spelling plus two; otherwise as "x64" in base64url without padding.  So
// identifiers and first-party caveats come out as text, and signatures and
// vids (random bytes) as s64 and v64.  The escaping inside strings is
// jansson's, which differs from Go's only in spelling (Go writes "<" as
// "\u003c"); every JSON reader sees the same values.
#include <jansson.h>

#include <cstring>
#include <memory>

#include "base64.hpp"
#include "codec_util.hpp"
#include "macaroon.hpp"

namespace s2s {
namespace {

struct JsonDeleter {
    void operator()(json_t *j) const { json_decref(j); }
};
using JsonPtr = std::unique_ptr<json_t, JsonDeleter>;

// The messages for one binary field, as static strings for ParseError.
struct BinaryField {
    const char *name;
    const char *name64;
    const char *both;       // "x" and "x64" both present
    const char *not_string; // either is not a JSON string
    const char *bad_base64; // "x64" does not decode
};

constexpr BinaryField kIdentifier{"i", "i64", "V2 JSON has both i and i64",
                                  "V2 JSON i/i64 is not a string", "V2 JSON i64 is not valid base64"};
constexpr BinaryField kSignature{"s", "s64", "V2 JSON has both s and s64",
                                 "V2 JSON s/s64 is not a string", "V2 JSON s64 is not valid base64"};
constexpr BinaryField kCaveatId{"i", "i64", "V2 JSON caveat has both i and i64",
                                "V2 JSON caveat i/i64 is not a string",
                                "V2 JSON caveat i64 is not valid base64"};
constexpr BinaryField kVid{"v", "v64", "V2 JSON caveat has both v and v64",
                           "V2 JSON caveat v/v64 is not a string",
                           "V2 JSON caveat v64 is not valid base64"};

// Reads field `f` of `obj` into `out`; `present` says whether it was there.
bool read_binary(json_t *obj, const BinaryField &f, std::string &out, bool &present,
                 ParseError &pe) {
    json_t *text = json_object_get(obj, f.name);
    json_t *b64 = json_object_get(obj, f.name64);
    present = text != nullptr || b64 != nullptr;
    if (text != nullptr && b64 != nullptr) {
        pe.set(f.both);
        return false;
    }
    if (text != nullptr) {
        if (!json_is_string(text)) {
            pe.set(f.not_string);
            return false;
        }
        out.assign(json_string_value(text), json_string_length(text));
    } else if (b64 != nullptr) {
        if (!json_is_string(b64)) {
            pe.set(f.not_string);
            return false;
        }
        if (!base64_decode({json_string_value(b64), json_string_length(b64)}, out)) {
            pe.set(f.bad_base64);
            return false;
        }
    } else {
        out.clear();
    }
    return true;
}

bool only_keys(json_t *obj, std::initializer_list<const char *> allowed) {
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        (void)value;
        bool known = false;
        for (const char *a : allowed) known = known || std::strcmp(key, a) == 0;
        if (!known) return false;
    }
    return true;
}

bool read_caveat(json_t *obj, const Limits &limits, Caveat &c, ParseError &pe) {
    if (!json_is_object(obj)) {
        pe.set("V2 JSON caveat is not an object");
        return false;
    }
    if (!only_keys(obj, {"i", "i64", "v", "v64", "l"})) {
        pe.set("V2 JSON caveat has an unknown key");
        return false;
    }
    bool has_id = false, has_vid = false;
    if (!read_binary(obj, kCaveatId, c.id, has_id, pe)) return false;
    if (!has_id) {
        pe.set("V2 JSON caveat has no i or i64");
        return false;
    }
    if (!read_binary(obj, kVid, c.vid, has_vid, pe)) return false;
    if (has_vid && c.vid.empty()) {
        pe.set("V2 JSON caveat vid is empty");
        return false;
    }
    json_t *loc = json_object_get(obj, "l");
    if (loc != nullptr) {
        if (!json_is_string(loc)) {
            pe.set("V2 JSON caveat l is not a string");
            return false;
        }
        if (!has_vid) {
            pe.set("V2 JSON first-party caveat has a location");
            return false;
        }
        c.location.assign(json_string_value(loc), json_string_length(loc));
    } else {
        c.location.clear();
    }
    if (c.id.size() > limits.max_caveat_bytes || c.vid.size() > limits.max_caveat_bytes ||
        c.location.size() > limits.max_caveat_bytes) {
        pe.set("caveat is larger than max_caveat_bytes", 0, true);
        return false;
    }
    return true;
}

bool read_macaroon(json_t *obj, const Limits &limits, Macaroon &out, ParseError &pe) {
    if (!json_is_object(obj)) {
        pe.set("V2 JSON macaroon is not an object");
        return false;
    }
    if (!only_keys(obj, {"v", "l", "i", "i64", "c", "s", "s64"})) {
        pe.set("V2 JSON macaroon has an unknown key");
        return false;
    }
    json_t *version = json_object_get(obj, "v");
    if (version != nullptr && !(json_is_integer(version) && json_integer_value(version) == 2)) {
        pe.set("V2 JSON v is not the number 2");
        return false;
    }
    json_t *loc = json_object_get(obj, "l");
    if (loc != nullptr) {
        if (!json_is_string(loc)) {
            pe.set("V2 JSON l is not a string");
            return false;
        }
        out.location.assign(json_string_value(loc), json_string_length(loc));
    } else {
        out.location.clear();
    }
    bool present = false;
    if (!read_binary(obj, kIdentifier, out.identifier, present, pe)) return false;
    if (!present) {
        pe.set("V2 JSON has no i or i64");
        return false;
    }

    // The signature is checked before the caveats so that a token without one
    // fails on that, whatever its caveats.
    thread_local std::string signature;
    if (!read_binary(obj, kSignature, signature, present, pe)) return false;
    if (!present) {
        pe.set("V2 JSON has no s or s64");
        return false;
    }
    if (signature.size() != kHashBytes) {
        pe.set("V2 JSON signature is not 32 bytes");
        return false;
    }
    std::copy(signature.begin(), signature.end(), out.signature.begin());

    json_t *caveats = json_object_get(obj, "c");
    size_t n = 0;
    if (caveats != nullptr) {
        if (!json_is_array(caveats)) {
            pe.set("V2 JSON c is not an array");
            return false;
        }
        n = json_array_size(caveats);
        if (n > limits.max_caveats) {
            pe.set("token has more than max_caveats caveats", 0, true);
            return false;
        }
        for (size_t i = 0; i < n; i++) {
            if (!read_caveat(json_array_get(caveats, i), limits, codec::caveat_slot(out, i), pe)) {
                pe.offset = i;
                return false;
            }
        }
    }
    out.caveats.resize(n);
    return true;
}

// Parses `text`, which must be exactly one JSON value opening with `open`
// and closing with `close`.
JsonPtr load(std::string_view text, char open, char close, ParseError &pe) {
    if (text.empty() || text.front() != open || text.back() != close) {
        pe.set("V2 JSON text has bytes before or after the JSON value");
        return nullptr;
    }
    json_error_t error;
    JsonPtr root(json_loadb(text.data(), text.size(), JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
                            &error));
    if (!root) {
        // jansson reports duplicate keys as a parse error too.
        pe.set(std::strstr(error.text, "duplicate") != nullptr ? "V2 JSON has a duplicate key"
                                                                : "V2 JSON does not parse",
               static_cast<size_t>(error.position));
    }
    return root;
}

// The length of `s` inside a JSON string as Go's encoding/json writes it.
size_t go_json_length(std::string_view s) {
    size_t n = 0;
    for (size_t i = 0; i < s.size(); i++) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t') {
            n += 2;
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            n += 6;
        } else if (c == 0xe2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                   (static_cast<unsigned char>(s[i + 2]) & 0xfe) == 0xa8) {
            n += 6;  // U+2028, U+2029
            i += 2;
        } else {
            n += 1;
        }
    }
    return n;
}

// Sets `name` (text) or `name64` (base64url) on `obj`, as go-macaroon chooses.
bool put_binary(json_t *obj, const char *name, const char *name64, std::string_view bytes) {
    size_t b64_len = (bytes.size() * 4 + 2) / 3;
    // json_stringn refuses invalid UTF-8, which is the first test.
    JsonPtr text(json_stringn(bytes.data(), bytes.size()));
    if (text && go_json_length(bytes) <= b64_len + 2) {
        return json_object_set(obj, name, text.get()) == 0;
    }
    std::string b64 = base64url_encode(bytes);
    return json_object_set_new(obj, name64, json_stringn(b64.data(), b64.size())) == 0;
}

bool put_text(json_t *obj, const char *name, std::string_view text) {
    json_t *s = json_stringn(text.data(), text.size());
    return s != nullptr && json_object_set_new(obj, name, s) == 0;
}

}  // namespace

bool decode_v2_json(std::string_view text, const Limits &limits, Macaroon &out, ParseError &pe) {
    if (!codec::check_token_size(text, limits, pe)) return false;
    JsonPtr root = load(text, '{', '}', pe);
    return root && read_macaroon(root.get(), limits, out, pe);
}

bool decode_v2_json_array(std::string_view text, const Limits &limits,
                          std::vector<Macaroon> &out, ParseError &pe) {
    if (!codec::check_token_size(text, limits, pe)) return false;
    JsonPtr root = load(text, '[', ']', pe);
    if (!root) return false;
    size_t n = json_array_size(root.get());
    if (n == 0) {
        pe.set("V2 JSON stack is empty");
        return false;
    }
    if (n > 1 + limits.max_discharges) {
        pe.set("stack has more than max_discharges discharges", n, true);
        return false;
    }
    if (out.size() < n) out.resize(n);
    for (size_t i = 0; i < n; i++) {
        if (!read_macaroon(json_array_get(root.get(), i), limits, out[i], pe)) return false;
    }
    out.resize(n);
    return true;
}

bool encode_v2_json(const Macaroon &m, std::string &text_out) {
    text_out.clear();
    JsonPtr root(json_object());
    if (!root) return false;
    bool ok = true;
    if (!m.caveats.empty()) {
        json_t *caveats = json_array();
        ok = caveats != nullptr && json_object_set_new(root.get(), "c", caveats) == 0;
        for (size_t i = 0; ok && i < m.caveats.size(); i++) {
            const Caveat &c = m.caveats[i];
            json_t *cav = json_object();
            ok = cav != nullptr && json_array_append_new(caveats, cav) == 0 &&
                 put_binary(cav, "i", "i64", c.id);
            if (ok && c.third_party()) {
                ok = put_binary(cav, "v", "v64", c.vid) &&
                     (c.location.empty() || put_text(cav, "l", c.location));
            }
        }
    }
    ok = ok && (m.location.empty() || put_text(root.get(), "l", m.location)) &&
         put_binary(root.get(), "i", "i64", m.identifier) &&
         put_binary(root.get(), "s", "s64", codec::as_view(m.signature));
    if (!ok) return false;
    const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER;
    size_t len = json_dumpb(root.get(), nullptr, 0, flags);
    if (len == 0) return false;
    text_out.resize(len);
    if (json_dumpb(root.get(), text_out.data(), len, flags) != len) {
        text_out.clear();
        return false;
    }
    return true;
}

}  // namespace s2s
