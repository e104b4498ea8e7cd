// test_mtls_spiffe.cpp: the SPIFFE ID parser, one case per rule of the
// X.509-SVID profile, and whole-segment prefix matching.

#include <string>

#include "mtls/spiffe_id.hpp"

// cmocka last: its macros clash with the standard library headers.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
extern "C" {
#include <cmocka.h>
}

using s2s::mtls::parse_spiffe_id;
using s2s::mtls::SpiffeIdView;
using s2s::mtls::SpiffeRule;

namespace {

SpiffeRule rule_of(std::string_view uri) {
    SpiffeIdView v;
    return parse_spiffe_id(uri, v);
}

void test_valid_ids(void **) {
    SpiffeIdView v;
    assert_int_equal(parse_spiffe_id("spiffe://example.org/ns/prod/sa/api", v), SpiffeRule::kOk);
    assert_true(v.trust_domain == "example.org");
    assert_true(v.path == "/ns/prod/sa/api");
    assert_int_equal(rule_of("spiffe://a-b_c.9/x"), SpiffeRule::kOk);
    assert_int_equal(rule_of("spiffe://td/A.b-C_9"), SpiffeRule::kOk);
    assert_int_equal(rule_of("spiffe://td/..a/a.."), SpiffeRule::kOk);  // not dot segments
}

void test_scheme(void **) {
    assert_int_equal(rule_of("https://example.org/x"), SpiffeRule::kScheme);
    assert_int_equal(rule_of("SPIFFE://example.org/x"), SpiffeRule::kScheme);
    assert_int_equal(rule_of("spiffe:/example.org/x"), SpiffeRule::kScheme);
    assert_int_equal(rule_of(""), SpiffeRule::kScheme);
}

void test_trust_domain(void **) {
    assert_int_equal(rule_of("spiffe://Example.org/x"), SpiffeRule::kTrustDomainChar);
    assert_int_equal(rule_of("spiffe://exa mple/x"), SpiffeRule::kTrustDomainChar);
    assert_int_equal(rule_of("spiffe://[::1]/x"), SpiffeRule::kPort);  // ':' is a port, first
    assert_int_equal(rule_of("spiffe://example.org:8443/x"), SpiffeRule::kPort);
    assert_int_equal(rule_of("spiffe://user@example.org/x"), SpiffeRule::kUserinfo);
    assert_int_equal(rule_of("spiffe://user:pw@example.org/x"), SpiffeRule::kUserinfo);
    assert_int_equal(rule_of("spiffe:///x"), SpiffeRule::kEmptyTrustDomain);
    assert_int_equal(rule_of("spiffe://" + std::string(255, 'a') + "/x"), SpiffeRule::kOk);
    assert_int_equal(rule_of("spiffe://" + std::string(256, 'a') + "/x"),
                     SpiffeRule::kTrustDomainTooLong);
    assert_int_equal(s2s::mtls::check_trust_domain("example.org"), SpiffeRule::kOk);
    assert_int_equal(s2s::mtls::check_trust_domain("Example.org"), SpiffeRule::kTrustDomainChar);
    assert_int_equal(s2s::mtls::check_trust_domain(""), SpiffeRule::kEmptyTrustDomain);
}

void test_uri_components(void **) {
    assert_int_equal(rule_of("spiffe://example.org/x?y=1"), SpiffeRule::kQuery);
    assert_int_equal(rule_of("spiffe://example.org/x#frag"), SpiffeRule::kFragment);
    assert_int_equal(rule_of("spiffe://example.org/x%2Fy"), SpiffeRule::kPercentEncoding);
    assert_int_equal(rule_of("spiffe://exa%6Dple.org/x"), SpiffeRule::kPercentEncoding);
    assert_int_equal(rule_of(std::string_view("spiffe://example.org/a\0b", 24)),
                     SpiffeRule::kNulByte);
}

void test_path(void **) {
    assert_int_equal(rule_of("spiffe://example.org"), SpiffeRule::kRootPath);
    assert_int_equal(rule_of("spiffe://example.org/"), SpiffeRule::kRootPath);
    assert_int_equal(rule_of("spiffe://example.org/a/"), SpiffeRule::kTrailingSlash);
    assert_int_equal(rule_of("spiffe://example.org/a//b"), SpiffeRule::kEmptySegment);
    assert_int_equal(rule_of("spiffe://example.org//a"), SpiffeRule::kEmptySegment);
    assert_int_equal(rule_of("spiffe://example.org/a/./b"), SpiffeRule::kDotSegment);
    assert_int_equal(rule_of("spiffe://example.org/a/../b"), SpiffeRule::kDotSegment);
    assert_int_equal(rule_of("spiffe://example.org/.."), SpiffeRule::kDotSegment);
    assert_int_equal(rule_of("spiffe://example.org/a b"), SpiffeRule::kPathChar);
    assert_int_equal(rule_of("spiffe://example.org/a~b"), SpiffeRule::kPathChar);
    assert_int_equal(rule_of("spiffe://example.org/caf\xc3\xa9"), SpiffeRule::kPathChar);
}

void test_length(void **) {
    std::string base = "spiffe://example.org/";
    std::string id = base + std::string(2048 - base.size(), 'a');
    assert_int_equal(id.size(), 2048);
    assert_int_equal(rule_of(id), SpiffeRule::kOk);
    assert_int_equal(rule_of(id + "a"), SpiffeRule::kTooLong);
}

void test_prefix(void **) {
    using s2s::mtls::spiffe_id_has_prefix;
    assert_true(spiffe_id_has_prefix("spiffe://td/ns/prod", "spiffe://td/ns/prod"));
    assert_true(spiffe_id_has_prefix("spiffe://td/ns/prod/api", "spiffe://td/ns/prod"));
    assert_false(spiffe_id_has_prefix("spiffe://td/ns/production", "spiffe://td/ns/prod"));
    assert_false(spiffe_id_has_prefix("spiffe://td/ns", "spiffe://td/ns/prod"));
    assert_false(spiffe_id_has_prefix("spiffe://td2/ns/prod", "spiffe://td/ns/prod"));
    assert_false(spiffe_id_has_prefix("spiffe://td/ns/prod", ""));
}

void test_rule_texts(void **) {
    assert_string_equal(s2s::mtls::spiffe_rule_text(SpiffeRule::kPort), "spiffe id has a port");
    assert_string_equal(s2s::mtls::spiffe_rule_text(SpiffeRule::kOk), "valid");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_ids),       cmocka_unit_test(test_scheme),
        cmocka_unit_test(test_trust_domain),    cmocka_unit_test(test_uri_components),
        cmocka_unit_test(test_path),            cmocka_unit_test(test_length),
        cmocka_unit_test(test_prefix),          cmocka_unit_test(test_rule_texts),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
