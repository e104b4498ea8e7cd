// test_v2json_codec.cpp: V2 JSON, go-macaroon's field choices on output, and
// strict shape checks on input (duplicates, x and x64, unknown keys, types).
#include <vector>

#include "codec_test_util.hpp"

using namespace s2s;
using s2s::test::derived;
using s2s::test::hex;

namespace {

// A valid 32-byte signature in each spelling; "MDAw..." is base64 of "000...".
const std::string kSig32(32, '0');
const std::string kS64Url = base64url_encode(std::string(32, '\xfb'));  // "-_v7..."
const char *kSigText = "\"s\":\"00000000000000000000000000000000\"";

bool decode(std::string_view text, ParseError &pe, Macaroon &m, const Limits &limits = {}) {
    pe = ParseError{};
    return decode_v2_json(text, limits, m, pe);
}

void expect_ok(const std::string &text) {
    Macaroon m;
    ParseError pe;
    if (!decode(text, pe, m)) fail_msg("%s: %s", text.c_str(), pe.what);
}

void expect_fail(const std::string &text, const char *rule, bool too_large = false,
                 const Limits &limits = {}) {
    Macaroon m;
    ParseError pe;
    assert_false(decode(text, pe, m, limits));
    assert_parse_error(pe, rule);
    assert_int_equal(pe.too_large, too_large);
}

std::string obj(const std::string &inner) { return "{" + inner + "}"; }

void test_encode_choices(void **) {
    Macaroon m;
    assert_true(macaroon_init(m, derived("k"), "s2s1:k1:t1", "https://svc"));
    assert_true(add_first_party(m, "service = orders"));
    const uint8_t zero_nonce[kSecretboxNonceBytes] = {};
    assert_true(add_third_party_with_nonce(m, "https://auth", "ck", "cid", zero_nonce));
    assert_true(add_first_party(m, std::string("bin\xff", 4)));
    std::string text;
    assert_true(encode_v2_json(m, text));
    std::string expected = "{\"c\":[{\"i\":\"service = orders\"},{\"i\":\"cid\",\"v64\":\"" +
                           base64url_encode(m.caveats[1].vid) +
                           "\",\"l\":\"https://auth\"},{\"i64\":\"YmluXw\"}],"
                           "\"l\":\"https://svc\",\"i\":\"s2s1:k1:t1\",\"s64\":\"" +
                           base64url_encode(std::string_view(
                               reinterpret_cast<const char *>(m.signature.data()), 32)) +
                           "\"}";
    // "bin\xff" in base64url is "Ymlu_w".
    expected.replace(expected.find("YmluXw"), 6, "Ymlu_w");
    assert_string_equal(text.c_str(), expected.c_str());

    Macaroon back;
    ParseError pe;
    assert_true(decode(text, pe, back));
    assert_true(back.identifier == m.identifier);
    assert_true(back.location == m.location);
    assert_int_equal(back.caveats.size(), 3);
    assert_true(back.caveats[1].vid == m.caveats[1].vid);
    assert_true(back.caveats[1].location == "https://auth");
    assert_true(back.caveats[2].id == m.caveats[2].id);
    assert_true(back.signature == m.signature);

    // No caveats and no location: both fields are left out.
    Macaroon bare;
    assert_true(macaroon_init(bare, derived("k"), "id", ""));
    assert_true(encode_v2_json(bare, text));
    assert_true(text.starts_with("{\"i\":\"id\",\"s64\":\""));

    // A location that is not UTF-8 cannot be written.
    bare.location = "\xff";
    text = "junk";
    assert_false(encode_v2_json(bare, text));
    assert_true(text.empty());
}

// go-macaroon's rule: text when valid UTF-8 and not longer than base64 + 2.
void test_go_compactness_rule(void **) {
    Macaroon m;
    assert_true(macaroon_init(m, derived("k"), std::string(12, '<'), ""));
    std::string text;
    assert_true(encode_v2_json(m, text));
    assert_true(text.starts_with("{\"i64\":\"PDw8PDw8PDw8PDw8\""));  // Go: 72 > 16 + 2
    assert_true(macaroon_init(m, derived("k"), "<", ""));
    assert_true(encode_v2_json(m, text));
    assert_true(text.starts_with("{\"i64\":\"PA\""));  // Go: 6 > 2 + 2
    assert_true(macaroon_init(m, derived("k"), "abcdefgh<", ""));
    assert_true(encode_v2_json(m, text));
    assert_true(text.starts_with("{\"i\":\"abcdefgh<\""));  // Go: 14 <= 12 + 2
    assert_true(macaroon_init(m, derived("k"), "abcdefg\"\"", ""));
    assert_true(encode_v2_json(m, text));
    assert_true(text.starts_with("{\"i\":\"abcdefg\\\"\\\"\""));  // Go: 11 <= 12 + 2
}

void test_accepted_spellings(void **) {
    const std::string s64 = "\"s64\":\"" + kS64Url + "\"";
    expect_ok(obj("\"i\":\"id\"," + std::string(kSigText)));
    expect_ok(obj("\"v\":2,\"i\":\"id\"," + s64));
    expect_ok(obj("\"i64\":\"aWQ\"," + s64));            // url, unpadded
    expect_ok(obj("\"i64\":\"aWQ=\"," + s64));           // padded
    expect_ok(obj("\"i64\":\"T3U/VA==\"," + s64));       // standard alphabet
    expect_ok(obj("\"i64\":\"T3U_VA\"," + s64));
    expect_ok(obj("\"i\":\"id\",\"s64\":\"+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/s=\""));
    expect_ok(obj("\"i\":\"id\",\"c\":[]," + s64));
    expect_ok(obj(" \"i\" : \"id\" ,\n \"l\": \"\", " + s64 + " "));  // white space inside
    expect_ok(obj("\"i\":\"a\\u0000b\"," + s64));  // NUL inside a value: kept

    Macaroon m;
    ParseError pe;
    assert_true(decode(obj("\"i64\":\"T3U/VA==\"," + s64), pe, m));
    assert_true(m.identifier == "Ou?T");
    assert_true(decode(obj("\"i\":\"a\\u0000b\"," + s64), pe, m));
    assert_int_equal(m.identifier.size(), 3);
    assert_true(decode(obj("\"i\":\"id\",\"c\":[{\"i\":\"c1\"},{\"i64\":\"YzI\",\"v\":\"vvv\",\"l\":\"tp\"}]," + s64), pe, m));
    assert_int_equal(m.caveats.size(), 2);
    assert_true(m.caveats[1].id == "c2" && m.caveats[1].vid == "vvv" && m.caveats[1].location == "tp");
}

void test_rejected(void **) {
    const std::string s64 = "\"s64\":\"" + kS64Url + "\"";
    const std::string i = "\"i\":\"id\",";
    expect_fail("", "V2 JSON text has bytes before or after the JSON value");
    expect_fail(" " + obj(i + s64), "V2 JSON text has bytes before or after the JSON value");
    expect_fail(obj(i + s64) + " ", "V2 JSON text has bytes before or after the JSON value");
    expect_fail(obj(i + s64) + "{}", "V2 JSON does not parse");
    expect_fail(obj(i + s64 + ","), "V2 JSON does not parse");
    expect_fail(obj(i + i + s64), "V2 JSON has a duplicate key");
    expect_fail(obj(i + s64 + "," + s64), "V2 JSON has a duplicate key");
    expect_fail(obj(i + "\"i64\":\"aWQ\"," + s64), "V2 JSON has both i and i64");
    expect_fail(obj(i + std::string(kSigText) + "," + s64), "V2 JSON has both s and s64");
    expect_fail(obj(i + s64 + ",\"x\":1"), "V2 JSON macaroon has an unknown key");
    expect_fail(obj(i + s64 + ",\"l64\":\"bA\""), "V2 JSON macaroon has an unknown key");
    expect_fail(obj(i + s64 + ",\"I\":\"id\""), "V2 JSON macaroon has an unknown key");
    expect_fail(obj(s64), "V2 JSON has no i or i64");
    expect_fail(obj("\"i\":\"id\""), "V2 JSON has no s or s64");
    expect_fail(obj("\"i\":5," + s64), "V2 JSON i/i64 is not a string");
    expect_fail(obj("\"i\":null," + s64), "V2 JSON i/i64 is not a string");
    expect_fail(obj("\"i64\":\"a W\"," + s64), "V2 JSON i64 is not valid base64");
    expect_fail(obj("\"i64\":\"aWR\"," + s64), "V2 JSON i64 is not valid base64");  // trailing bits
    expect_fail(obj("\"i64\":\"a+_Q\"," + s64), "V2 JSON i64 is not valid base64");  // mixed
    expect_fail(obj(i + "\"s64\":[]"), "V2 JSON s/s64 is not a string");
    expect_fail(obj(i + "\"l\":1," + s64), "V2 JSON l is not a string");
    expect_fail(obj(i + "\"v\":3," + s64), "V2 JSON v is not the number 2");
    expect_fail(obj(i + "\"v\":\"2\"," + s64), "V2 JSON v is not the number 2");
    expect_fail(obj(i + "\"v\":2.0," + s64), "V2 JSON v is not the number 2");
    expect_fail(obj(i + "\"c\":{}," + s64), "V2 JSON c is not an array");
    expect_fail(obj(i + "\"c\":[\"x\"]," + s64), "V2 JSON caveat is not an object");
    expect_fail(obj(i + "\"c\":[{}]," + s64), "V2 JSON caveat has no i or i64");
    expect_fail(obj(i + "\"c\":[{\"i\":\"a\",\"x\":\"b\"}]," + s64), "V2 JSON caveat has an unknown key");
    expect_fail(obj(i + "\"c\":[{\"i\":\"a\",\"i\":\"b\"}]," + s64), "V2 JSON has a duplicate key");
    expect_fail(obj(i + "\"c\":[{\"i\":\"a\",\"i64\":\"YQ\"}]," + s64), "V2 JSON caveat has both i and i64");
    expect_fail(obj(i + "\"c\":[{\"i\":\"a\",\"v\":\"x\",\"v64\":\"eA\"}]," + s64), "V2 JSON caveat has both v and v64");
    expect_fail(obj(i + "\"c\":[{\"i\":\"a\",\"v\":\"\"}]," + s64), "V2 JSON caveat vid is empty");
    expect_fail(obj(i + "\"c\":[{\"i\":\"a\",\"l\":\"tp\"}]," + s64), "V2 JSON first-party caveat has a location");
    expect_fail(obj(i + "\"c\":[{\"i\":\"a\",\"v\":\"x\",\"l\":7}]," + s64), "V2 JSON caveat l is not a string");
    expect_fail(obj(i + "\"c\":[{\"i\":1}]," + s64), "V2 JSON caveat i/i64 is not a string");
    expect_fail(obj(i + "\"c\":[{\"i\":\"a\",\"v64\":\"!!\"}]," + s64), "V2 JSON caveat v64 is not valid base64");
    expect_fail("[" + obj(i + s64) + "]", "V2 JSON text has bytes before or after the JSON value");
}

void test_signature_sizes(void **) {
    for (size_t n : {0, 16, 31, 33}) {
        expect_fail(obj("\"i\":\"id\",\"s64\":\"" + base64url_encode(std::string(n, 'x')) + "\""),
                    "V2 JSON signature is not 32 bytes");
    }
    expect_fail(obj("\"i\":\"id\",\"s\":\"0000000000000000000000000000000\""),
                "V2 JSON signature is not 32 bytes");
}

void test_truncated_everywhere(void **) {
    Macaroon m;
    assert_true(macaroon_init(m, derived("k"), "s2s1:k1:t1", "https://svc"));
    assert_true(add_first_party(m, "service = orders"));
    assert_true(add_third_party(m, "tp", "ck", "cid"));
    std::string text;
    assert_true(encode_v2_json(m, text));
    Macaroon back;
    ParseError pe;
    for (size_t n = 0; n < text.size(); n++) {
        assert_false(decode(std::string_view(text).substr(0, n), pe, back));
        assert_non_null(pe.what);
    }
    assert_true(decode(text, pe, back));
}

void test_limits(void **) {
    const std::string s64 = "\"s64\":\"" + kS64Url + "\"";
    std::string many = "{\"i\":\"id\",\"c\":[";
    for (int k = 0; k < 100000; k++) many += (k ? "," : "") + std::string("{\"i\":\"a\"}");
    many += "]," + s64 + "}";
    Limits limits;
    limits.max_token_bytes = many.size();
    expect_fail(many, "token has more than max_caveats caveats", true, limits);
    expect_fail(many, "token is larger than max_token_bytes", true);

    std::string big = obj("\"i\":\"id\",\"c\":[{\"i\":\"" + std::string(64 * 1024, 'x') + "\"}]," + s64);
    limits.max_token_bytes = big.size();
    expect_fail(big, "caveat is larger than max_caveat_bytes", true, limits);

    // A stack as a JSON array.
    std::vector<Macaroon> out;
    ParseError pe;
    std::string one = obj("\"i\":\"id\"," + s64);
    assert_true(decode_v2_json_array("[" + one + "," + one + "]", Limits{}, out, pe));
    assert_int_equal(out.size(), 2);
    assert_false(decode_v2_json_array("[]", Limits{}, out, pe));
    assert_parse_error(pe, "V2 JSON stack is empty");
    Limits two;
    two.max_discharges = 1;
    assert_false(decode_v2_json_array("[" + one + "," + one + "," + one + "]", two, out, pe));
    assert_parse_error(pe, "stack has more than max_discharges discharges");
    assert_true(pe.too_large);
    assert_false(decode_v2_json_array("[" + one + ",1]", Limits{}, out, pe));
    assert_parse_error(pe, "V2 JSON macaroon is not an object");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_choices),
        cmocka_unit_test(test_go_compactness_rule),
        cmocka_unit_test(test_accepted_spellings),
        cmocka_unit_test(test_rejected),
        cmocka_unit_test(test_signature_sizes),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
