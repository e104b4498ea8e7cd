/* test_header_c99.c: the public header compiles as strict C99 and its basic
 * calls link and behave from C. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "s2sauth.h"

static void test_c_caller(void **state) {
    s2s_error err;
    s2s_keyring *kr = NULL;
    s2s_macaroon *m = NULL;
    s2s_config *cfg = NULL;
    s2s_verifier *v = NULL;
    s2s_context *ctx = NULL;
    s2s_decision *d = NULL;
    char *token = NULL;
    size_t len = 0;
    (void)state;

    assert_int_equal(s2s_keyring_new(&kr, &err), S2S_OK);
    assert_int_equal(s2s_keyring_generate(kr, "c99", S2S_KEY_ACTIVE, &err), S2S_OK);
    assert_int_equal(s2s_mint(kr, NULL, "c", &m, &err), S2S_OK);
    assert_int_equal(s2s_macaroon_add_first_party_caveat(m, "service = c", 11, &err), S2S_OK);
    assert_int_equal(s2s_macaroon_serialize(m, S2S_FORMAT_V2, &token, &len, &err), S2S_OK);
    assert_int_equal(strlen(token), len);

    assert_int_equal(s2s_config_new(&cfg, &err), S2S_OK);
    assert_int_equal(s2s_config_set_keyring(cfg, kr, &err), S2S_OK);
    assert_int_equal(s2s_config_set(cfg, "service", "c", &err), S2S_OK);
    assert_int_equal(s2s_verifier_new(cfg, &v, &err), S2S_OK);
    assert_int_equal(s2s_context_new(&ctx, &err), S2S_OK);
    assert_int_equal(s2s_decision_new(&d, &err), S2S_OK);
    assert_int_equal(s2s_verify(v, ctx, token, len, d, &err), S2S_OK);
    assert_int_equal(s2s_decision_allowed(d), 1);
    assert_int_equal(s2s_decision_outcome(d), S2S_ALLOW);

    token[len / 2] = token[len / 2] == 'A' ? 'B' : 'A';
    assert_int_equal(s2s_verify(v, ctx, token, len, d, &err), S2S_OK);
    assert_int_equal(s2s_decision_allowed(d), 0);

    s2s_free(token);
    s2s_decision_free(d);
    s2s_context_free(ctx);
    s2s_verifier_free(v);
    s2s_config_free(cfg);
    s2s_macaroon_free(m);
    s2s_keyring_free(kr);
    /* Every _free accepts NULL. */
    s2s_keyring_free(NULL);
    s2s_verifier_free(NULL);
    s2s_grant_free(NULL);
    s2s_peer_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_c_caller)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
