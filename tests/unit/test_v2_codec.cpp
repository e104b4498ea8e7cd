// test_v2_codec.cpp: V2 binary, byte-exact with pymacaroons, and the hostile
// shapes: truncation, order, duplicates, varints, lengths, signature sizes.
#include <vector>

#include "codec_test_util.hpp"

using namespace s2s;
using s2s::test::derived;
using s2s::test::hex;
using s2s::test::unb64;

namespace {

// pymacaroons 0.13: Macaroon(location='http://mybank/', identifier='we used
// our other secret key', key='k', version=2) + first-party 'a = b', serialized.
constexpr const char *kPyV2Token =
    "AgEOaHR0cDovL215YmFuay8CHHdlIHVzZWQgb3VyIG90aGVyIHNlY3JldCBrZXkAAgVhID0gYgAABiCx0iOhjxLSMljC"
    "mOvMMgJpNx5ZEMdfL8bsqgRCsxuS3A";

std::string varint(uint64_t v) {
    std::string out;
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
    return out;
}

std::string field(uint64_t type, std::string_view data) {
    return varint(type) + varint(data.size()) + std::string(data);
}

const std::string kEos(1, '\0');
const std::string kVersion(1, '\x02');
std::string loc(std::string_view s = "loc") { return field(1, s); }
std::string id(std::string_view s = "id") { return field(2, s); }
std::string vid(std::string_view s = std::string(72, 'v')) { return field(4, s); }
std::string sig(size_t n = 32) { return field(6, std::string(n, '\x5a')); }

// version, header, the given caveat sections, end of caveats, signature.
std::string token(std::vector<std::string> caveats = {}, std::string header = {},
                  std::string signature = sig()) {
    std::string t = kVersion + (header.empty() ? loc() + id() : header) + kEos;
    for (auto &c : caveats) t += c + kEos;
    return t + kEos + signature;
}

bool decode(std::string_view bytes, ParseError &pe, Macaroon &m, size_t &consumed,
            const Limits &limits = {}) {
    pe = ParseError{};
    return decode_v2(bytes, limits, m, consumed, pe);
}

void expect_fail(std::string_view bytes, const char *rule, bool too_large = false,
                 const Limits &limits = {}) {
    Macaroon m;
    ParseError pe;
    size_t consumed = 0;
    assert_false(decode(bytes, pe, m, consumed, limits));
    assert_parse_error(pe, rule);
    assert_int_equal(pe.too_large, too_large);
}

void test_pymacaroons_vector(void **) {
    Macaroon built;
    assert_true(macaroon_init(built, derived("k"), "we used our other secret key", "http://mybank/"));
    assert_true(add_first_party(built, "a = b"));
    std::string bytes;
    encode_v2(built, bytes);
    assert_string_equal(base64url_encode(bytes).c_str(), kPyV2Token);

    Macaroon m;
    ParseError pe;
    size_t consumed = 0;
    std::string raw = unb64(kPyV2Token);
    assert_true(decode(raw, pe, m, consumed));
    assert_int_equal(consumed, raw.size());
    assert_true(m.location == "http://mybank/");
    assert_true(m.identifier == "we used our other secret key");
    assert_int_equal(m.caveats.size(), 1);
    assert_true(m.caveats[0].id == "a = b");
    assert_true(m.signature == built.signature);
}

void test_round_trip(void **) {
    Macaroon built;
    assert_true(macaroon_init(built, derived("key"), std::string("bin\0id\xff", 7), ""));
    assert_true(add_first_party(built, "time < 2030-01-01T00:00:00Z"));
    assert_true(add_third_party(built, "https://auth", "tp key", "tp id"));
    assert_true(add_third_party(built, "", "tp key 2", "tp id 2"));
    assert_true(add_first_party(built, std::string(300, 'x')));  // a 2-byte length varint
    std::string bytes;
    encode_v2(built, bytes);
    Macaroon m;
    ParseError pe;
    size_t consumed = 0;
    assert_true(decode(bytes, pe, m, consumed));
    assert_int_equal(consumed, bytes.size());
    assert_true(m.identifier == built.identifier);
    assert_true(m.location.empty());
    assert_int_equal(m.caveats.size(), 4);
    assert_true(m.caveats[1].location == "https://auth");
    assert_true(m.caveats[1].vid == built.caveats[1].vid);
    assert_true(m.caveats[2].location.empty());
    assert_true(m.caveats[2].third_party());
    assert_true(m.caveats[3].id == std::string(300, 'x'));
    assert_true(m.signature == built.signature);

    // Followed by more bytes, it reports where it ended (stack decoding).
    std::string two = bytes + bytes;
    assert_true(decode(two, pe, m, consumed));
    assert_int_equal(consumed, bytes.size());

    // pymacaroons writes an empty location field; it is accepted.
    std::string empty_loc = token({}, loc("") + id());
    assert_true(decode(empty_loc, pe, m, consumed));
    assert_true(m.location.empty());
    // A header without location, a third-party caveat without location.
    assert_true(decode(token({id("c") + vid()}, id()), pe, m, consumed));
    assert_true(m.caveats[0].third_party());
}

void test_truncated_everywhere(void **) {
    Macaroon built;
    assert_true(macaroon_init(built, derived("key"), "s2s1:k:t", "loc"));
    assert_true(add_first_party(built, "a = b"));
    assert_true(add_third_party(built, "tp", "tp key", "tp id"));
    std::string bytes;
    encode_v2(built, bytes);
    Macaroon m;
    ParseError pe;
    size_t consumed = 0;
    for (size_t n = 0; n < bytes.size(); n++) {
        assert_false(decode(std::string_view(bytes).substr(0, n), pe, m, consumed));
        assert_non_null(pe.what);
    }
}

void test_structure(void **) {
    expect_fail("", "V2 token does not start with version byte 2");
    expect_fail("\x01", "V2 token does not start with version byte 2");
    expect_fail(kVersion + kEos, "V2 header has no identifier");
    expect_fail(kVersion + loc() + kEos, "V2 header has no identifier");
    expect_fail(token({}, id() + loc()), "V2 header field is duplicated or out of order");
    expect_fail(token({}, loc() + loc() + id()), "V2 header field is duplicated or out of order");
    expect_fail(token({}, loc() + id() + id()), "V2 header field is duplicated or out of order");
    expect_fail(token({}, loc() + id() + vid()), "V2 header has an unexpected field");
    expect_fail(token({}, field(3, "x") + id()), "V2 header has an unexpected field");
    expect_fail(token({id("c") + loc()}), "V2 caveat field is duplicated or out of order");
    expect_fail(token({id("c") + id("c")}), "V2 caveat field is duplicated or out of order");
    expect_fail(token({loc() + loc() + id("c")}), "V2 caveat field is duplicated or out of order");
    expect_fail(token({vid() + id("c")}), "V2 caveat has no identifier");
    expect_fail(token({loc()}), "V2 caveat has no identifier");
    expect_fail(token({id("c") + vid() + vid()}), "V2 caveat field is duplicated or out of order");
    expect_fail(token({id("c") + vid() + loc()}), "V2 caveat field is duplicated or out of order");
    expect_fail(token({id("c") + vid() + field(5, "x")}), "V2 caveat has an unexpected field");
    expect_fail(token({id("c") + field(3, "x")}), "V2 caveat has an unexpected field");
    expect_fail(token({id("c") + sig()}), "V2 caveat has an unexpected field");
    expect_fail(token({loc() + id("c")}), "V2 first-party caveat has a location");
    expect_fail(token({id("c") + vid("")}), "V2 vid is empty");
    // No end-of-caveats marker: the signature is read as a caveat.
    expect_fail(kVersion + loc() + id() + kEos + sig(), "V2 caveat has no identifier");
    expect_fail(kVersion + loc() + id() + kEos + kEos, "V2 varint runs past the end of the token");
    expect_fail(kVersion + loc() + id() + kEos + kEos + kEos, "V2 signature field is missing");
    expect_fail(kVersion + loc() + id() + kEos + kEos + id(), "V2 signature field is missing");
}

void test_signature_sizes(void **) {
    for (size_t n : {0, 16, 31, 33}) {
        expect_fail(token({}, {}, sig(n)), "V2 signature is not 32 bytes");
    }
}

void test_varints_and_lengths(void **) {
    // Non-minimal spellings of type 2 and of a length.
    expect_fail(kVersion + loc() + std::string("\x82\x00", 2) + varint(2) + "id" + kEos + kEos + sig(),
                "V2 varint is not minimally encoded");
    expect_fail(kVersion + loc() + varint(2) + std::string("\x82\x00", 2) + "id" + kEos + kEos + sig(),
                "V2 varint is not minimally encoded");
    expect_fail(kVersion + loc() + id() + std::string("\x80\x00", 2) + kEos + sig(),
                "V2 varint is not minimally encoded");
    // A length of 2^32, 2^32 - 1 (past the buffer), and 2^35.
    expect_fail(kVersion + varint(2) + varint(1ull << 32) + "id", "V2 varint is 2^32 or more");
    expect_fail(kVersion + varint(2) + varint((1ull << 32) - 1) + "id",
                "V2 field length runs past the end of the token");
    expect_fail(kVersion + varint(2) + varint(1ull << 35) + "id", "V2 varint is 2^32 or more");
    expect_fail(kVersion + varint(2) + "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
                "V2 varint is 2^32 or more");
    // A length one past the end.
    std::string t = token();
    t.pop_back();
    expect_fail(t, "V2 field length runs past the end of the token");
    expect_fail(kVersion + varint(2) + "\x85", "V2 varint runs past the end of the token");
}

void test_limits(void **) {
    Limits limits;
    std::vector<std::string> many(100000, id("a = b"));
    std::string bytes = token(many);
    limits.max_token_bytes = bytes.size();
    expect_fail(bytes, "token has more than max_caveats caveats", true, limits);

    std::string big = token({id(std::string(64 * 1024, 'x'))});
    limits.max_token_bytes = big.size();
    expect_fail(big, "caveat is larger than max_caveat_bytes", true, limits);
    expect_fail(token({loc(std::string(5000, 'l')) + id("c") + vid()}),
                "caveat is larger than max_caveat_bytes", true);
    expect_fail(token({id("c") + vid(std::string(5000, 'v'))}),
                "caveat is larger than max_caveat_bytes", true);
    expect_fail(big, "token is larger than max_token_bytes", true);

    Limits tight;
    tight.max_caveats = 2;
    Macaroon m;
    ParseError pe;
    size_t consumed = 0;
    assert_true(decode(token({id("a"), id("b")}), pe, m, consumed, tight));
    expect_fail(token({id("a"), id("b"), id("c")}), "token has more than max_caveats caveats",
                true, tight);
}

void test_reuse_keeps_buffers(void **) {
    Macaroon built;
    assert_true(macaroon_init(built, derived("key"), "s2s1:k:t", "loc"));
    for (int i = 0; i < 5; i++) assert_true(add_first_party(built, "service = orders"));
    std::string bytes;
    encode_v2(built, bytes);
    Macaroon m;
    ParseError pe;
    size_t consumed = 0;
    assert_true(decode(bytes, pe, m, consumed));
    const char *bufs[5];
    for (int i = 0; i < 5; i++) bufs[i] = m.caveats[i].id.data();
    const Caveat *slots = m.caveats.data();
    assert_true(decode(bytes, pe, m, consumed));
    assert_ptr_equal(m.caveats.data(), slots);
    for (int i = 0; i < 5; i++) assert_ptr_equal(m.caveats[i].id.data(), bufs[i]);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pymacaroons_vector),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_signature_sizes),
        cmocka_unit_test(test_varints_and_lengths),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_reuse_keeps_buffers),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
