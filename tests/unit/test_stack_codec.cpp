// test_stack_codec.cpp: format detection, stacks, and the checks made before
// anything is decoded (size, emptiness, base64 strictness).
#include <cstdlib>
#include <new>
#include <vector>

#include "codec_test_util.hpp"

// Every operator new in this test binary is counted, so that a test can show
// a reparse into reused objects allocates nothing.
static size_t g_allocations = 0;

void *operator new(size_t n) {
    g_allocations++;
    if (void *p = std::malloc(n != 0 ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void *p) noexcept { std::free(p); }
void operator delete(void *p, size_t) noexcept { std::free(p); }

using namespace s2s;
using s2s::test::derived;

namespace {

Macaroon sample(std::string_view id, int caveats) {
    Macaroon m;
    assert_true(macaroon_init(m, derived("root"), id, "loc"));
    for (int i = 0; i < caveats; i++) assert_true(add_first_party(m, "service = orders"));
    return m;
}

std::string v1_text(const Macaroon &m) {
    std::string bytes;
    assert_true(encode_v1(m, bytes));
    return base64url_encode(bytes);
}

std::string v2_text(const Macaroon &m) {
    std::string bytes;
    encode_v2(m, bytes);
    return base64url_encode(bytes);
}

// base64 in the standard alphabet, padded, as libmacaroons' b64_ntop writes.
std::string std_padded(std::string text) {
    for (char &c : text) {
        if (c == '-') c = '+';
        if (c == '_') c = '/';
    }
    while (text.size() % 4 != 0) text.push_back('=');
    return text;
}

void expect_any_fail(std::string_view text, const char *rule, bool too_large = false) {
    Macaroon m;
    std::string scratch;
    ParseError pe;
    assert_false(decode_any(text, Limits{}, m, scratch, pe));
    assert_parse_error(pe, rule);
    assert_int_equal(pe.too_large, too_large);
}

void test_decode_any_formats(void **) {
    Macaroon m0 = sample("s2s1:k:t", 3);
    std::string json;
    assert_true(encode_v2_json(m0, json));
    const std::string v1 = v1_text(m0), v2 = v2_text(m0);
    for (const std::string &text : {v1, v2, json, std_padded(v1), std_padded(v2)}) {
        Macaroon m;
        std::string scratch;
        ParseError pe;
        assert_true(decode_any(text, Limits{}, m, scratch, pe));
        assert_true(m.identifier == m0.identifier);
        assert_int_equal(m.caveats.size(), 3);
        assert_true(m.signature == m0.signature);
    }
}

void test_decode_any_rejects(void **) {
    expect_any_fail("", "token is empty");
    expect_any_fail("MDA", "token is neither V1, V2 nor V2 JSON");
    expect_any_fail("MDB", "token is not valid base64 (or mixes alphabets, or has white space)");
    expect_any_fail("AA", "token is neither V1, V2 nor V2 JSON");
    expect_any_fail("=", "token is not valid base64 (or mixes alphabets, or has white space)");
    expect_any_fail("[]", "token is not valid base64 (or mixes alphabets, or has white space)");

    Macaroon m0 = sample("id", 1);
    std::string v2 = v2_text(m0), v1 = v1_text(m0);
    // Mixed alphabets: a token holding both '-' and '/' somewhere.
    std::string mixed = v2 + "-_/A";
    expect_any_fail(mixed, "token is not valid base64 (or mixes alphabets, or has white space)");
    // Flipped trailing bits: setting the lowest bit of the last character
    // of an unpadded token sets one of the bits past the data.
    static constexpr std::string_view kUrl =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (std::string text : {v1, v2}) {
        assert_int_not_equal(text.size() % 4, 0);
        text.back() = kUrl[kUrl.find(text.back()) ^ 1];
        expect_any_fail(text, "token is not valid base64 (or mixes alphabets, or has white space)");
    }
    expect_any_fail(v1.substr(0, 20) + "\n" + v1.substr(20),
                    "token is not valid base64 (or mixes alphabets, or has white space)");
    // Two V2 macaroons are a stack, not a macaroon.
    std::string bytes;
    encode_v2(m0, bytes);
    expect_any_fail(base64url_encode(bytes + bytes), "trailing bytes after the V2 macaroon");
    expect_any_fail(base64url_encode(bytes + "x"), "trailing bytes after the V2 macaroon");
    // A V1 length written in uppercase is not recognised as V1 at all.
    std::string upper_v1 = "001C" + std::string("location x\n").substr(0);
    expect_any_fail(base64url_encode(upper_v1), "token is neither V1, V2 nor V2 JSON");
}

// A 1 MiB token is refused on its size, before base64 or JSON is looked at.
void test_size_checked_first(void **) {
    std::string huge(1 << 20, '!');  // not even base64
    expect_any_fail(huge, "token is larger than max_token_bytes", true);
    huge[0] = '{';
    expect_any_fail(huge, "token is larger than max_token_bytes", true);
    std::vector<Macaroon> out;
    std::string scratch;
    ParseError pe;
    huge[0] = '[';
    assert_false(decode_stack(huge, Limits{}, out, scratch, pe));
    assert_parse_error(pe, "token is larger than max_token_bytes");
    assert_true(pe.too_large);
    huge[0] = 'A';
    assert_false(decode_stack(huge, Limits{}, out, scratch, pe));
    assert_true(pe.too_large);
    assert_true(scratch.empty());  // nothing was decoded
}

void test_stack_round_trip(void **) {
    Macaroon root = sample("s2s1:k:root", 2);
    assert_true(add_third_party(root, "tp", "ck", "d1"));
    Macaroon d1;
    assert_true(macaroon_init(d1, derived("ck"), "d1", "tp"));
    assert_true(add_first_party(d1, "time < 2030-01-01T00:00:00Z"));
    assert_true(bind_discharge(root, d1));
    std::string text;
    encode_stack({&root, &d1}, text);
    assert_true(text.find_first_of("+/=") == std::string::npos);

    std::vector<Macaroon> out(5);  // shrinks to the count
    std::string scratch;
    ParseError pe;
    assert_true(decode_stack(text, Limits{}, out, scratch, pe));
    assert_int_equal(out.size(), 2);
    assert_true(out[0].signature == root.signature);
    assert_true(out[1].signature == d1.signature);
    assert_true(out[1].identifier == "d1");

    // Reparsing into the same vector keeps its buffers.
    const Macaroon *slots = out.data();
    const char *cav = out[0].caveats[0].id.data();
    assert_true(decode_stack(text, Limits{}, out, scratch, pe));
    assert_ptr_equal(out.data(), slots);
    assert_ptr_equal(out[0].caveats[0].id.data(), cav);

    // A single macaroon in any format is a stack of one.
    std::string json;
    assert_true(encode_v2_json(root, json));
    for (const std::string &one : {v1_text(root), v2_text(root), json, "[" + json + "]"}) {
        assert_true(decode_stack(one, Limits{}, out, scratch, pe));
        assert_int_equal(out.size(), 1);
        assert_true(out[0].signature == root.signature);
    }

    // Truncating the stack anywhere inside the discharge fails.
    std::string bytes;
    assert_true(base64_decode(text, bytes));
    std::string root_bytes;
    encode_v2(root, root_bytes);
    for (size_t n = root_bytes.size() + 1; n < bytes.size(); n++) {
        assert_false(decode_stack(base64url_encode(bytes.substr(0, n)), Limits{}, out, scratch, pe));
    }
    // Garbage after the last macaroon.
    assert_false(decode_stack(base64url_encode(bytes + "\x02"), Limits{}, out, scratch, pe));
    assert_parse_error(pe, "V2 varint runs past the end of the token");
    assert_false(decode_stack(base64url_encode(bytes + "x"), Limits{}, out, scratch, pe));
    assert_parse_error(pe, "V2 token does not start with version byte 2");
}

void test_stack_limits(void **) {
    Macaroon m = sample("id", 0);
    Limits limits;
    limits.max_discharges = 2;
    std::string text;
    encode_stack({&m, &m, &m}, text);
    std::vector<Macaroon> out;
    std::string scratch;
    ParseError pe;
    assert_true(decode_stack(text, limits, out, scratch, pe));
    assert_int_equal(out.size(), 3);
    encode_stack({&m, &m, &m, &m}, text);
    assert_false(decode_stack(text, limits, out, scratch, pe));
    assert_parse_error(pe, "stack has more than max_discharges discharges");
    assert_true(pe.too_large);

    assert_false(decode_stack("", limits, out, scratch, pe));
    assert_parse_error(pe, "token is empty");
    assert_false(decode_stack("MDA", limits, out, scratch, pe));
    assert_parse_error(pe, "token is neither V1, V2 nor V2 JSON");
    assert_false(decode_stack("AA", limits, out, scratch, pe));
    assert_parse_error(pe, "token is neither V1, V2 nor V2 JSON");
}

// Binary formats parsed into reused objects reach a steady state without
// allocation: the verifier's hot path.  (Vectors are resized to the count, so
// a shorter parse gives back the slots past it: steady state means tokens of
// one shape, as a verifier thread sees from one client.)
void test_steady_state_allocates_nothing(void **) {
    Macaroon root = sample("s2s1:k:root", 5);
    assert_true(add_third_party(root, "tp", "ck", "d1"));
    Macaroon d1;
    assert_true(macaroon_init(d1, derived("ck"), "d1", "tp"));
    assert_true(add_first_party(d1, "time < 2030-01-01T00:00:00Z"));
    assert_true(bind_discharge(root, d1));
    std::string stack_text, v1 = v1_text(root), v2 = v2_text(root);
    encode_stack({&root, &d1}, stack_text);

    std::vector<Macaroon> stack, single_stack;
    Macaroon single;
    std::string scratch;
    ParseError pe;
    for (int round = 0; round < 3; round++) {
        size_t before = g_allocations;
        assert_true(decode_stack(stack_text, Limits{}, stack, scratch, pe));
        assert_true(decode_any(v2, Limits{}, single, scratch, pe));
        assert_true(decode_any(v1, Limits{}, single, scratch, pe));
        assert_true(decode_stack(v1, Limits{}, single_stack, scratch, pe));
        assert_true(decode_stack(v2, Limits{}, single_stack, scratch, pe));
        if (round > 0) assert_int_equal(g_allocations - before, 0);
    }
    assert_int_equal(stack.size(), 2);
    assert_true(stack[1].signature == d1.signature);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_any_formats),
        cmocka_unit_test(test_decode_any_rejects),
        cmocka_unit_test(test_size_checked_first),
        cmocka_unit_test(test_stack_round_trip),
        cmocka_unit_test(test_stack_limits),
        cmocka_unit_test(test_steady_state_allocates_nothing),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
