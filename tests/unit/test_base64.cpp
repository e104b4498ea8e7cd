// test_base64.cpp: strict decoding of both alphabets, canonical encoding.
#include "codec_test_util.hpp"

using namespace s2s;

namespace {

// "\xfb\xff" is "+/8" in the standard alphabet and "-_8" in the URL one.
const std::string kBytes("\xfb\xff", 2);

bool decodes_to(std::string_view in, std::string_view expected) {
    std::string out = "previous contents";
    return base64_decode(in, out) && out == expected;
}

bool rejects(std::string_view in) {
    std::string out = "previous contents";
    return !base64_decode(in, out);
}

void test_alphabets_and_padding(void **) {
    assert_true(decodes_to("-_8", kBytes));
    assert_true(decodes_to("+/8", kBytes));
    assert_true(decodes_to("-_8=", kBytes));
    assert_true(decodes_to("+/8=", kBytes));
    assert_true(decodes_to("MDA", "00"));
    assert_true(decodes_to("MDA=", "00"));
    assert_true(decodes_to("MA", "0"));
    assert_true(decodes_to("MA==", "0"));
    assert_true(decodes_to("", ""));
}

void test_rejects(void **) {
    assert_true(rejects("+_8"));     // mixed alphabets
    assert_true(rejects("-/8="));    // mixed alphabets, padded
    assert_true(rejects("MDB"));     // non-zero trailing bits
    assert_true(rejects("MB=="));    // non-zero trailing bits, padded
    assert_true(rejects("-_9"));     // non-zero trailing bits, URL alphabet
    assert_true(rejects("M"));       // 1 mod 4
    assert_true(rejects("MA="));     // short padding
    assert_true(rejects("MA==="));   // long padding
    assert_true(rejects("MDA=MDA")); // padding in the middle
    assert_true(rejects("MD A"));    // white space
    assert_true(rejects("MDAx\n"));  // trailing newline
    assert_true(rejects(" MDAx"));   // leading space
    assert_true(rejects("MD*x"));    // not base64
    assert_true(rejects(std::string_view("MD\0x", 4)));
}

void test_encode_is_url_unpadded(void **) {
    assert_string_equal(base64url_encode(kBytes).c_str(), "-_8");
    assert_string_equal(base64url_encode("0").c_str(), "MA");
    assert_string_equal(base64url_encode("").c_str(), "");
    std::string out = "junk";
    base64url_encode("00", out);
    assert_string_equal(out.c_str(), "MDA");
    for (size_t n = 0; n < 70; n++) {
        std::string bytes;
        for (size_t i = 0; i < n; i++) bytes.push_back(static_cast<char>(i * 37 + 11));
        std::string decoded;
        assert_true(base64_decode(base64url_encode(bytes), decoded));
        assert_true(decoded == bytes);
    }
}

void test_decode_reuses_capacity(void **) {
    std::string out;
    out.reserve(256);
    const char *buffer = out.data();
    assert_true(base64_decode("MDAxY2xvY2F0aW9uIA", out));
    assert_ptr_equal(out.data(), buffer);
    assert_true(base64_decode("-_8", out));
    assert_ptr_equal(out.data(), buffer);
    assert_true(out == kBytes);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alphabets_and_padding),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_encode_is_url_unpadded),
        cmocka_unit_test(test_decode_reuses_capacity),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
