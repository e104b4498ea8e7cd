// fuzz_base64.cpp: the strict base64 decoder (core/src/base64.cpp).
//
// Properties: whatever decodes has exactly one canonical spelling, base64url
// without padding, and that spelling is the input with the alphabet mapped
// and the padding dropped (so no two accepted inputs of one alphabet mean the
// same bytes); encoding any bytes decodes back to them.
#include "base64.hpp"
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string_view in = fuzz::as_text(data, size);
    std::string decoded;
    if (s2s::base64_decode(in, decoded)) {
        std::string canonical(in);
        while (!canonical.empty() && canonical.back() == '=') canonical.pop_back();
        for (char &c : canonical) {
            if (c == '+') c = '-';
            if (c == '/') c = '_';
        }
        FUZZ_CHECK(s2s::base64url_encode(decoded) == canonical);
        FUZZ_CHECK(decoded.size() == canonical.size() * 3 / 4);
    }

    // The encoder, on the raw input bytes.
    std::string encoded = s2s::base64url_encode(in);
    FUZZ_CHECK(encoded.find_first_of("+/=") == std::string::npos);
    std::string back = "leftover";
    FUZZ_CHECK(s2s::base64_decode(encoded, back));
    FUZZ_CHECK(back == in);
    return 0;
}
