// fuzz_v2json.cpp: the V2 JSON decoder, single macaroons and arrays (stacks).
//
// Properties: an accepted macaroon keeps the limits; decoding into a reused,
// dirty Macaroon gives the same value; re-encoding (when every location is
// UTF-8, which the encoder requires) gives JSON that decodes to the same
// macaroon.  JSON spellings are many (white space, key order, i vs i64), so
// the bytes themselves are not compared.
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string_view in = fuzz::as_text(data, size);
    s2s::Limits limits;
    s2s::ParseError pe;
    // A canonical re-encoding may be longer than the accepted text (base64
    // of raw JSON strings), so it is decoded without the size limit.
    s2s::Limits loose = limits;
    loose.max_token_bytes = size_t(1) << 30;

    s2s::Macaroon fresh;
    bool ok = s2s::decode_v2_json(in, limits, fresh, pe);
    s2s::Macaroon reused;
    fuzz::dirty(reused);
    FUZZ_CHECK(s2s::decode_v2_json(in, limits, reused, pe) == ok);
    if (ok) {
        FUZZ_CHECK(fuzz::equal(fresh, reused));
        FUZZ_CHECK(fuzz::within(fresh, limits));
        std::string encoded;
        if (s2s::encode_v2_json(fresh, encoded)) {
            s2s::Macaroon again;
            FUZZ_CHECK(s2s::decode_v2_json(encoded, loose, again, pe));
            FUZZ_CHECK(fuzz::equal(fresh, again));
        } else {
            FUZZ_CHECK(encoded.empty());
        }
    }

    std::vector<s2s::Macaroon> stack(2);
    fuzz::dirty(stack[0]);
    if (s2s::decode_v2_json_array(in, limits, stack, pe)) {
        for (const auto &m : stack) FUZZ_CHECK(fuzz::within(m, limits));
    }
    return 0;
}
