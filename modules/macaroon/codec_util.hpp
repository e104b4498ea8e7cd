// codec_util.hpp: small helpers shared by the macaroon codecs.
//
// Parsers fill a caller-owned Macaroon in place: caveat slots left over from
// an earlier parse are reused (their strings keep their capacity), so a
// verifier that parses into one Macaroon per thread stops allocating once it
// has seen its largest token.
#pragma once

#include <string_view>

#include "macaroon.hpp"

namespace s2s::codec {

// The caveat slot `index` of `m`, appended if the vector is shorter.  The
// caller resizes the vector to the final count when the parse ends.
inline Caveat &caveat_slot(Macaroon &m, size_t index) {
    if (index >= m.caveats.size()) m.caveats.emplace_back();
    return m.caveats[index];
}

// Every encoded credential is bounded before any byte of it is decoded.
inline bool check_token_size(std::string_view encoded, const Limits &limits, ParseError &pe) {
    if (encoded.size() > limits.max_token_bytes) {
        pe.set("token is larger than max_token_bytes", limits.max_token_bytes, true);
        return false;
    }
    return true;
}

inline std::string_view as_view(const Digest &d) {
    return {reinterpret_cast<const char *>(d.data()), d.size()};
}

}  // namespace s2s::codec
