// fuzz_stack.cpp: decode_stack, the entry point every credential goes through
// (format detection, base64, V1 / V2 / V2 JSON, concatenated V2, JSON arrays).
//
// Properties: an accepted stack has a root and at most max_discharges
// discharges, each within the limits; decoding into reused vectors gives the
// same value; the canonical stack encoding decodes to the same macaroons.
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string_view in = fuzz::as_text(data, size);
    s2s::Limits limits;
    s2s::ParseError pe;
    // A canonical re-encoding may be longer than the accepted text (base64
    // of raw JSON strings), so it is decoded without the size limit.
    s2s::Limits loose = limits;
    loose.max_token_bytes = size_t(1) << 30;
    std::string scratch;
    std::vector<s2s::Macaroon> fresh;
    bool ok = s2s::decode_stack(in, limits, fresh, scratch, pe);

    static std::vector<s2s::Macaroon> reused;  // kept across inputs, as a verifier's scratch
    static std::string reused_scratch;
    for (auto &m : reused) fuzz::dirty(m);
    FUZZ_CHECK(s2s::decode_stack(in, limits, reused, reused_scratch, pe) == ok);
    if (!ok) {
        FUZZ_CHECK(pe.what != nullptr);
        return 0;
    }
    FUZZ_CHECK(!fresh.empty() && fresh.size() <= 1 + limits.max_discharges);
    FUZZ_CHECK(fresh.size() == reused.size());
    std::vector<const s2s::Macaroon *> ptrs;
    for (size_t i = 0; i < fresh.size(); i++) {
        FUZZ_CHECK(fuzz::equal(fresh[i], reused[i]));
        FUZZ_CHECK(fuzz::within(fresh[i], limits));
        ptrs.push_back(&fresh[i]);
    }

    std::string encoded;
    s2s::encode_stack(ptrs, encoded);
    std::vector<s2s::Macaroon> again;
    FUZZ_CHECK(s2s::decode_stack(encoded, loose, again, scratch, pe));
    FUZZ_CHECK(again.size() == fresh.size());
    for (size_t i = 0; i < fresh.size(); i++) FUZZ_CHECK(fuzz::equal(fresh[i], again[i]));
    return 0;
}
