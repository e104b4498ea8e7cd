// test_v1_codec.cpp: V1 packets, byte-exact with libmacaroons' README, and
// every hostile shape the parser must refuse (each with its exact rule).
#include <cstdio>
#include <vector>

#include "codec_test_util.hpp"

using namespace s2s;
using s2s::test::derived;
using s2s::test::hex;
using s2s::test::unb64;

namespace {

// libmacaroons README (0.3.0): the first macaroon, serialized.
constexpr const char *kReadmeToken =
    "MDAxY2xvY2F0aW9uIGh0dHA6Ly9teWJhbmsvCjAwMjZpZGVudGlmaWVyIHdlIHVzZWQgb3VyIHNlY3JldCBrZXkKMDAy"
    "ZnNpZ25hdHVyZSDj2eApCFJsTAA5rhURQRXZf91ovyujebNCqvD2F9BVLwo";

// The README's third-party example with the zero nonce, as pymacaroons 0.13
// serializes it (V1, base64url): generated once with /usr/bin/python3.
constexpr const char *kReadmeThirdPartyToken =
    "MDAxY2xvY2F0aW9uIGh0dHA6Ly9teWJhbmsvCjAwMmNpZGVudGlmaWVyIHdlIHVzZWQgb3VyIG90aGVyIHNlY3JldCBr"
    "ZXkKMDAxZGNpZCBhY2NvdW50ID0gMzczNTkyODU1OQowMDMwY2lkIHRoaXMgd2FzIGhvdyB3ZSByZW1pbmQgYXV0aCBv"
    "ZiBrZXkvcHJlZAowMDUxdmlkIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAANNuxQLgWIbR8CefBV-lJVTRbRbBsUB0u7g_"
    "8P3XncL-CY8O1KKwkRMOa120aiCoawowMDFiY2wgaHR0cDovL2F1dGgubXliYW5rLwowMDJmc2lnbmF0dXJlINJ9sv0f"
    "InYOTD2ugTfi2Pwd9sB0HBiu1LlyVr940fVcCg";

std::string pkt(std::string_view key, std::string_view value) {
    size_t size = 4 + key.size() + 1 + value.size() + 1;
    char header[5];
    std::snprintf(header, sizeof header, "%04zx", size);
    std::string p(header, 4);
    p.append(key).append(1, ' ').append(value).append(1, '\n');
    return p;
}

const std::string kSig(32, '\x5a');

std::string head() { return pkt("location", "loc") + pkt("identifier", "id"); }
std::string sig(size_t n = 32) { return pkt("signature", std::string(n, '\x5a')); }

bool decode(std::string_view bytes, ParseError &pe, Macaroon &m, const Limits &limits = {}) {
    pe = ParseError{};
    return decode_v1(bytes, limits, m, pe);
}

void expect_fail(std::string_view bytes, const char *rule, bool too_large = false,
                 const Limits &limits = {}) {
    Macaroon m;
    ParseError pe;
    assert_false(decode(bytes, pe, m, limits));
    assert_parse_error(pe, rule);
    assert_int_equal(pe.too_large, too_large);
}

void test_readme_vector(void **) {
    Macaroon m;
    ParseError pe;
    assert_true(decode(unb64(kReadmeToken), pe, m));
    assert_true(m.location == "http://mybank/");
    assert_true(m.identifier == "we used our secret key");
    assert_int_equal(m.caveats.size(), 0);
    assert_string_equal(hex(m.signature).c_str(),
                        "e3d9e02908526c4c0039ae15114115d97fdd68bf2ba379b342aaf0f617d0552f");

    // Built here, it serializes to the same bytes.
    Macaroon built;
    assert_true(macaroon_init(built, derived("this is our super secret key; only we should know it"),
                              "we used our secret key", "http://mybank/"));
    std::string bytes;
    assert_true(encode_v1(built, bytes));
    assert_string_equal(base64url_encode(bytes).c_str(), kReadmeToken);
}

void test_third_party_vector(void **) {
    Macaroon built;
    assert_true(macaroon_init(
        built, derived("this is a different super-secret key; never use the same secret twice"),
        "we used our other secret key", "http://mybank/"));
    assert_true(add_first_party(built, "account = 3735928559"));
    const uint8_t zero_nonce[kSecretboxNonceBytes] = {};
    assert_true(add_third_party_with_nonce(built, "http://auth.mybank/",
                                           "4; guaranteed random by a fair toss of the dice",
                                           "this was how we remind auth of key/pred", zero_nonce));
    std::string bytes;
    assert_true(encode_v1(built, bytes));
    assert_string_equal(base64url_encode(bytes).c_str(), kReadmeThirdPartyToken);

    Macaroon m;
    ParseError pe;
    assert_true(decode(bytes, pe, m));
    assert_int_equal(m.caveats.size(), 2);
    assert_true(m.caveats[1].vid == built.caveats[1].vid);
    assert_true(m.caveats[1].location == "http://auth.mybank/");
    assert_true(m.caveats[1].id == "this was how we remind auth of key/pred");
    assert_true(m.signature == built.signature);
}

// A raw vid holding 0x0a, 0x20 and 0x00 (and a cl with a space) is read by
// length, never by scanning.
void test_vid_with_delimiters(void **) {
    std::string vid("\n \0\n  \0\n", 8);
    vid.append(64, '\n');
    std::string bytes = head() + pkt("cid", "c 1\n") + pkt("vid", vid) + pkt("cl", "a b") + sig();
    Macaroon m;
    ParseError pe;
    assert_true(decode(bytes, pe, m));
    assert_int_equal(m.caveats.size(), 1);
    assert_true(m.caveats[0].id == "c 1\n");
    assert_true(m.caveats[0].vid == vid);
    assert_true(m.caveats[0].location == "a b");
    std::string again;
    assert_true(encode_v1(m, again));
    assert_true(again == bytes);
}

void test_round_trip_and_reuse(void **) {
    Macaroon built;
    assert_true(macaroon_init(built, derived("key"), "s2s1:k:t", ""));
    for (int i = 0; i < 5; i++) assert_true(add_first_party(built, "service = orders"));
    assert_true(add_third_party(built, "", "tp key", "tp id"));
    std::string bytes;
    assert_true(encode_v1(built, bytes));
    Macaroon m;
    ParseError pe;
    assert_true(decode(bytes, pe, m));
    assert_true(m.location.empty());
    assert_int_equal(m.caveats.size(), 6);
    assert_true(m.caveats[5].third_party());
    assert_true(m.caveats[5].location.empty());
    assert_true(m.signature == built.signature);

    // Parsing the same token again into the same Macaroon keeps every buffer.
    const char *id_buf = m.identifier.data();
    const char *cav_buf = m.caveats[0].id.data();
    const Caveat *slots = m.caveats.data();
    assert_true(decode(bytes, pe, m));
    assert_ptr_equal(m.identifier.data(), id_buf);
    assert_ptr_equal(m.caveats[0].id.data(), cav_buf);
    assert_ptr_equal(m.caveats.data(), slots);
}

void test_truncated_everywhere(void **) {
    std::string bytes = head() + pkt("cid", "a = b") + pkt("cid", "x") + pkt("vid", std::string(72, 'v')) +
                        pkt("cl", "tp") + sig();
    Macaroon m;
    ParseError pe;
    assert_true(decode(bytes, pe, m));
    for (size_t n = 0; n < bytes.size(); n++) {
        assert_false(decode(std::string_view(bytes).substr(0, n), pe, m));
        assert_non_null(pe.what);
    }
}

void test_structure(void **) {
    const std::string cid = pkt("cid", "a = b");
    const std::string vid = pkt("vid", std::string(72, 'v'));
    const std::string cl = pkt("cl", "tp");
    expect_fail("", "V1 token is empty");
    expect_fail(head(), "V1 signature packet is missing");
    expect_fail(head() + cid, "V1 signature packet is missing");
    expect_fail(head() + sig() + "x", "trailing bytes after the V1 signature");
    expect_fail(head() + sig() + sig(), "trailing bytes after the V1 signature");
    expect_fail(pkt("identifier", "id") + sig(), "V1 token does not start with a location packet");
    expect_fail(pkt("location", "l") + sig(), "V1 signature packet comes before the identifier");
    expect_fail(pkt("location", "l") + cid + sig(), "V1 cid packet comes before the identifier");
    expect_fail(head() + pkt("location", "again") + sig(),
                "V1 location packet is duplicated or out of order");
    expect_fail(pkt("location", "l") + pkt("location", "l") + pkt("identifier", "i") + sig(),
                "V1 location packet is duplicated or out of order");
    expect_fail(head() + pkt("identifier", "again") + sig(), "V1 identifier packet is duplicated");
    expect_fail(head() + vid + cl + sig(), "V1 vid packet comes before any cid");
    expect_fail(head() + cl + sig(), "V1 cl packet comes before any cid");
    expect_fail(head() + cid + cl + sig(), "V1 cl packet does not follow a vid packet");
    expect_fail(head() + cid + vid + sig(), "V1 vid packet is not followed by a cl packet");
    expect_fail(head() + cid + vid + cid + sig(), "V1 vid packet is not followed by a cl packet");
    expect_fail(head() + cid + vid + vid + cl + sig(), "V1 vid packet is duplicated or out of order");
    expect_fail(head() + cid + vid + cl + cl + sig(), "V1 cl packet does not follow a vid packet");
    expect_fail(head() + cid + pkt("vid", "") + cl + sig(), "V1 vid packet is empty");
    expect_fail(head() + pkt("cav", "a = b") + sig(), "V1 packet has an unknown key");
    expect_fail(head() + pkt("signatures", kSig) , "V1 packet has an unknown key");
    expect_fail(head() + pkt("Signature", kSig), "V1 packet has an unknown key");
    expect_fail(head() + pkt(std::string_view("cid\0", 4), "x") + sig(), "V1 packet has an unknown key");
}

void test_signature_sizes(void **) {
    for (size_t n : {0, 1, 16, 31, 33, 64}) {
        expect_fail(head() + sig(n), "V1 signature is not 32 bytes");
    }
}

void test_packet_lengths(void **) {
    std::string good = head() + sig();
    std::string bad = good;
    bad.replace(0, 4, "00ff");  // past the end
    expect_fail(bad, "V1 packet length runs past the end of the token");
    bad.replace(0, 4, "ffff");
    expect_fail(bad, "V1 packet length runs past the end of the token");
    bad.replace(0, 4, "0003");  // shorter than its own header
    expect_fail(bad, "V1 packet length is shorter than its header");
    bad.replace(0, 4, "0000");
    expect_fail(bad, "V1 packet length is shorter than its header");
    bad.replace(0, 4, "0010");  // lands inside the next packet: no newline there
    expect_fail(bad, "V1 packet does not end with a newline");
    bad = good;
    bad.replace(0, 4, "001B");  // uppercase hex: libmacaroons refuses it too
    expect_fail(bad, "V1 packet length is not 4 lowercase hex digits");
    bad.replace(0, 4, "+01b");
    expect_fail(bad, "V1 packet length is not 4 lowercase hex digits");
    bad.replace(0, 4, " 01b");
    expect_fail(bad, "V1 packet length is not 4 lowercase hex digits");
    expect_fail("001", "V1 packet header is truncated");
}

void test_limits(void **) {
    Limits limits;
    // 100 000 caveats: refused at caveat max_caveats + 1.
    std::string many = head();
    const std::string cid = pkt("cid", "a = b");
    for (int i = 0; i < 100000; i++) many += cid;
    many += sig();
    limits.max_token_bytes = many.size();
    expect_fail(many, "token has more than max_caveats caveats", true, limits);

    // A 60 000-byte caveat (near V1's 64 KiB packet ceiling).
    std::string big = head() + pkt("cid", std::string(60000, 'x')) + sig();
    limits.max_token_bytes = big.size();
    expect_fail(big, "caveat is larger than max_caveat_bytes", true, limits);

    // Exactly at the limits is fine.
    Limits tight;
    tight.max_caveats = 2;
    tight.max_caveat_bytes = 5;
    std::string ok = head() + cid + cid + sig();
    Macaroon m;
    ParseError pe;
    assert_true(decode(ok, pe, m, tight));
    tight.max_caveat_bytes = 4;
    expect_fail(ok, "caveat is larger than max_caveat_bytes", true, tight);
    tight.max_token_bytes = ok.size() - 1;
    expect_fail(ok, "token is larger than max_token_bytes", true, tight);
}

void test_encode_refuses_oversized(void **) {
    Macaroon m;
    assert_true(macaroon_init(m, derived("k"), "id", ""));
    m.caveats.push_back(Caveat{std::string(70000, 'x'), "", ""});
    std::string out = "junk";
    assert_false(encode_v1(m, out));
    assert_true(out.empty());
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readme_vector),
        cmocka_unit_test(test_third_party_vector),
        cmocka_unit_test(test_vid_with_delimiters),
        cmocka_unit_test(test_round_trip_and_reuse),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_signature_sizes),
        cmocka_unit_test(test_packet_lengths),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_encode_refuses_oversized),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
