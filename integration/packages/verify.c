/*
 * verify.c: a minimal host of the installed libs2sauth, for
 * integration/packages/run.sh.  It is what a third-party program written
 * against libs2sauth-dev looks like: build a verifier from a configuration
 * file, give it one request fact (the HTTP method), verify one token.
 *
 * usage: verify_c CONFIG METHOD TOKEN
 * Prints "allow IDENTITY" or "deny REASON"; exit 0 allow, 1 deny, 2 error.
 */
#include <stdio.h>
#include <string.h>

#include <s2sauth.h>

static int fail(const char *what, const s2s_error *err)
{
    fprintf(stderr, "verify_c: %s: %s (%s)\n", what, err->message, err->detail);
    return 2;
}

int main(int argc, char **argv)
{
    s2s_verifier *verifier = NULL;
    s2s_context *context = NULL;
    s2s_decision *decision = NULL;
    s2s_error err;
    int rc = 2;

    if (argc != 4) {
        fprintf(stderr, "usage: verify_c CONFIG METHOD TOKEN\n");
        return 2;
    }
    if (s2s_abi_version() != S2S_ABI_VERSION) {
        fprintf(stderr, "verify_c: header ABI %d, library ABI %d\n", S2S_ABI_VERSION,
                s2s_abi_version());
        return 2;
    }
    if (s2s_verifier_new_from_file(argv[1], &verifier, &err) != S2S_OK)
        return fail("verifier", &err);
    if (s2s_context_new(&context, &err) != S2S_OK
        || s2s_decision_new(&decision, &err) != S2S_OK) {
        rc = fail("context", &err);
        goto out;
    }
    if (s2s_context_set(context, S2S_ATTR_HTTP_METHOD, argv[2], strlen(argv[2])) != S2S_OK) {
        fprintf(stderr, "verify_c: cannot set http.method\n");
        goto out;
    }
    if (s2s_verify(verifier, context, argv[3], strlen(argv[3]), decision, &err) != S2S_OK) {
        rc = fail("verify", &err);
        goto out;
    }
    if (s2s_decision_allowed(decision)) {
        printf("allow %s\n", s2s_decision_identity(decision));
        rc = 0;
    } else {
        printf("deny %s\n", s2s_reason_name(s2s_decision_reason(decision)));
        rc = 1;
    }
out:
    s2s_decision_free(decision);
    s2s_context_free(context);
    s2s_verifier_free(verifier);
    return rc;
}
