// codec_test_util.hpp: helpers shared by the codec unit tests.
#pragma once

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <setjmp.h>
#include <string>
#include <string_view>

extern "C" {
#include <cmocka.h>
}

#include "base64.hpp"
#include "crypto.hpp"
#include "macaroon/macaroon.hpp"
#include "result.hpp"

namespace s2s::test {

inline std::string hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 15]);
    }
    return out;
}

inline std::string hex(const Digest &d) {
    return hex(std::string_view(reinterpret_cast<const char *>(d.data()), d.size()));
}

inline Digest derived(std::string_view root_key) {
    Digest d{};
    assert_true(derive_root_key(root_key, d));
    return d;
}

inline std::string b64(std::string_view bytes) { return base64url_encode(bytes); }

inline std::string unb64(std::string_view text) {
    std::string out;
    assert_true(base64_decode(text, out));
    return out;
}

}  // namespace s2s::test

// Asserts that a parse failed with exactly the rule `expected`.
#define assert_parse_error(pe, expected)                \
    do {                                                \
        assert_non_null((pe).what);                     \
        assert_string_equal((pe).what, (expected));     \
    } while (0)
