// fuzz_v2.cpp: the V2 binary decoder, on raw decoded bytes.
//
// Properties: an accepted macaroon consumes a prefix of the input and keeps
// the limits; decoding into a reused, dirty Macaroon gives the same value;
// re-encoding gives back exactly the consumed bytes (minimal varints, fields
// in order: one spelling per value).
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string_view in = fuzz::as_text(data, size);
    s2s::Limits limits;
    s2s::Macaroon fresh;
    s2s::ParseError pe;
    size_t consumed = 0;
    bool ok = s2s::decode_v2(in, limits, fresh, consumed, pe);

    s2s::Macaroon reused;
    fuzz::dirty(reused);
    size_t consumed2 = 0;
    s2s::ParseError pe2;
    FUZZ_CHECK(s2s::decode_v2(in, limits, reused, consumed2, pe2) == ok);
    if (!ok) {
        FUZZ_CHECK(pe.what != nullptr);
        return 0;
    }
    FUZZ_CHECK(consumed == consumed2);
    FUZZ_CHECK(consumed > 0 && consumed <= in.size());
    FUZZ_CHECK(fuzz::equal(fresh, reused));
    FUZZ_CHECK(fuzz::within(fresh, limits));

    std::string encoded;
    s2s::encode_v2(fresh, encoded);
    FUZZ_CHECK(encoded == in.substr(0, consumed));
    return 0;
}
