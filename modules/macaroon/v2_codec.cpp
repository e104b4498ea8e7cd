// v2_codec.cpp: the V2 binary format (libmacaroons doc/format.txt, go-macaroon,
// pymacaroons).
//
//     0x02  [location] identifier EOS  ( [location] identifier [vid] EOS )*  EOS  signature
//
// Every field is "type uvarint, length uvarint, data"; EOS is the single byte
// 0.  The grammar is strict: field types strictly increase within a section,
// only the types the grammar names are accepted where it names them, a
// first-party caveat carries no location, varints are minimal and below 2^32,
// every length stays inside the buffer, and the signature is 32 bytes.
//
// decode_v2 reads one macaroon from the front of its input and reports where
// it ended, so that a stack (go-macaroon's concatenated slice) is read by
// repeated calls.
#include "codec_util.hpp"
#include "macaroon.hpp"

namespace s2s {
namespace {

constexpr uint8_t kVersion = 2;
enum FieldType : uint64_t {
    kEos = 0,
    kLocation = 1,
    kIdentifier = 2,
    kVid = 4,
    kSignature = 6,
};
constexpr uint64_t kMaxVarint = 0xffffffffu;

class Reader {
public:
    Reader(std::string_view bytes, ParseError &pe) : bytes_(bytes), pe_(pe) {}

    size_t pos() const { return pos_; }

    // A minimal unsigned LEB128 varint below 2^32.
    bool varint(uint64_t &out) {
        uint64_t value = 0;
        for (unsigned shift = 0;; shift += 7) {
            if (pos_ >= bytes_.size()) return fail("V2 varint runs past the end of the token");
            auto b = static_cast<uint8_t>(bytes_[pos_++]);
            value |= static_cast<uint64_t>(b & 0x7f) << shift;
            if (value > kMaxVarint) return fail("V2 varint is 2^32 or more");
            if ((b & 0x80) == 0) {
                // A last byte of zero after others adds nothing: a longer
                // spelling of a shorter varint.
                if (b == 0 && shift > 0) return fail("V2 varint is not minimally encoded");
                out = value;
                return true;
            }
            if (shift >= 28) return fail("V2 varint is 2^32 or more");
        }
    }

    // One field; for EOS `data` is empty.
    bool field(uint64_t &type, std::string_view &data) {
        if (!varint(type)) return false;
        data = {};
        if (type == kEos) return true;
        uint64_t len = 0;
        if (!varint(len)) return false;
        if (len > bytes_.size() - pos_) return fail("V2 field length runs past the end of the token");
        data = bytes_.substr(pos_, len);
        pos_ += len;
        return true;
    }

    bool fail(const char *what) {
        pe_.set(what, pos_);
        return false;
    }

private:
    std::string_view bytes_;
    ParseError &pe_;
    size_t pos_ = 0;
};

bool read_header(Reader &r, Macaroon &out) {
    uint64_t type = 0;
    std::string_view data;
    if (!r.field(type, data)) return false;
    if (type == kLocation) {
        out.location.assign(data);
        if (!r.field(type, data)) return false;
    } else {
        out.location.clear();
    }
    if (type != kIdentifier) {
        if (type == kEos) return r.fail("V2 header has no identifier");
        return r.fail(type == kLocation ? "V2 header field is duplicated or out of order"
                                        : "V2 header has an unexpected field");
    }
    out.identifier.assign(data);
    if (!r.field(type, data)) return false;
    if (type != kEos) {
        return r.fail(type <= kIdentifier ? "V2 header field is duplicated or out of order"
                                          : "V2 header has an unexpected field");
    }
    return true;
}

bool check_caveat_field(Reader &r, std::string_view data, const Limits &limits, ParseError &pe) {
    if (data.size() > limits.max_caveat_bytes) {
        pe.set("caveat is larger than max_caveat_bytes", r.pos(), true);
        return false;
    }
    return true;
}

// One caveat section, whose first field (type, data) has been read already.
bool read_caveat(Reader &r, uint64_t type, std::string_view data, const Limits &limits,
                 Caveat &c, ParseError &pe) {
    bool has_location = false;
    if (type == kLocation) {
        if (!check_caveat_field(r, data, limits, pe)) return false;
        c.location.assign(data);
        has_location = true;
        if (!r.field(type, data)) return false;
    } else {
        c.location.clear();
    }
    if (type != kIdentifier) {
        if (type == kEos) return r.fail("V2 caveat has no identifier");
        return r.fail(type < kIdentifier ? "V2 caveat field is duplicated or out of order"
                                         : "V2 caveat has no identifier");
    }
    if (!check_caveat_field(r, data, limits, pe)) return false;
    c.id.assign(data);
    if (!r.field(type, data)) return false;
    if (type == kEos) {
        if (has_location) return r.fail("V2 first-party caveat has a location");
        c.vid.clear();
        return true;
    }
    if (type != kVid) {
        return r.fail(type <= kIdentifier ? "V2 caveat field is duplicated or out of order"
                                          : "V2 caveat has an unexpected field");
    }
    if (data.empty()) return r.fail("V2 vid is empty");
    if (!check_caveat_field(r, data, limits, pe)) return false;
    c.vid.assign(data);
    if (!r.field(type, data)) return false;
    if (type != kEos) {
        return r.fail(type <= kVid ? "V2 caveat field is duplicated or out of order"
                                   : "V2 caveat has an unexpected field");
    }
    return true;
}

void append_varint(std::string &out, uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

void append_field(std::string &out, FieldType type, std::string_view data) {
    append_varint(out, type);
    append_varint(out, data.size());
    out.append(data);
}

}  // namespace

bool decode_v2(std::string_view bytes, const Limits &limits, Macaroon &out, size_t &consumed,
               ParseError &pe) {
    if (!codec::check_token_size(bytes, limits, pe)) return false;
    if (bytes.empty() || static_cast<uint8_t>(bytes[0]) != kVersion) {
        pe.set("V2 token does not start with version byte 2", 0);
        return false;
    }
    Reader r(bytes.substr(1), pe);
    if (!read_header(r, out)) {
        pe.offset += 1;
        return false;
    }
    size_t n_caveats = 0;
    for (;;) {
        uint64_t type = 0;
        std::string_view data;
        if (!r.field(type, data)) break;
        if (type == kEos) {
            // End of the caveats: the signature follows.
            if (!r.field(type, data)) break;
            if (type != kSignature) {
                r.fail("V2 signature field is missing");
                break;
            }
            if (data.size() != kHashBytes) {
                r.fail("V2 signature is not 32 bytes");
                break;
            }
            std::copy(data.begin(), data.end(), out.signature.begin());
            out.caveats.resize(n_caveats);
            consumed = 1 + r.pos();
            return true;
        }
        if (n_caveats >= limits.max_caveats) {
            pe.set("token has more than max_caveats caveats", r.pos(), true);
            break;
        }
        if (!read_caveat(r, type, data, limits, codec::caveat_slot(out, n_caveats), pe)) break;
        n_caveats++;
    }
    pe.offset += 1;  // the version byte
    return false;
}

void encode_v2(const Macaroon &m, std::string &bytes_out) {
    bytes_out.clear();
    bytes_out.push_back(static_cast<char>(kVersion));
    // go-macaroon omits an empty location; so do we (pymacaroons writes an
    // empty one, which decodes to the same macaroon).
    if (!m.location.empty()) append_field(bytes_out, kLocation, m.location);
    append_field(bytes_out, kIdentifier, m.identifier);
    bytes_out.push_back(kEos);
    for (const Caveat &c : m.caveats) {
        if (c.third_party() && !c.location.empty()) append_field(bytes_out, kLocation, c.location);
        append_field(bytes_out, kIdentifier, c.id);
        if (c.third_party()) append_field(bytes_out, kVid, c.vid);
        bytes_out.push_back(kEos);
    }
    bytes_out.push_back(kEos);
    append_field(bytes_out, kSignature, codec::as_view(m.signature));
}

}  // namespace s2s
