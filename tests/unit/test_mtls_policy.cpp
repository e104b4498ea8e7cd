// test_mtls_policy.cpp: mTLS directives, loading errors, allowlist matching,
// pins, the peer C ABI and its input limits.
#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "mtls/digest.hpp"
#include "mtls/policy_data.hpp"
#include "policy_util.hpp"

// cmocka last: its macros clash with the standard library headers.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
extern "C" {
#include <cmocka.h>
}

using namespace s2s::testpki;
using s2s::Error;
using s2s::mtls::Policy;

namespace {

struct Fixture {
    std::string dir, bundle, empty_file, garbage_file;
    KeyPtr root_key, inter_key, leaf_key;
    CertPtr root, inter;
};
Fixture *fx;

int setup(void **) {
    fx = new Fixture;
    fx->dir = make_temp_dir();
    fx->root_key = make_key();
    fx->root = make_cert(ca_spec("Root"), fx->root_key.get(), nullptr, nullptr);
    fx->inter_key = make_key();
    fx->inter = make_cert(ca_spec("Inter"), fx->inter_key.get(), fx->root.get(), fx->root_key.get());
    fx->leaf_key = make_key();
    fx->bundle = fx->dir + "/bundle.pem";
    write_file(fx->bundle, pem_of(fx->root.get()));
    fx->empty_file = fx->dir + "/empty.pem";
    write_file(fx->empty_file, "# nothing here\n");
    fx->garbage_file = fx->dir + "/garbage.pem";
    write_file(fx->garbage_file,
               "-----BEGIN CERTIFICATE-----\nnot base64 at all !!\n-----END CERTIFICATE-----\n");
    return 0;
}

int teardown(void **) {
    remove_dir(fx->dir);
    delete fx;
    return 0;
}

// The status of applying one directive, or -1 if the name is not mTLS's.
int set_status(const char *name, const std::string &value) {
    Policy p;
    Error e;
    if (!p.set(name, value, e)) return -1;
    return e.status;
}

std::unique_ptr<s2s_peer> leaf_peer(const Policy &policy, CertSpec spec,
                                    EVP_PKEY *key = nullptr) {
    CertPtr leaf = make_cert(spec, key != nullptr ? key : fx->leaf_key.get(), fx->inter.get(),
                             fx->inter_key.get());
    return must_peer(policy, {leaf.get(), fx->inter.get()});
}

void test_directive_values(void **) {
    assert_int_equal(set_status("keyring", "/x"), -1);
    assert_int_equal(set_status("trust_bundle", "/x.pem"), S2S_OK);
    assert_int_equal(set_status("trust_bundle", ""), S2S_ERR_CONFIG);
    assert_int_equal(set_status("trust_bundle_spiffe", "example.org /x.pem"), S2S_OK);
    assert_int_equal(set_status("trust_bundle_spiffe", "example.org"), S2S_ERR_CONFIG);
    assert_int_equal(set_status("trust_bundle_spiffe", "Example.org /x.pem"), S2S_ERR_CONFIG);
    assert_int_equal(set_status("require_client_cert", "yes"), S2S_OK);
    assert_int_equal(set_status("require_client_cert", "true"), S2S_ERR_CONFIG);
    assert_int_equal(set_status("require_spiffe_id", "no"), S2S_OK);
    assert_int_equal(set_status("require_spiffe_id", "1"), S2S_ERR_CONFIG);
    assert_int_equal(set_status("verify_depth", "4"), S2S_OK);
    assert_int_equal(set_status("verify_depth", "0"), S2S_ERR_CONFIG);
    assert_int_equal(set_status("verify_depth", "17"), S2S_ERR_CONFIG);
    assert_int_equal(set_status("verify_depth", "4x"), S2S_ERR_CONFIG);
    assert_int_equal(set_status("verify_depth", "-1"), S2S_ERR_CONFIG);
    assert_int_equal(set_status("allow_spiffe_id", "spiffe://example.org/a"), S2S_OK);
    assert_int_equal(set_status("allow_spiffe_id", "spiffe://example.org/a/"), S2S_ERR_CONFIG);
    assert_int_equal(set_status("allow_spiffe_prefix", "spiffe://example.org/ns"), S2S_OK);
    assert_int_equal(set_status("allow_spiffe_prefix", "spiffe://example.org/"), S2S_ERR_CONFIG);
    assert_int_equal(set_status("allow_trust_domain", "example.org"), S2S_OK);
    assert_int_equal(set_status("allow_trust_domain", "spiffe://example.org"), S2S_ERR_CONFIG);
    assert_int_equal(set_status("allow_cert_sha256", "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"),
                     S2S_OK);
    assert_int_equal(set_status("allow_cert_sha256", "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa1"),
                     S2S_ERR_CONFIG);  // non-zero trailing bits
    assert_int_equal(set_status("allow_cert_sha256", "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0"),
                     S2S_ERR_CONFIG);  // standard alphabet
    assert_int_equal(set_status("allow_spki_sha256", std::string(64, 'a')), S2S_OK);
    assert_int_equal(set_status("allow_spki_sha256", std::string(63, 'a')), S2S_ERR_CONFIG);
    assert_int_equal(set_status("allow_dns", ""), S2S_ERR_CONFIG);
    assert_int_equal(set_status("allow_subject", "CN=a,O=b"), S2S_OK);
    assert_int_equal(set_status("crl", ""), S2S_ERR_CONFIG);

    // Scalars once; lists and bundles repeat.
    Policy p;
    Error e;
    assert_true(p.set("require_client_cert", "yes", e) && !e);
    assert_true(p.set("require_client_cert", "no", e));
    assert_int_equal(e.status, S2S_ERR_CONFIG);
    assert_true(p.requires_client_cert());
    assert_true(p.set("verify_depth", "3", e) && !e);
    assert_true(p.set("verify_depth", "3", e));
    assert_int_equal(e.status, S2S_ERR_CONFIG);
    assert_true(p.set("allow_dns", "a.example", e) && !e);
    assert_true(p.set("allow_dns", "b.example", e) && !e);
    assert_true(p.set("trust_bundle", "/a.pem", e) && !e);
    assert_true(p.set("trust_bundle", "/b.pem", e) && !e);
}

void test_pin_normalization(void **) {
    std::string out;
    // SHA-256("abc") in hex, with and without colons, equals its x5t#S256 form.
    const char *hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    assert_true(s2s::mtls::normalize_pin(hex, out));
    assert_string_equal(out.c_str(), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    assert_true(s2s::mtls::normalize_pin("BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:"
                                         "61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD",
                                         out));
    assert_string_equal(out.c_str(), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    assert_false(s2s::mtls::normalize_pin(std::string(hex) + ":", out));
    assert_false(s2s::mtls::normalize_pin(std::string(hex) + "00", out));
    assert_true(s2s::mtls::sha256_b64url("abc", out));
    assert_string_equal(out.c_str(), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
}

void test_finish_errors(void **) {
    Policy p;
    Error e = build_policy({{"trust_bundle", fx->dir + "/missing.pem"}}, p);
    assert_int_equal(e.status, S2S_ERR_CONFIG);
    assert_string_equal(e.message.c_str(), "cannot read trust bundle");
    assert_non_null(std::strstr(e.detail.c_str(), "missing.pem"));

    e = build_policy({{"trust_bundle", fx->empty_file}}, p);
    assert_int_equal(e.status, S2S_ERR_CONFIG);
    assert_string_equal(e.message.c_str(), "trust bundle is empty");
    assert_non_null(std::strstr(e.detail.c_str(), "empty.pem"));

    e = build_policy({{"trust_bundle", fx->garbage_file}}, p);
    assert_int_equal(e.status, S2S_ERR_CONFIG);
    assert_string_equal(e.message.c_str(), "trust bundle has a malformed certificate");

    e = build_policy({{"trust_bundle", fx->bundle}, {"crl", fx->empty_file}}, p);
    assert_int_equal(e.status, S2S_ERR_CONFIG);
    assert_string_equal(e.message.c_str(), "crl file is empty");

    std::string crl = fx->dir + "/root.crl";
    write_file(crl, pem_of(make_crl(fx->root.get(), fx->root_key.get(), {}).get()));
    e = build_policy({{"crl", crl}}, p);
    assert_int_equal(e.status, S2S_ERR_CONFIG);
    assert_string_equal(e.message.c_str(), "crl given without a trust bundle");

    e = build_policy({{"trust_bundle", fx->bundle}, {"crl", crl}}, p);
    assert_int_equal(e.status, S2S_OK);
    // The policy is immutable once built.
    assert_true(p.set("verify_depth", "3", e));
    assert_int_equal(e.status, S2S_ERR_INTERNAL);
}

void test_check_without_peer(void **) {
    Policy open = must_policy({{"trust_bundle", fx->bundle}});
    assert_int_equal(open.check(nullptr), S2S_REASON_OK);
    Policy required = must_policy({{"trust_bundle", fx->bundle}, {"require_client_cert", "yes"}});
    assert_int_equal(required.check(nullptr), S2S_REASON_CERT_REQUIRED);
    Policy allow = must_policy({{"allow_dns", "a.example"}});
    assert_int_equal(allow.check(nullptr), S2S_REASON_CERT_REQUIRED);
}

void test_spiffe_allowlists(void **) {
    Policy base = must_policy({{"trust_bundle", fx->bundle}});
    auto peer = leaf_peer(base, leaf_spec("svc", "spiffe://example.org/ns/prod/api"));
    auto other = leaf_peer(base, leaf_spec("svc", "spiffe://example.org/ns/production/api"));
    auto plain = leaf_peer(base, leaf_spec("plain"));
    assert_true(peer->trusted && other->trusted && plain->trusted);

    Policy by_id = must_policy({{"trust_bundle", fx->bundle},
                                {"allow_spiffe_id", "spiffe://example.org/ns/prod/api"}});
    assert_int_equal(by_id.check(peer.get()), S2S_REASON_OK);
    assert_int_equal(by_id.check(other.get()), S2S_REASON_CERT_POLICY);
    assert_int_equal(by_id.check(plain.get()), S2S_REASON_CERT_POLICY);

    Policy by_prefix = must_policy({{"trust_bundle", fx->bundle},
                                    {"allow_spiffe_prefix", "spiffe://example.org/ns/prod"}});
    assert_int_equal(by_prefix.check(peer.get()), S2S_REASON_OK);
    assert_int_equal(by_prefix.check(other.get()), S2S_REASON_CERT_POLICY);  // whole segments

    Policy by_td = must_policy({{"trust_bundle", fx->bundle}, {"allow_trust_domain", "example.org"}});
    assert_int_equal(by_td.check(peer.get()), S2S_REASON_OK);
    assert_int_equal(by_td.check(plain.get()), S2S_REASON_CERT_POLICY);
    Policy by_other_td = must_policy({{"trust_bundle", fx->bundle}, {"allow_trust_domain", "example.com"}});
    assert_int_equal(by_other_td.check(peer.get()), S2S_REASON_CERT_POLICY);
}

void test_san_and_subject_allowlists(void **) {
    Policy base = must_policy({{"trust_bundle", fx->bundle}});
    CertSpec s = leaf_spec("api");
    s.org = "Acme";
    s.dns = {"api.example.org"};
    auto dns = leaf_peer(base, s);
    CertSpec upper = leaf_spec("api");
    upper.dns = {"API.example.org"};
    auto dns_upper = leaf_peer(base, upper);
    CertSpec nul = leaf_spec("api");
    nul.dns = {std::string("api.example.org\0.evil", 21)};
    auto dns_nul = leaf_peer(base, nul);
    CertSpec email = leaf_spec("api");
    email.emails = {"api.example.org"};
    auto as_email = leaf_peer(base, email);
    CertSpec uri = leaf_spec("api");
    uri.uris = {"api.example.org"};
    auto as_uri = leaf_peer(base, uri);

    Policy by_dns = must_policy({{"trust_bundle", fx->bundle}, {"allow_dns", "api.example.org"}});
    assert_int_equal(by_dns.check(dns.get()), S2S_REASON_OK);
    assert_int_equal(by_dns.check(dns_upper.get()), S2S_REASON_CERT_POLICY);  // exact bytes
    assert_int_equal(dns_nul->dns_sans.size(), 0);                            // dropped
    assert_int_equal(by_dns.check(dns_nul.get()), S2S_REASON_CERT_POLICY);
    assert_int_equal(by_dns.check(as_email.get()), S2S_REASON_CERT_POLICY);
    assert_int_equal(by_dns.check(as_uri.get()), S2S_REASON_CERT_POLICY);

    assert_string_equal(dns->subject.c_str(), "CN=api,O=Acme");
    Policy by_subject = must_policy({{"trust_bundle", fx->bundle}, {"allow_subject", "CN=api,O=Acme"}});
    assert_int_equal(by_subject.check(dns.get()), S2S_REASON_OK);
    assert_int_equal(by_subject.check(dns_upper.get()), S2S_REASON_CERT_POLICY);
    Policy by_subject_order =
        must_policy({{"trust_bundle", fx->bundle}, {"allow_subject", "O=Acme,CN=api"}});
    assert_int_equal(by_subject_order.check(dns.get()), S2S_REASON_CERT_POLICY);
}

void test_pins(void **) {
    Policy base = must_policy({{"trust_bundle", fx->bundle}});
    CertSpec s = leaf_spec("pinned");
    s.serial = 99;
    auto first = leaf_peer(base, s);
    auto reissued_same_key = leaf_peer(base, leaf_spec("pinned again"));
    KeyPtr other_key = make_key();
    auto same_name_other_key = leaf_peer(base, s, other_key.get());

    Policy cert_pin = must_policy({{"trust_bundle", fx->bundle}, {"allow_cert_sha256", first->cert_sha256}});
    assert_int_equal(cert_pin.check(first.get()), S2S_REASON_OK);
    assert_int_equal(cert_pin.check(reissued_same_key.get()), S2S_REASON_CERT_POLICY);
    assert_int_equal(cert_pin.check(same_name_other_key.get()), S2S_REASON_CERT_POLICY);

    Policy spki_pin = must_policy({{"trust_bundle", fx->bundle}, {"allow_spki_sha256", first->spki_sha256}});
    assert_int_equal(spki_pin.check(first.get()), S2S_REASON_OK);
    assert_int_equal(spki_pin.check(reissued_same_key.get()), S2S_REASON_OK);  // same key
    assert_int_equal(spki_pin.check(same_name_other_key.get()), S2S_REASON_CERT_POLICY);
}

void test_untrusted_beats_allowlist(void **) {
    // A self-signed certificate whose pin is allowed is still untrusted when a bundle is set.
    KeyPtr key = make_key();
    CertPtr self = make_cert(leaf_spec("self"), key.get(), nullptr, nullptr);
    Policy none = must_policy({});
    auto probe = must_peer(none, {self.get()}, true);
    Policy p = must_policy({{"trust_bundle", fx->bundle}, {"allow_cert_sha256", probe->cert_sha256}});
    auto peer = must_peer(p, {self.get()}, true);
    assert_false(peer->trusted);
    assert_int_equal(p.check(peer.get()), S2S_REASON_CERT_UNTRUSTED);
}

void test_c_abi(void **) {
    CertPtr leaf = make_cert(leaf_spec("abi", "spiffe://example.org/abi"), fx->leaf_key.get(),
                             fx->inter.get(), fx->inter_key.get());
    std::string der = der_of(leaf.get());
    const unsigned char *ders[] = {reinterpret_cast<const unsigned char *>(der.data())};
    size_t lens[] = {der.size()};
    s2s_peer *p = nullptr;
    s2s_error err;
    assert_int_equal(s2s_peer_new(nullptr, ders, lens, 1, 1, &p, &err), S2S_OK);
    assert_int_equal(s2s_peer_trusted(p), 1);  // no policy: the host's verdict
    assert_string_equal(s2s_peer_spiffe_id(p), "spiffe://example.org/abi");
    std::string want;
    assert_true(s2s::mtls::sha256_b64url(der, want));
    assert_string_equal(s2s_peer_cert_sha256(p), want.c_str());
    s2s_peer_free(p);

    assert_int_equal(s2s_peer_new(nullptr, ders, lens, 1, 0, &p, &err), S2S_OK);
    assert_int_equal(s2s_peer_trusted(p), 0);
    s2s_peer_free(p);

    std::string pem = pem_of(leaf.get()) + pem_of(fx->inter.get());
    assert_int_equal(s2s_peer_new_pem(nullptr, pem.data(), pem.size(), 1, &p, &err), S2S_OK);
    assert_string_equal(s2s_peer_cert_sha256(p), want.c_str());
    s2s_peer_free(p);

    // NULL-safe accessors and free.
    assert_int_equal(s2s_peer_trusted(nullptr), 0);
    assert_string_equal(s2s_peer_spiffe_id(nullptr), "");
    assert_string_equal(s2s_peer_cert_sha256(nullptr), "");
    s2s_peer_free(nullptr);
}

void test_bad_inputs(void **) {
    CertPtr leaf = make_cert(leaf_spec("bad"), fx->leaf_key.get(), fx->inter.get(), fx->inter_key.get());
    std::string der = der_of(leaf.get());
    std::string trailing = der + '\0';
    s2s_peer *p = nullptr;
    s2s_error err;
    const unsigned char *one[] = {reinterpret_cast<const unsigned char *>(trailing.data())};
    size_t len_trailing[] = {trailing.size()};
    assert_int_equal(s2s_peer_new(nullptr, one, len_trailing, 1, 1, &p, &err), S2S_ERR_MALFORMED);
    assert_null(p);
    assert_string_equal(err.message, "certificate does not parse");

    size_t len_short[] = {der.size() - 1};
    assert_int_equal(s2s_peer_new(nullptr, one, len_short, 1, 1, &p, &err), S2S_ERR_MALFORMED);
    assert_int_equal(s2s_peer_new(nullptr, one, len_short, 0, 1, &p, &err), S2S_ERR_INVALID_ARGUMENT);
    size_t len_big[] = {70000};
    assert_int_equal(s2s_peer_new(nullptr, one, len_big, 1, 1, &p, &err), S2S_ERR_LIMIT);
    std::vector<const unsigned char *> many(17, one[0]);
    std::vector<size_t> many_lens(17, der.size());
    assert_int_equal(s2s_peer_new(nullptr, many.data(), many_lens.data(), 17, 1, &p, &err), S2S_ERR_LIMIT);
    assert_int_equal(s2s_peer_new(nullptr, one, len_short, 1, 1, nullptr, &err), S2S_ERR_INVALID_ARGUMENT);

    std::string key_block = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    assert_int_equal(s2s_peer_new_pem(nullptr, key_block.data(), key_block.size(), 1, &p, &err),
                     S2S_ERR_MALFORMED);
    std::string pem = pem_of(leaf.get()) + key_block;
    assert_int_equal(s2s_peer_new_pem(nullptr, pem.data(), pem.size(), 1, &p, &err), S2S_ERR_MALFORMED);
    std::string text = "hello";
    assert_int_equal(s2s_peer_new_pem(nullptr, text.data(), text.size(), 1, &p, &err), S2S_ERR_MALFORMED);
    assert_int_equal(s2s_peer_new_pem(nullptr, "", 0, 1, &p, &err), S2S_ERR_INVALID_ARGUMENT);
    assert_null(p);
}

void test_concurrent_peers(void **) {
    // One shared policy, many threads: the store and the intermediate cache are shared.
    Policy p = must_policy({{"trust_bundle", fx->bundle}});
    CertPtr leaf = make_cert(leaf_spec("shared", "spiffe://example.org/t"), fx->leaf_key.get(),
                             fx->inter.get(), fx->inter_key.get());
    std::string leaf_der = der_of(leaf.get()), inter_der = der_of(fx->inter.get());
    std::atomic<int> trusted{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; t++) {
        threads.emplace_back([&] {
            const unsigned char *ders[] = {reinterpret_cast<const unsigned char *>(leaf_der.data()),
                                           reinterpret_cast<const unsigned char *>(inter_der.data())};
            size_t lens[] = {leaf_der.size(), inter_der.size()};
            for (int i = 0; i < 50; i++) {
                s2s_peer *peer = nullptr;
                Error e = s2s::mtls::make_peer(p, ders, lens, 2, false, peer);
                if (!e && peer->trusted) trusted++;
                delete peer;
            }
        });
    }
    for (std::thread &t : threads) t.join();
    assert_int_equal(trusted.load(), 200);
}

void test_intermediate_cache(void **) {
    Policy p = must_policy({{"trust_bundle", fx->bundle}});
    // An intermediate of a chain that does not verify is not kept.
    KeyPtr other_root_key = make_key();
    CertPtr other_root = make_cert(ca_spec("Other"), other_root_key.get(), nullptr, nullptr);
    KeyPtr other_inter_key = make_key();
    CertPtr other_inter = make_cert(ca_spec("Other Inter"), other_inter_key.get(), other_root.get(),
                                    other_root_key.get());
    CertPtr stranger = make_cert(leaf_spec("stranger"), fx->leaf_key.get(), other_inter.get(),
                                 other_inter_key.get());
    auto untrusted = must_peer(p, {stranger.get(), other_inter.get()});
    assert_false(untrusted->trusted);
    assert_int_equal(p.data()->intermediates.size(), 0);
    // A verified chain's intermediate is kept once, and reused with the same verdicts.
    auto first = leaf_peer(p, leaf_spec("one"));
    auto second = leaf_peer(p, leaf_spec("two"));
    assert_true(first->trusted && second->trusted);
    assert_int_equal(p.data()->intermediates.size(), 1);
    CertSpec expired = leaf_spec("expired");
    expired.not_before = -10 * 86400;
    expired.not_after = -86400;
    auto third = leaf_peer(p, expired);
    assert_false(third->trusted);
    assert_int_equal(third->chain_error, X509_V_ERR_CERT_HAS_EXPIRED);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_directive_values),
        cmocka_unit_test(test_pin_normalization),
        cmocka_unit_test(test_finish_errors),
        cmocka_unit_test(test_check_without_peer),
        cmocka_unit_test(test_spiffe_allowlists),
        cmocka_unit_test(test_san_and_subject_allowlists),
        cmocka_unit_test(test_pins),
        cmocka_unit_test(test_untrusted_beats_allowlist),
        cmocka_unit_test(test_c_abi),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_concurrent_peers),
        cmocka_unit_test(test_intermediate_cache),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
