// v1_codec.cpp: the V1 binary format of libmacaroons and pymacaroons.
//
// A V1 macaroon is a run of packets "<4 hex digits>key value\n", where the hex
// number is the whole packet's length (header and newline included), then
// base64 over the lot.  The packet order is fixed by what the libraries write
// and libmacaroons reads:
//
//     location  identifier  ( cid [ vid cl ] )*  signature
//
// libmacaroons, pymacaroons and go-macaroon all write the location packet,
// even when it is empty, and libmacaroons refuses a token without one, so it
// is required here too.  A third-party caveat is always cid, vid, cl in that
// order (libmacaroons writes cl for every third-party caveat, pymacaroons and
// go-macaroon write vid and cl together).
//
// Values are delimited by the packet length only: the key is recognised by
// comparing the packet's start with each known "key " in turn, and the value
// is everything between it and the final newline.  A raw vid may contain
// 0x0a, 0x20 and 0x00, so nothing here scans for a delimiter.  The length
// digits must be lowercase, as libmacaroons both writes and requires them.
#include <array>

#include "codec_util.hpp"
#include "macaroon.hpp"

namespace s2s {
namespace {

constexpr size_t kHeaderBytes = 4;
constexpr size_t kMaxPacketBytes = 0xffff;

enum class Key { location, identifier, cid, vid, cl, signature, unknown };

struct KeyName {
    Key key;
    std::string_view name_sp;  // the key followed by its space
};

constexpr std::array<KeyName, 6> kKeys{{
    {Key::location, "location "},
    {Key::identifier, "identifier "},
    {Key::cid, "cid "},
    {Key::vid, "vid "},
    {Key::cl, "cl "},
    {Key::signature, "signature "},
}};

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

struct Packet {
    Key key = Key::unknown;
    std::string_view value;
    size_t size = 0;
};

// Reads the packet at bytes[pos].
bool read_packet(std::string_view bytes, size_t pos, Packet &p, ParseError &pe) {
    size_t remaining = bytes.size() - pos;
    if (remaining < kHeaderBytes) {
        pe.set("V1 packet header is truncated", pos);
        return false;
    }
    size_t size = 0;
    for (size_t i = 0; i < kHeaderBytes; i++) {
        int v = hex_value(bytes[pos + i]);
        if (v < 0) {
            pe.set("V1 packet length is not 4 lowercase hex digits", pos);
            return false;
        }
        size = size << 4 | static_cast<size_t>(v);
    }
    // The shortest packet is the header, a one-letter key, a space and the newline.
    if (size < kHeaderBytes + 3) {
        pe.set("V1 packet length is shorter than its header", pos);
        return false;
    }
    if (size > remaining) {
        pe.set("V1 packet length runs past the end of the token", pos);
        return false;
    }
    std::string_view body = bytes.substr(pos + kHeaderBytes, size - kHeaderBytes);
    if (body.back() != '\n') {
        pe.set("V1 packet does not end with a newline", pos);
        return false;
    }
    body.remove_suffix(1);
    p.key = Key::unknown;
    for (const KeyName &k : kKeys) {
        if (body.starts_with(k.name_sp)) {
            p.key = k.key;
            p.value = body.substr(k.name_sp.size());
            break;
        }
    }
    if (p.key == Key::unknown) {
        pe.set("V1 packet has an unknown key", pos);
        return false;
    }
    p.size = size;
    return true;
}

// The caveat fields share one per-field bound.
bool check_caveat_field(std::string_view value, const Limits &limits, size_t pos,
                        ParseError &pe) {
    if (value.size() > limits.max_caveat_bytes) {
        pe.set("caveat is larger than max_caveat_bytes", pos, true);
        return false;
    }
    return true;
}

bool append_packet(std::string &out, std::string_view name_sp, std::string_view value) {
    size_t size = kHeaderBytes + name_sp.size() + value.size() + 1;
    if (size > kMaxPacketBytes) return false;
    static constexpr char hex[] = "0123456789abcdef";
    char header[kHeaderBytes] = {hex[size >> 12 & 15], hex[size >> 8 & 15], hex[size >> 4 & 15],
                                 hex[size & 15]};
    out.append(header, kHeaderBytes).append(name_sp).append(value).append(1, '\n');
    return true;
}

}  // namespace

bool decode_v1(std::string_view bytes, const Limits &limits, Macaroon &out, ParseError &pe) {
    if (!codec::check_token_size(bytes, limits, pe)) return false;

    // What the previous packet allows next, besides a new cid or the signature.
    enum class After { start, location, identifier, cid, vid, cl } after = After::start;
    size_t n_caveats = 0;
    size_t pos = 0;
    Packet p;
    while (pos < bytes.size()) {
        if (!read_packet(bytes, pos, p, pe)) return false;
        switch (p.key) {
        case Key::location:
            if (after != After::start) {
                pe.set("V1 location packet is duplicated or out of order", pos);
                return false;
            }
            out.location.assign(p.value);
            after = After::location;
            break;
        case Key::identifier:
            if (after != After::location) {
                pe.set(after == After::start ? "V1 token does not start with a location packet"
                                             : "V1 identifier packet is duplicated",
                       pos);
                return false;
            }
            out.identifier.assign(p.value);
            after = After::identifier;
            break;
        case Key::cid: {
            if (after == After::start || after == After::location) {
                pe.set("V1 cid packet comes before the identifier", pos);
                return false;
            }
            if (after == After::vid) {
                pe.set("V1 vid packet is not followed by a cl packet", pos);
                return false;
            }
            if (n_caveats >= limits.max_caveats) {
                pe.set("token has more than max_caveats caveats", pos, true);
                return false;
            }
            if (!check_caveat_field(p.value, limits, pos, pe)) return false;
            Caveat &c = codec::caveat_slot(out, n_caveats++);
            c.id.assign(p.value);
            c.vid.clear();
            c.location.clear();
            after = After::cid;
            break;
        }
        case Key::vid:
            if (after != After::cid) {
                pe.set(n_caveats == 0 ? "V1 vid packet comes before any cid"
                                      : "V1 vid packet is duplicated or out of order",
                       pos);
                return false;
            }
            if (p.value.empty()) {
                pe.set("V1 vid packet is empty", pos);
                return false;
            }
            if (!check_caveat_field(p.value, limits, pos, pe)) return false;
            out.caveats[n_caveats - 1].vid.assign(p.value);
            after = After::vid;
            break;
        case Key::cl:
            if (after != After::vid) {
                pe.set(n_caveats == 0 ? "V1 cl packet comes before any cid"
                                      : "V1 cl packet does not follow a vid packet",
                       pos);
                return false;
            }
            if (!check_caveat_field(p.value, limits, pos, pe)) return false;
            out.caveats[n_caveats - 1].location.assign(p.value);
            after = After::cl;
            break;
        case Key::signature:
            if (after == After::start || after == After::location) {
                pe.set("V1 signature packet comes before the identifier", pos);
                return false;
            }
            if (after == After::vid) {
                pe.set("V1 vid packet is not followed by a cl packet", pos);
                return false;
            }
            if (p.value.size() != kHashBytes) {
                pe.set("V1 signature is not 32 bytes", pos);
                return false;
            }
            if (pos + p.size != bytes.size()) {
                pe.set("trailing bytes after the V1 signature", pos + p.size);
                return false;
            }
            std::copy(p.value.begin(), p.value.end(), out.signature.begin());
            out.caveats.resize(n_caveats);
            return true;
        case Key::unknown:
            break;  // read_packet has already failed
        }
        pos += p.size;
    }
    pe.set(bytes.empty() ? "V1 token is empty" : "V1 signature packet is missing", pos);
    return false;
}

bool encode_v1(const Macaroon &m, std::string &bytes_out) {
    bytes_out.clear();
    bool ok = append_packet(bytes_out, "location ", m.location) &&
              append_packet(bytes_out, "identifier ", m.identifier);
    for (const Caveat &c : m.caveats) {
        ok = ok && append_packet(bytes_out, "cid ", c.id);
        if (c.third_party()) {
            ok = ok && append_packet(bytes_out, "vid ", c.vid) &&
                 append_packet(bytes_out, "cl ", c.location);
        }
    }
    ok = ok && append_packet(bytes_out, "signature ", codec::as_view(m.signature));
    if (!ok) bytes_out.clear();
    return ok;
}

}  // namespace s2s
