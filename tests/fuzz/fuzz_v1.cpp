// fuzz_v1.cpp: the V1 (libmacaroons packet) decoder, on raw decoded bytes.
//
// Properties: an accepted token keeps the limits; decoding into a reused,
// dirty Macaroon gives the same value as into a fresh one; re-encoding gives
// back the very bytes that were decoded (one spelling per value), and those
// decode to the same macaroon.
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string_view in = fuzz::as_text(data, size);
    s2s::Limits limits;
    s2s::Macaroon fresh;
    s2s::ParseError pe;
    bool ok = s2s::decode_v1(in, limits, fresh, pe);

    s2s::Macaroon reused;
    fuzz::dirty(reused);
    s2s::ParseError pe2;
    FUZZ_CHECK(s2s::decode_v1(in, limits, reused, pe2) == ok);
    if (!ok) {
        FUZZ_CHECK(pe.what != nullptr);
        return 0;
    }
    FUZZ_CHECK(fuzz::equal(fresh, reused));
    FUZZ_CHECK(fuzz::within(fresh, limits));

    std::string encoded;
    FUZZ_CHECK(s2s::encode_v1(fresh, encoded));
    FUZZ_CHECK(encoded == in);
    s2s::Macaroon again;
    FUZZ_CHECK(s2s::decode_v1(encoded, limits, again, pe));
    FUZZ_CHECK(fuzz::equal(fresh, again));
    return 0;
}
