// test_identifier.cpp: s2s identifiers, id charset, and limits from the C ABI.
#include "codec_test_util.hpp"

using namespace s2s;

namespace {

void test_parse(void **) {
    std::string_view key, token;
    assert_true(parse_identifier("s2s1:k1:tok-_9", key, token));
    assert_true(key == "k1");
    assert_true(token == "tok-_9");

    const char *bad[] = {
        "",           "s2s1:",       "s2s1::t",    "s2s1:k:",     "s2s1:k",
        "s2s2:k:t",   "S2S1:k:t",    "s2s1:k:t:u", "s2s1:k/:t",   "s2s1:k:t ",
        " s2s1:k:t",  "s2s1:k.1:t",  "s2s1:k:t\n", "we used our secret key",
    };
    for (const char *id : bad) {
        key = token = "unchanged";
        assert_false(parse_identifier(id, key, token));
        assert_true(key == "unchanged");
    }
    assert_false(parse_identifier(std::string_view("s2s1:k:t\0", 9), key, token));
}

void test_valid_id(void **) {
    assert_true(valid_id("a"));
    assert_true(valid_id("AZaz09_-"));
    assert_true(valid_id(std::string(64, 'x')));
    assert_false(valid_id(std::string(65, 'x')));
    assert_false(valid_id(""));
    assert_false(valid_id("a b"));
    assert_false(valid_id("a:b"));
    assert_false(valid_id("é"));
    assert_false(valid_id("a+b"));
}

void test_make(void **) {
    std::string id = make_identifier("k1", "t1");
    assert_string_equal(id.c_str(), "s2s1:k1:t1");
    std::string_view key, token;
    assert_true(parse_identifier(id, key, token));
    assert_true(key == "k1" && token == "t1");
}

void test_limits(void **) {
    Limits d = Limits::from(nullptr);
    assert_int_equal(d.max_token_bytes, S2S_DEFAULT_MAX_TOKEN_BYTES);
    assert_int_equal(d.max_caveats, S2S_DEFAULT_MAX_CAVEATS);
    assert_int_equal(d.max_caveat_bytes, S2S_DEFAULT_MAX_CAVEAT_BYTES);
    assert_int_equal(d.max_discharges, S2S_DEFAULT_MAX_DISCHARGES);
    assert_int_equal(d.max_depth, S2S_DEFAULT_MAX_DEPTH);

    s2s_limits zero{};
    Limits z = Limits::from(&zero);
    assert_int_equal(z.max_token_bytes, S2S_DEFAULT_MAX_TOKEN_BYTES);
    assert_int_equal(z.max_depth, S2S_DEFAULT_MAX_DEPTH);

    s2s_limits some{};
    some.max_caveats = 3;
    some.max_depth = 2;
    Limits s = Limits::from(&some);
    assert_int_equal(s.max_caveats, 3);
    assert_int_equal(s.max_depth, 2);
    assert_int_equal(s.max_token_bytes, S2S_DEFAULT_MAX_TOKEN_BYTES);
    assert_int_equal(s.max_caveat_bytes, S2S_DEFAULT_MAX_CAVEAT_BYTES);
    assert_int_equal(s.max_discharges, S2S_DEFAULT_MAX_DISCHARGES);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_valid_id),
        cmocka_unit_test(test_make),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
