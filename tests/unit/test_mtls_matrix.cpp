// test_mtls_matrix.cpp: the negative matrix of client certificates.
//
// A PKI is generated at run time (tests/pki): a trusted root and intermediate,
// an untrusted root, per-trust-domain roots, expired anchors and CRLs.  Each
// row is one certificate with one defect and the exact verdict it must get:
// trusted or not, OpenSSL's verify error, the static reason make_peer gives,
// and the decision of Policy::check.  Positive rows prove the fixtures work,
// so a failing row cannot pass by accident.

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <openssl/x509_vfy.h>

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
using s2s::mtls::Policy;
using s2s::mtls::SpiffeRule;
using s2s::mtls::spiffe_rule_text;

namespace {

constexpr long kDay = 86400;

struct Row {
    std::string name;
    std::vector<X509 *> chain;  // leaf first; roots are never sent
    const Policy *policy;
    bool trusted;
    int chain_error;
    std::string detail;
    s2s_reason reason;
};

struct Fixture {
    std::string dir;
    std::vector<KeyPtr> keys;
    std::vector<CertPtr> certs;
    std::vector<CrlPtr> crls;
    Policy main, crl_ok, crl_missing, crl_expired, depth1, pinned, no_bundle;
    std::vector<Row> rows;

    EVP_PKEY *key(KeyType t = KeyType::kP256) {
        keys.push_back(make_key(t));
        return keys.back().get();
    }
    X509 *cert(const CertSpec &spec, EVP_PKEY *k, X509 *issuer, EVP_PKEY *issuer_key) {
        certs.push_back(make_cert(spec, k, issuer, issuer_key));
        return certs.back().get();
    }
    std::string file(const std::string &name, const std::string &content) {
        std::string path = dir + "/" + name;
        write_file(path, content);
        return path;
    }
};

Fixture *fx;

CertSpec with_uris(CertSpec s, std::vector<std::string> uris) {
    s.uris = std::move(uris);
    return s;
}

int setup(void **) {
    fx = new Fixture;
    Fixture &f = *fx;
    f.dir = make_temp_dir();

    // The trusted hierarchy: root A (general bundle) -> intermediate A -> leaves.
    EVP_PKEY *root_key = f.key();
    X509 *root = f.cert(ca_spec("Root A"), root_key, nullptr, nullptr);
    EVP_PKEY *inter_key = f.key();
    X509 *inter = f.cert(ca_spec("Intermediate A"), inter_key, root, root_key);

    // A root in the bundle that has expired, with a valid intermediate below it.
    EVP_PKEY *old_root_key = f.key();
    CertSpec old_root_spec = ca_spec("Root Expired");
    old_root_spec.not_before = -400 * kDay;
    old_root_spec.not_after = -kDay;
    X509 *old_root = f.cert(old_root_spec, old_root_key, nullptr, nullptr);
    EVP_PKEY *old_inter_key = f.key();
    X509 *old_inter = f.cert(ca_spec("Intermediate Under Expired Root"), old_inter_key, old_root,
                             old_root_key);

    // Per-trust-domain roots: a.example and b.example.
    EVP_PKEY *ta_key = f.key();
    X509 *ta_root = f.cert(ca_spec("Trust Domain A Root"), ta_key, nullptr, nullptr);
    EVP_PKEY *tb_key = f.key();
    X509 *tb_root = f.cert(ca_spec("Trust Domain B Root"), tb_key, nullptr, nullptr);

    // An untrusted hierarchy.
    EVP_PKEY *x_root_key = f.key();
    X509 *x_root = f.cert(ca_spec("Untrusted Root"), x_root_key, nullptr, nullptr);
    EVP_PKEY *x_inter_key = f.key();
    X509 *x_inter = f.cert(ca_spec("Untrusted Intermediate"), x_inter_key, x_root, x_root_key);

    std::string bundle = f.file("bundle.pem", pem_of(root) + pem_of(old_root));
    std::string bundle_a = f.file("bundle_a.pem", pem_of(ta_root));
    std::string bundle_b = f.file("bundle_b.pem", pem_of(tb_root));

    f.main = must_policy({{"trust_bundle", bundle},
                          {"trust_bundle_spiffe", "a.example " + bundle_a},
                          {"trust_bundle_spiffe", "b.example " + bundle_b},
                          {"require_spiffe_id", "yes"}});

    const std::string id = "spiffe://example.org/ns/prod/sa/api";
    EVP_PKEY *leaf_key = f.key();
    X509 *good = f.cert(leaf_spec("good", id), leaf_key, inter, inter_key);
    X509 *good_rsa = f.cert(leaf_spec("good rsa", id), f.key(KeyType::kRsa2048), inter, inter_key);

    auto leaf = [&](CertSpec spec) { return f.cert(spec, f.key(), inter, inter_key); };
    auto row = [&](std::string name, std::vector<X509 *> chain, const Policy &p, bool trusted,
                   int chain_error, std::string detail, s2s_reason reason) {
        f.rows.push_back(Row{std::move(name), std::move(chain), &p, trusted, chain_error,
                             std::move(detail), reason});
    };
    auto spiffe_row = [&](std::string name, std::string uri, SpiffeRule rule) {
        X509 *c = leaf(leaf_spec(name, uri));
        row(name, {c, inter}, f.main, false, 0, spiffe_rule_text(rule), S2S_REASON_CERT_UNTRUSTED);
    };
    const int kOk = X509_V_OK;

    // Positive controls.
    row("good p256 leaf", {good, inter}, f.main, true, kOk, "", S2S_REASON_OK);
    row("good rsa leaf", {good_rsa, inter}, f.main, true, kOk, "", S2S_REASON_OK);

    // Validity.
    CertSpec s = leaf_spec("expired", id);
    s.not_before = -10 * kDay;
    s.not_after = -kDay;
    row("expired leaf", {leaf(s), inter}, f.main, false, X509_V_ERR_CERT_HAS_EXPIRED,
        "certificate has expired", S2S_REASON_CERT_UNTRUSTED);
    s = leaf_spec("not yet valid", id);
    s.not_before = kDay;
    s.not_after = 10 * kDay;
    row("not yet valid leaf", {leaf(s), inter}, f.main, false, X509_V_ERR_CERT_NOT_YET_VALID,
        "certificate is not yet valid", S2S_REASON_CERT_UNTRUSTED);
    CertSpec exp_inter_spec = ca_spec("Intermediate Expired");
    exp_inter_spec.not_before = -10 * kDay;
    exp_inter_spec.not_after = -kDay;
    EVP_PKEY *exp_inter_key = f.key();
    X509 *exp_inter = f.cert(exp_inter_spec, exp_inter_key, root, root_key);
    row("expired intermediate",
        {f.cert(leaf_spec("under expired inter", id), f.key(), exp_inter, exp_inter_key), exp_inter},
        f.main, false, X509_V_ERR_CERT_HAS_EXPIRED, "certificate has expired",
        S2S_REASON_CERT_UNTRUSTED);
    row("expired root",
        {f.cert(leaf_spec("under expired root", id), f.key(), old_inter, old_inter_key), old_inter},
        f.main, false, X509_V_ERR_CERT_HAS_EXPIRED, "certificate has expired",
        S2S_REASON_CERT_UNTRUSTED);

    // Chain structure.
    CertSpec not_ca = leaf_spec("Intermediate CA FALSE");
    EVP_PKEY *not_ca_key = f.key();
    X509 *not_ca_inter = f.cert(not_ca, not_ca_key, inter, inter_key);
    row("intermediate with CA:FALSE",
        {f.cert(leaf_spec("under not-ca", id), f.key(), not_ca_inter, not_ca_key), not_ca_inter, inter},
        f.main, false, X509_V_ERR_INVALID_CA, "invalid CA certificate", S2S_REASON_CERT_UNTRUSTED);
    row("leaf issued by a leaf",
        {f.cert(leaf_spec("under leaf", id), f.key(), good, leaf_key), good, inter}, f.main, false,
        X509_V_ERR_INVALID_CA, "invalid CA certificate", S2S_REASON_CERT_UNTRUSTED);
    X509 *x_leaf = f.cert(leaf_spec("untrusted", id), f.key(), x_inter, x_inter_key);
    row("untrusted root (not sent)", {x_leaf, x_inter}, f.main, false,
        X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, "unable to get local issuer certificate",
        S2S_REASON_CERT_UNTRUSTED);
    row("untrusted root (sent)", {x_leaf, x_inter, x_root}, f.main, false,
        X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, "self-signed certificate in certificate chain",
        S2S_REASON_CERT_UNTRUSTED);
    EVP_PKEY *self_key = f.key();
    row("self-signed leaf", {f.cert(leaf_spec("self", id), self_key, nullptr, nullptr)}, f.main,
        false, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, "self-signed certificate",
        S2S_REASON_CERT_UNTRUSTED);

    // Purpose and key usage.
    s = leaf_spec("eku server", id);
    s.ext_key_usage = "serverAuth";
    row("EKU serverAuth only", {leaf(s), inter}, f.main, false, X509_V_ERR_INVALID_PURPOSE,
        "unsuitable certificate purpose", S2S_REASON_CERT_UNTRUSTED);
    s.ext_key_usage = "emailProtection";
    row("EKU emailProtection only", {leaf(s), inter}, f.main, false, X509_V_ERR_INVALID_PURPOSE,
        "unsuitable certificate purpose", S2S_REASON_CERT_UNTRUSTED);
    s = leaf_spec("ku no digitalSignature", id);
    s.key_usage = "critical,keyAgreement";
    row("key usage without digitalSignature", {leaf(s), inter}, f.main, false, kOk,
        "svid leaf lacks digitalSignature", S2S_REASON_CERT_UNTRUSTED);
    s = leaf_spec("no ku", id);
    s.key_usage = "";
    row("svid without key usage", {leaf(s), inter}, f.main, false, kOk,
        "svid leaf has no key usage", S2S_REASON_CERT_UNTRUSTED);
    s = leaf_spec("leaf ca", id);
    s.basic = Basic::kCa;
    row("leaf with CA:TRUE", {leaf(s), inter}, f.main, false, kOk, "svid leaf is a CA",
        S2S_REASON_CERT_UNTRUSTED);
    s = leaf_spec("leaf keyCertSign", id);
    s.key_usage = "critical,digitalSignature,keyCertSign";
    row("leaf with keyCertSign", {leaf(s), inter}, f.main, false, kOk,
        "svid leaf has keyCertSign", S2S_REASON_CERT_UNTRUSTED);
    s = leaf_spec("leaf cRLSign", id);
    s.key_usage = "critical,digitalSignature,cRLSign";
    row("leaf with cRLSign", {leaf(s), inter}, f.main, false, kOk, "svid leaf has cRLSign",
        S2S_REASON_CERT_UNTRUSTED);

    // SPIFFE IDs.
    row("two URI SANs",
        {leaf(with_uris(leaf_spec("two uris"), {id, "spiffe://example.org/other"})), inter}, f.main,
        false, kOk, "leaf has more than one uri san", S2S_REASON_CERT_UNTRUSTED);
    row("no URI SAN where required", {leaf(leaf_spec("no uri")), inter}, f.main, false, kOk,
        "no uri san where a spiffe id is required", S2S_REASON_CERT_UNTRUSTED);
    spiffe_row("uppercase trust domain", "spiffe://Example.org/x", SpiffeRule::kTrustDomainChar);
    spiffe_row("port", "spiffe://example.org:8443/x", SpiffeRule::kPort);
    spiffe_row("userinfo", "spiffe://user@example.org/x", SpiffeRule::kUserinfo);
    spiffe_row("query", "spiffe://example.org/x?a=b", SpiffeRule::kQuery);
    spiffe_row("fragment", "spiffe://example.org/x#f", SpiffeRule::kFragment);
    spiffe_row("percent-encoding", "spiffe://example.org/x%41", SpiffeRule::kPercentEncoding);
    spiffe_row("empty segment", "spiffe://example.org/a//b", SpiffeRule::kEmptySegment);
    spiffe_row("dot segment", "spiffe://example.org/a/./b", SpiffeRule::kDotSegment);
    spiffe_row("dot-dot segment", "spiffe://example.org/a/../b", SpiffeRule::kDotSegment);
    spiffe_row("trailing slash", "spiffe://example.org/a/", SpiffeRule::kTrailingSlash);
    spiffe_row("root path", "spiffe://example.org/", SpiffeRule::kRootPath);
    spiffe_row("no path", "spiffe://example.org", SpiffeRule::kRootPath);
    spiffe_row("longer than 2048 bytes", "spiffe://example.org/" + std::string(2030, 'a'),
               SpiffeRule::kTooLong);
    spiffe_row("trust domain over 255 bytes", "spiffe://" + std::string(256, 'a') + "/x",
               SpiffeRule::kTrustDomainTooLong);
    spiffe_row("NUL in URI SAN", std::string("spiffe://example.org/a\0b", 24), SpiffeRule::kNulByte);
    spiffe_row("uppercase scheme", "SPIFFE://example.org/x", SpiffeRule::kScheme);

    // Per-trust-domain bundles.
    row("svid of its own trust domain",
        {f.cert(leaf_spec("a ok", "spiffe://a.example/svc"), f.key(), ta_root, ta_key)}, f.main,
        true, kOk, "", S2S_REASON_OK);
    row("cross-trust-domain svid (A's CA claims B)",
        {f.cert(leaf_spec("a claims b", "spiffe://b.example/svc"), f.key(), ta_root, ta_key)},
        f.main, false, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
        "unable to get local issuer certificate", S2S_REASON_CERT_UNTRUSTED);

    // Depth: root -> inter -> inter2 -> leaf needs two intermediates.
    EVP_PKEY *inter2_key = f.key();
    X509 *inter2 = f.cert(ca_spec("Intermediate A2"), inter2_key, inter, inter_key);
    X509 *deep = f.cert(leaf_spec("deep", id), f.key(), inter2, inter2_key);
    f.depth1 = must_policy({{"trust_bundle", bundle}, {"verify_depth", "1"}});
    row("chain deeper than verify_depth", {deep, inter2, inter}, f.depth1, false,
        X509_V_ERR_CERT_CHAIN_TOO_LONG, "certificate chain too long", S2S_REASON_CERT_UNTRUSTED);
    row("same chain within the default depth", {deep, inter2, inter}, f.main, true, kOk, "",
        S2S_REASON_OK);

    // CRLs: the root's CRL covers the intermediate, the intermediate's the leaves.
    CertSpec revoked_spec = leaf_spec("revoked", id);
    revoked_spec.serial = 4242;
    X509 *revoked = leaf(revoked_spec);
    std::string root_crl = f.file("root.crl", pem_of(make_crl(root, root_key, {}).get()));
    std::string inter_crl = f.file("inter.crl", pem_of(make_crl(inter, inter_key, {4242}).get()));
    std::string inter_crl_old = f.file(
        "inter_old.crl", pem_of(make_crl(inter, inter_key, {}, -10 * kDay, -kDay).get()));
    f.crl_ok = must_policy({{"trust_bundle", bundle}, {"crl", root_crl}, {"crl", inter_crl}});
    f.crl_missing = must_policy({{"trust_bundle", bundle}, {"crl", root_crl}});
    f.crl_expired = must_policy({{"trust_bundle", bundle}, {"crl", root_crl}, {"crl", inter_crl_old}});
    row("not revoked, CRLs current", {good, inter}, f.crl_ok, true, kOk, "", S2S_REASON_OK);
    row("leaf revoked by CRL", {revoked, inter}, f.crl_ok, false, X509_V_ERR_CERT_REVOKED,
        "certificate revoked", S2S_REASON_CERT_UNTRUSTED);
    row("CRL missing for an issuer", {good, inter}, f.crl_missing, false,
        X509_V_ERR_UNABLE_TO_GET_CRL, "unable to get certificate CRL", S2S_REASON_CERT_UNTRUSTED);
    row("CRL expired", {good, inter}, f.crl_expired, false, X509_V_ERR_CRL_HAS_EXPIRED,
        "CRL has expired", S2S_REASON_CERT_UNTRUSTED);

    // Pins and SAN matching on verified certificates.
    CertSpec pinned_spec = leaf_spec("pinned", id);
    pinned_spec.serial = 777;
    X509 *pinned_cert = leaf(pinned_spec);
    X509 *impostor = leaf(pinned_spec);  // same subject and serial, another key
    std::unique_ptr<s2s_peer> pinned_peer = must_peer(f.main, {pinned_cert, inter});
    CertSpec nul_dns = leaf_spec("nul dns", id);
    nul_dns.dns = {std::string("api.example.org\0.evil.example", 29)};
    f.pinned = must_policy({{"trust_bundle", bundle},
                            {"allow_cert_sha256", pinned_peer->cert_sha256},
                            {"allow_dns", "api.example.org"}});
    row("the pinned certificate", {pinned_cert, inter}, f.pinned, true, kOk, "", S2S_REASON_OK);
    row("pinned subject and serial, another key", {impostor, inter}, f.pinned, true, kOk, "",
        S2S_REASON_CERT_POLICY);
    row("NUL in DNS SAN", {leaf(nul_dns), inter}, f.pinned, true, kOk, "", S2S_REASON_CERT_POLICY);

    // No bundle: the host's verdict is the trust.
    f.no_bundle = must_policy({});
    row("no bundle, host verified", {good}, f.no_bundle, true, kOk, "", S2S_REASON_OK);
    return 0;
}

int teardown(void **) {
    remove_dir(fx->dir);
    delete fx;
    return 0;
}

void test_matrix(void **) {
    int failures = 0;
    int negatives = 0;
    for (const Row &r : fx->rows) {
        bool host_verified = r.policy == &fx->no_bundle;
        std::unique_ptr<s2s_peer> p = must_peer(*r.policy, r.chain, host_verified);
        s2s_reason reason = r.policy->check(p.get());
        bool ok = p->trusted == r.trusted && p->chain_error == r.chain_error &&
                  r.detail == p->untrusted_detail && reason == r.reason;
        if (!ok) {
            failures++;
            std::fprintf(stderr,
                         "FAIL %-45s trusted=%d (want %d) chain_error=%d (want %d) "
                         "detail=\"%s\" (want \"%s\") reason=%d (want %d)\n",
                         r.name.c_str(), p->trusted, r.trusted, p->chain_error, r.chain_error,
                         p->untrusted_detail, r.detail.c_str(), reason, r.reason);
        }
        if (r.reason != S2S_REASON_OK) negatives++;
    }
    std::fprintf(stderr, "%zu rows, %d negative\n", fx->rows.size(), negatives);
    assert_int_equal(failures, 0);
    assert_true(negatives >= 30);
}

void test_host_not_verified_without_bundle(void **) {
    std::unique_ptr<s2s_peer> p = must_peer(fx->no_bundle, {fx->rows[0].chain[0]}, false);
    assert_false(p->trusted);
    assert_string_equal(p->untrusted_detail, "the host did not verify the certificate");
    assert_int_equal(fx->no_bundle.check(p.get()), S2S_REASON_CERT_UNTRUSTED);
}

void test_host_verdict_ignored_with_bundle(void **) {
    // host_verified=1 does not rescue a chain the core rejects.
    const Row *untrusted = nullptr;
    for (const Row &r : fx->rows) {
        if (r.name == "untrusted root (not sent)") untrusted = &r;
    }
    assert_non_null(untrusted);
    std::unique_ptr<s2s_peer> p = must_peer(fx->main, untrusted->chain, true);
    assert_false(p->trusted);
}

void test_facts_of_good_leaf(void **) {
    std::unique_ptr<s2s_peer> p = must_peer(fx->main, fx->rows[0].chain);
    assert_string_equal(p->spiffe_id.c_str(), "spiffe://example.org/ns/prod/sa/api");
    assert_string_equal(p->trust_domain.c_str(), "example.org");
    assert_int_equal(p->spiffe_status, s2s::mtls::SpiffeStatus::kValid);
    assert_string_equal(p->subject.c_str(), "CN=good");
    assert_int_equal(p->cert_sha256.size(), 43);
    assert_int_equal(p->spki_sha256.size(), 43);
    assert_true(p->cert_sha256 != p->spki_sha256);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_host_not_verified_without_bundle),
        cmocka_unit_test(test_host_verdict_ignored_with_bundle),
        cmocka_unit_test(test_facts_of_good_leaf),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
