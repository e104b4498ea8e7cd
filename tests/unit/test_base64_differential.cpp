// test_base64_differential.cpp: the hand-written strict decoder agrees with
// libsodium's strict decoder on random input, for every variant the text can
// be read as.
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>

#include <random>
#include <string>

#include "base64.hpp"

extern "C" {
#include <cmocka.h>
}

namespace {

// What libsodium says, choosing the variant the way the decoder documents:
// '+' or '/' → standard, '-' or '_' → URL, both → invalid; '=' at the end → padded.
bool reference(const std::string &in, std::string &out) {
    bool standard = in.find_first_of("+/") != std::string::npos;
    bool url = in.find_first_of("-_") != std::string::npos;
    if (standard && url) return false;
    bool padded = !in.empty() && in.back() == '=';
    int variant = standard ? (padded ? sodium_base64_VARIANT_ORIGINAL
                                     : sodium_base64_VARIANT_ORIGINAL_NO_PADDING)
                           : (padded ? sodium_base64_VARIANT_URLSAFE
                                     : sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.assign(in.size(), '\0');
    size_t len = 0;
    if (in.empty()) {
        out.clear();
        return true;
    }
    if (sodium_base642bin(reinterpret_cast<unsigned char *>(out.data()), out.size(), in.data(),
                          in.size(), nullptr, &len, nullptr, variant) != 0) {
        return false;
    }
    out.resize(len);
    return true;
}

void test_random_agreement(void **) {
    assert_true(sodium_init() >= 0);
    std::mt19937 rng(20261203);
    // Mostly valid characters, with the few that matter for strictness.
    const std::string alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=";
    const std::string rare = " \n\t.*\0\x80\xff";
    long agree_ok = 0, agree_fail = 0;
    for (int i = 0; i < 300000; i++) {
        size_t len = rng() % 24;
        std::string in;
        for (size_t j = 0; j < len; j++) {
            if (rng() % 50 == 0) in += rare[rng() % rare.size()];
            else if (rng() % 3 == 0) in += alphabet[rng() % 62];  // bias to plain text
            else in += alphabet[rng() % alphabet.size()];
        }
        std::string ours, theirs;
        bool a = s2s::base64_decode(in, ours);
        bool b = reference(in, theirs);
        if (a != b || (a && ours != theirs)) {
            print_error("disagree on \"%s\": ours=%d libsodium=%d\n", in.c_str(), a, b);
            fail();
        }
        (a ? agree_ok : agree_fail)++;
    }
    // Both kinds of outcome must have been exercised.
    assert_true(agree_ok > 10000);
    assert_true(agree_fail > 10000);
}

void test_encoded_roundtrip(void **) {
    std::mt19937 rng(7);
    for (int i = 0; i < 20000; i++) {
        std::string bytes(rng() % 200, '\0');
        for (char &c : bytes) c = char(rng());
        std::string text = s2s::base64url_encode(bytes), back;
        assert_true(s2s::base64_decode(text, back));
        assert_true(back == bytes);
    }
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_agreement),
        cmocka_unit_test(test_encoded_roundtrip),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
