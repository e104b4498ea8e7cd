/*
 * libmacaroons_tool.c: the libmacaroons side of the interop tests (Debian's
 * libmacaroons 0.3.0, V1 only), driven by libmacaroons_interop.py.
 *
 *   mint ROOTKEY_HEX IDENTIFIER LOCATION [--fp CAVEAT | --tp LOC KEY_HEX CID]...
 *   signature TOKEN                      prints the signature in hex
 *   verify ROOTKEY_HEX TOKEN [--exact CAVEAT | --discharge TOKEN]...
 *                                        exit 0 if libmacaroons verifies it
 *   discharge ROOT_TOKEN CAVEAT_KEY_HEX CID LOCATION [--fp CAVEAT]...
 *                                        prints the discharge, bound to the root
 *
 * Exit status 2 is a usage or libmacaroons error.
 */
#include <macaroons.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void) {
    fprintf(stderr, "usage: see the comment at the top of libmacaroons_tool.c\n");
    return 2;
}

/* Decodes hex into a malloc'd buffer. */
static unsigned char *unhex(const char *text, size_t *len) {
    size_t n = strlen(text), i;
    unsigned char *out = malloc(n / 2 + 1);
    if (out == NULL || n % 2 != 0) {
        free(out);
        return NULL;
    }
    for (i = 0; i < n; i += 2) {
        unsigned v;
        if (sscanf(text + i, "%2x", &v) != 1) {
            free(out);
            return NULL;
        }
        out[i / 2] = (unsigned char)v;
    }
    *len = n / 2;
    return out;
}

static const unsigned char *u(const char *s) { return (const unsigned char *)s; }

/* Replaces *M by the result of adding the caveats of argv[i..]. */
static int add_caveats(struct macaroon **M, int argc, char **argv, int i) {
    enum macaroon_returncode err;
    while (i < argc) {
        struct macaroon *N = NULL;
        if (strcmp(argv[i], "--fp") == 0 && i + 1 < argc) {
            N = macaroon_add_first_party_caveat(*M, u(argv[i + 1]), strlen(argv[i + 1]), &err);
            i += 2;
        } else if (strcmp(argv[i], "--tp") == 0 && i + 3 < argc) {
            size_t key_len;
            unsigned char *key = unhex(argv[i + 2], &key_len);
            if (key == NULL) return -1;
            N = macaroon_add_third_party_caveat(*M, u(argv[i + 1]), strlen(argv[i + 1]), key,
                                                key_len, u(argv[i + 3]), strlen(argv[i + 3]),
                                                &err);
            free(key);
            i += 4;
        } else {
            return -1;
        }
        if (N == NULL) return -1;
        macaroon_destroy(*M);
        *M = N;
    }
    return 0;
}

static int print_serialized(const struct macaroon *M) {
    enum macaroon_returncode err;
    size_t sz = macaroon_serialize_size_hint(M);
    char *buf = malloc(sz);
    if (buf == NULL || macaroon_serialize(M, buf, sz, &err) < 0) {
        free(buf);
        return 2;
    }
    printf("%s\n", buf);
    free(buf);
    return 0;
}

static int cmd_mint(int argc, char **argv) {
    enum macaroon_returncode err;
    size_t key_len;
    unsigned char *key;
    struct macaroon *M;
    int rc;
    if (argc < 5 || (key = unhex(argv[2], &key_len)) == NULL) return usage();
    M = macaroon_create(u(argv[4]), strlen(argv[4]), key, key_len, u(argv[3]), strlen(argv[3]),
                        &err);
    free(key);
    if (M == NULL || add_caveats(&M, argc, argv, 5) < 0) return usage();
    rc = print_serialized(M);
    macaroon_destroy(M);
    return rc;
}

static int cmd_signature(int argc, char **argv) {
    enum macaroon_returncode err;
    const unsigned char *sig;
    size_t sig_len, i;
    struct macaroon *M;
    if (argc != 3) return usage();
    M = macaroon_deserialize(argv[2], &err);
    if (M == NULL) {
        fprintf(stderr, "libmacaroons: deserialize failed (%d)\n", (int)err);
        return 2;
    }
    macaroon_signature(M, &sig, &sig_len);
    for (i = 0; i < sig_len; i++) printf("%02x", sig[i]);
    printf("\n");
    macaroon_destroy(M);
    return 0;
}

static int cmd_verify(int argc, char **argv) {
    enum macaroon_returncode err;
    struct macaroon *M, *D[16];
    size_t key_len, n_d = 0, i;
    unsigned char *key;
    struct macaroon_verifier *V;
    int rc = 2, a;
    if (argc < 4 || (key = unhex(argv[2], &key_len)) == NULL) return usage();
    M = macaroon_deserialize(argv[3], &err);
    V = macaroon_verifier_create();
    if (M == NULL || V == NULL) goto out;
    for (a = 4; a + 1 < argc; a += 2) {
        if (strcmp(argv[a], "--exact") == 0) {
            if (macaroon_verifier_satisfy_exact(V, u(argv[a + 1]), strlen(argv[a + 1]), &err) < 0)
                goto out;
        } else if (strcmp(argv[a], "--discharge") == 0 && n_d < 16) {
            if ((D[n_d] = macaroon_deserialize(argv[a + 1], &err)) == NULL) goto out;
            n_d++;
        } else {
            goto out;
        }
    }
    rc = macaroon_verify(V, M, key, key_len, D, n_d, &err) == 0 ? 0 : 1;
    printf("%s\n", rc == 0 ? "verified" : "denied");
out:
    for (i = 0; i < n_d; i++) macaroon_destroy(D[i]);
    if (M != NULL) macaroon_destroy(M);
    if (V != NULL) macaroon_verifier_destroy(V);
    free(key);
    return rc;
}

static int cmd_discharge(int argc, char **argv) {
    enum macaroon_returncode err;
    struct macaroon *M, *D, *P;
    size_t key_len;
    unsigned char *key;
    int rc;
    if (argc < 6 || (key = unhex(argv[3], &key_len)) == NULL) return usage();
    M = macaroon_deserialize(argv[2], &err);
    D = macaroon_create(u(argv[5]), strlen(argv[5]), key, key_len, u(argv[4]), strlen(argv[4]),
                        &err);
    free(key);
    if (M == NULL || D == NULL || add_caveats(&D, argc, argv, 6) < 0) return usage();
    P = macaroon_prepare_for_request(M, D, &err);
    if (P == NULL) return 2;
    rc = print_serialized(P);
    macaroon_destroy(M);
    macaroon_destroy(D);
    macaroon_destroy(P);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage();
    if (strcmp(argv[1], "mint") == 0) return cmd_mint(argc, argv);
    if (strcmp(argv[1], "signature") == 0) return cmd_signature(argc, argv);
    if (strcmp(argv[1], "verify") == 0) return cmd_verify(argc, argv);
    if (strcmp(argv[1], "discharge") == 0) return cmd_discharge(argc, argv);
    return usage();
}
