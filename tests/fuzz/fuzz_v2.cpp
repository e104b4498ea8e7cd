// fuzz_v2.cpp: the V2 binary decoder, on raw decoded bytes.
//
// Properties: an accepted macaroon consumes a prefix of the input and keeps
// the limits; decoding into a reused, dirty Macaroon gives the same value;
// re-encoding gives back exactly the consumed bytes (minimal varints, fields
// in order: one spelling per value), except for an empty location written as
// a field, and decodes to the same macaroon.
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
    std::string_view original = in.substr(0, consumed);
    if (encoded != original) {
        // The one second spelling accepted on purpose: an empty location
        // written as a field (0x01 0x00, as pymacaroons does), which the
        // encoder omits, in the header or in a third-party caveat.
        FUZZ_CHECK(encoded.size() < original.size());
        size_t extra = original.size() - encoded.size();
        FUZZ_CHECK(extra % 2 == 0 && extra / 2 <= 1 + fresh.caveats.size());
    }
    s2s::Macaroon again;
    size_t consumed_again = 0;
    FUZZ_CHECK(s2s::decode_v2(encoded, limits, again, consumed_again, pe));
    FUZZ_CHECK(consumed_again == encoded.size());
    FUZZ_CHECK(fuzz::equal(fresh, again));
    return 0;
}
