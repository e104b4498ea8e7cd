// test_macaroon_build.cpp: the signature chain against libmacaroons' published
// README vectors (first-party chain, the zero-nonce third-party caveat, the
// discharge and its binding).  The expected values are data copied from
// libmacaroons' README (release 0.3.0); pymacaroons reproduces them as well.
#include "codec_test_util.hpp"

using namespace s2s;
using s2s::test::derived;
using s2s::test::hex;

namespace {

constexpr std::string_view kLocation = "http://mybank/";

void test_readme_first_party_chain(void **) {
    Macaroon m;
    assert_true(macaroon_init(m, derived("this is our super secret key; only we should know it"),
                              "we used our secret key", kLocation));
    assert_string_equal(hex(m.signature).c_str(),
                        "e3d9e02908526c4c0039ae15114115d97fdd68bf2ba379b342aaf0f617d0552f");
    assert_true(add_first_party(m, "account = 3735928559"));
    assert_string_equal(hex(m.signature).c_str(),
                        "1efe4763f290dbce0c1d08477367e11f4eee456a64933cf662d79772dbb82128");
    assert_true(add_first_party(m, "time < 2020-01-01T00:00"));
    assert_string_equal(hex(m.signature).c_str(),
                        "b5f06c8c8ef92f6c82c6ff282cd1f8bd1849301d09a2db634ba182536a611c49");
    assert_true(add_first_party(m, "email = alice@example.org"));
    assert_string_equal(hex(m.signature).c_str(),
                        "ddf553e46083e55b8d71ab822be3d8fcf21d6bf19c40d617bb9fb438934474b6");
    assert_int_equal(m.caveats.size(), 3);
    assert_false(m.caveats[2].third_party());
    assert_true(m.location == kLocation);
    assert_true(m.identifier == "we used our secret key");
}

// The README adds its third-party caveat with an all-zero nonce.
void test_readme_third_party_zero_nonce(void **) {
    const std::string_view caveat_key = "4; guaranteed random by a fair toss of the dice";
    const std::string_view caveat_id = "this was how we remind auth of key/pred";
    Macaroon m;
    assert_true(macaroon_init(
        m, derived("this is a different super-secret key; never use the same secret twice"),
        "we used our other secret key", kLocation));
    assert_true(add_first_party(m, "account = 3735928559"));
    assert_string_equal(hex(m.signature).c_str(),
                        "1434e674ad84fdfdc9bc1aa00785325c8b6d57341fc7ce200ba4680c80786dda");
    const Digest before = m.signature;
    const uint8_t zero_nonce[kSecretboxNonceBytes] = {};
    assert_true(add_third_party_with_nonce(m, "http://auth.mybank/", caveat_key, caveat_id,
                                           zero_nonce));
    assert_string_equal(hex(m.signature).c_str(),
                        "d27db2fd1f22760e4c3dae8137e2d8fc1df6c0741c18aed4b97256bf78d1f55c");
    const Caveat &c = m.caveats[1];
    assert_true(c.third_party());
    assert_true(c.id == caveat_id);
    assert_true(c.location == "http://auth.mybank/");
    assert_string_equal(base64url_encode(c.vid).c_str(),
                        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA027FAuBYhtHwJ58FX6UlVNFtFsGxQHS7uD_w_"
                        "dedwv4Jjw7UorCREw5rXbRqIKhr");

    // The signature before the caveat opens the vid to the derived caveat key.
    Digest opened{};
    assert_true(secretbox_open(before, c.vid, opened));
    assert_true(opened == derived(caveat_key));
    Digest wrong = before;
    wrong[0] ^= 1;
    assert_false(secretbox_open(wrong, c.vid, opened));

    // The discharge, and its binding to the root signature.
    Macaroon d;
    assert_true(macaroon_init(d, derived(caveat_key), caveat_id, "http://auth.mybank/"));
    assert_true(add_first_party(d, "time < 2020-01-01T00:00"));
    assert_string_equal(hex(d.signature).c_str(),
                        "2ed1049876e9d5840950274b579b0770317df54d338d9d3039c7c67d0d91d63c");
    assert_true(bind_discharge(m, d));
    assert_string_equal(hex(d.signature).c_str(),
                        "d115ef1c133b1126978d5ab27f69d99ba9d0468cd6c1b7e47b8c1c59019cb019");
}

// The production path draws a fresh nonce each time, and the result still
// opens with the previous signature.
void test_third_party_random_nonce(void **) {
    Macaroon a, b;
    assert_true(macaroon_init(a, derived("root"), "id", ""));
    b = a;
    const Digest before = a.signature;
    assert_true(add_third_party(a, "tp", "caveat key", "cid"));
    assert_true(add_third_party(b, "tp", "caveat key", "cid"));
    assert_int_equal(a.caveats[0].vid.size(),
                     kSecretboxNonceBytes + kSecretboxMacBytes + kHashBytes);
    assert_false(a.caveats[0].vid == b.caveats[0].vid);
    assert_false(a.signature == b.signature);
    Digest opened{};
    assert_true(secretbox_open(before, a.caveats[0].vid, opened));
    assert_true(opened == derived("caveat key"));
    assert_true(secretbox_open(before, b.caveats[0].vid, opened));
    assert_true(opened == derived("caveat key"));
}

void test_init_resets(void **) {
    Macaroon m;
    assert_true(macaroon_init(m, derived("k"), "one", "loc"));
    assert_true(add_first_party(m, "a = b"));
    assert_true(macaroon_init(m, derived("k"), "two", ""));
    assert_int_equal(m.caveats.size(), 0);
    assert_true(m.location.empty());
    Macaroon n;
    assert_true(macaroon_init(n, derived("k"), "two", "elsewhere"));
    assert_true(m.signature == n.signature);  // the location is not signed
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readme_first_party_chain),
        cmocka_unit_test(test_readme_third_party_zero_nonce),
        cmocka_unit_test(test_third_party_random_nonce),
        cmocka_unit_test(test_init_resets),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
