/*
 * s2sauth.h: the stable C ABI of libs2sauth.
 *
 * One verifier, built once from configuration and immutable afterwards (key
 * ring and revocation reloads swap in a whole new snapshot), is shared by every
 * thread and every forked worker of a host.  A host gathers request facts into
 * an s2s_context, calls s2s_verify() once, and maps the s2s_decision to its own
 * idiom (401/403, -NOPERM, FATAL).
 *
 * Conventions, as in libsodium:
 *  - every object has exactly one _free function, which accepts NULL;
 *  - every fallible function returns an s2s_status and, when `err` is not NULL,
 *    fills it with a message, a detail and a hint that never contain secret
 *    material (keys, signatures, tokens);
 *  - byte strings are (pointer, length) pairs and may contain NUL;
 *  - strings returned by accessors are NUL-terminated and owned by the object
 *    they came from; strings returned through `char **out` are owned by the
 *    caller and released with s2s_free().
 *
 * Compiles as C99 and as C++.
 */
#ifndef S2SAUTH_H
#define S2SAUTH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define S2S_API __attribute__((visibility("default")))
#else
#define S2S_API
#endif

/* Bumped on any incompatible change; the SONAME follows it. */
#define S2S_ABI_VERSION 1

#define S2S_KEY_BYTES        32  /* root keys in a key ring */
#define S2S_SIGNATURE_BYTES  32  /* HMAC-SHA256 */
#define S2S_KEY_ID_MAX       64  /* key ids: [A-Za-z0-9_-]{1,64} */
#define S2S_TOKEN_ID_MAX     64  /* token ids: [A-Za-z0-9_-]{1,64} */

/* Defaults of the parser limits; each is configurable per verifier. */
#define S2S_DEFAULT_MAX_TOKEN_BYTES   65536
#define S2S_DEFAULT_MAX_CAVEATS       256
#define S2S_DEFAULT_MAX_CAVEAT_BYTES  4096
#define S2S_DEFAULT_MAX_DISCHARGES    16
#define S2S_DEFAULT_MAX_DEPTH         8

/* ------------------------------------------------------------------------ */
/* Status and errors                                                         */

typedef enum s2s_status {
    S2S_OK = 0,
    S2S_ERR_INVALID_ARGUMENT = 1, /* a NULL or out-of-range argument */
    S2S_ERR_NO_MEMORY = 2,
    S2S_ERR_IO = 3,               /* a file could not be read or written */
    S2S_ERR_CONFIG = 4,           /* a configuration file or directive is wrong */
    S2S_ERR_KEYRING = 5,          /* a key ring is malformed, unsafe or lacks a key */
    S2S_ERR_PERMISSIONS = 6,      /* a secret file is writable by group/others or readable by others */
    S2S_ERR_MALFORMED = 7,        /* a token, stack or certificate does not parse */
    S2S_ERR_LIMIT = 8,            /* a size or count limit was exceeded */
    S2S_ERR_CRYPTO = 9,           /* a cryptographic primitive failed */
    S2S_ERR_NOT_FOUND = 10,
    S2S_ERR_INTERNAL = 11
} s2s_status;

typedef struct s2s_error {
    s2s_status status;
    char message[256]; /* short, lowercase: what failed */
    char detail[512];  /* the facts: file, line, mode, offset ... */
    char hint[256];    /* what to do about it; may be empty */
} s2s_error;

/* A static name for a status, e.g. "malformed". */
S2S_API const char *s2s_status_name(s2s_status status);

/* Releases a string or buffer returned through a `char **out` parameter. */
S2S_API void s2s_free(void *p);

/* The ABI version this library implements (S2S_ABI_VERSION at build time). */
S2S_API int s2s_abi_version(void);
/* The release version, e.g. "0.1.0". */
S2S_API const char *s2s_version(void);

/* ------------------------------------------------------------------------ */
/* Key ring                                                                   */
/*
 * File format, one key a line, '#' starts a comment:
 *     <key-id> <base64url key, 32 bytes> <active|verify-only>
 * The newest active key (the last active line) mints; every listed key verifies.
 * A key ring file that group or others can write, or others can read, is refused.
 */

typedef enum s2s_key_state {
    S2S_KEY_ACTIVE = 1,
    S2S_KEY_VERIFY_ONLY = 2
} s2s_key_state;

typedef struct s2s_keyring s2s_keyring;

S2S_API s2s_status s2s_keyring_new(s2s_keyring **out, s2s_error *err);
S2S_API s2s_status s2s_keyring_load(const char *path, s2s_keyring **out, s2s_error *err);
/* Adds a key; key ids must be unique. */
S2S_API s2s_status s2s_keyring_add(s2s_keyring *kr, const char *key_id,
                                   const unsigned char key[S2S_KEY_BYTES],
                                   s2s_key_state state, s2s_error *err);
/* Adds a fresh random key. */
S2S_API s2s_status s2s_keyring_generate(s2s_keyring *kr, const char *key_id,
                                        s2s_key_state state, s2s_error *err);
S2S_API s2s_status s2s_keyring_set_state(s2s_keyring *kr, const char *key_id,
                                         s2s_key_state state, s2s_error *err);
/* Writes the ring with mode 0600, atomically (temporary file + rename). */
S2S_API s2s_status s2s_keyring_save(const s2s_keyring *kr, const char *path, s2s_error *err);
S2S_API size_t s2s_keyring_count(const s2s_keyring *kr);
/* Key id of entry i (0-based, file order), or NULL past the end. */
S2S_API const char *s2s_keyring_key_id(const s2s_keyring *kr, size_t i);
S2S_API s2s_key_state s2s_keyring_key_state(const s2s_keyring *kr, size_t i);
S2S_API void s2s_keyring_free(s2s_keyring *kr);

/* ------------------------------------------------------------------------ */
/* Revocation list: token ids, one a line; '#' starts a comment.              */

/* Appends a token id to a revocation list file, creating it (mode 0644). */
S2S_API s2s_status s2s_revocation_append(const char *path, const char *token_id, s2s_error *err);

/* ------------------------------------------------------------------------ */
/* Macaroons                                                                  */

typedef enum s2s_format {
    S2S_FORMAT_V1 = 1,      /* libmacaroons/pymacaroons packets, base64url */
    S2S_FORMAT_V2 = 2,      /* V2 binary, base64url without padding */
    S2S_FORMAT_V2_JSON = 3  /* V2 JSON object */
} s2s_format;

typedef struct s2s_macaroon s2s_macaroon;

/* Parse limits; a zeroed field means the default. */
typedef struct s2s_limits {
    size_t max_token_bytes;
    size_t max_caveats;
    size_t max_caveat_bytes;
    size_t max_discharges;
    size_t max_depth;
} s2s_limits;

/*
 * Mints a macaroon with the newest active key of `kr` (or the key `key_id`
 * names, which must be active).  The identifier is "s2s1:<key-id>:<token-id>"
 * with a fresh random token id.  `location` may be NULL.
 */
S2S_API s2s_status s2s_mint(const s2s_keyring *kr, const char *key_id, const char *location,
                            s2s_macaroon **out, s2s_error *err);

/* Creates a macaroon from a raw root key and identifier, as libmacaroons'
 * macaroon_create() does (the root key is derived with "macaroons-key-generator"). */
S2S_API s2s_status s2s_macaroon_create(const unsigned char *root_key, size_t root_key_len,
                                       const unsigned char *identifier, size_t identifier_len,
                                       const char *location, s2s_macaroon **out, s2s_error *err);

S2S_API s2s_status s2s_macaroon_add_first_party_caveat(s2s_macaroon *m, const char *caveat,
                                                       size_t caveat_len, s2s_error *err);

/* Adds a third-party caveat: the caveat root key is sealed into the
 * verification id with NaCl secretbox under the current signature. */
S2S_API s2s_status s2s_macaroon_add_third_party_caveat(s2s_macaroon *m, const char *location,
                                                       const unsigned char *caveat_key,
                                                       size_t caveat_key_len,
                                                       const unsigned char *caveat_id,
                                                       size_t caveat_id_len, s2s_error *err);

/* Binds `discharge` to the signature of `root` (libmacaroons'
 * macaroon_prepare_for_request), in place. */
S2S_API s2s_status s2s_macaroon_bind(const s2s_macaroon *root, s2s_macaroon *discharge,
                                     s2s_error *err);

/* Parses a single macaroon in any format (V1, V2, V2 JSON; base64 URL or
 * standard alphabet, padded or not), with `limits` (NULL: defaults). */
S2S_API s2s_status s2s_macaroon_parse(const char *text, size_t len, const s2s_limits *limits,
                                      s2s_macaroon **out, s2s_error *err);
S2S_API s2s_status s2s_macaroon_serialize(const s2s_macaroon *m, s2s_format format, char **out,
                                          size_t *out_len, s2s_error *err);
S2S_API s2s_status s2s_macaroon_copy(const s2s_macaroon *m, s2s_macaroon **out, s2s_error *err);
S2S_API void s2s_macaroon_free(s2s_macaroon *m);

/* Inspection.  Byte strings are returned as (pointer, length) owned by `m`. */
S2S_API const char *s2s_macaroon_location(const s2s_macaroon *m);
S2S_API const unsigned char *s2s_macaroon_identifier(const s2s_macaroon *m, size_t *len);
S2S_API const unsigned char *s2s_macaroon_signature(const s2s_macaroon *m); /* 32 bytes */
/* The key id and token id of an s2s identifier; NULL for a foreign identifier. */
S2S_API const char *s2s_macaroon_key_id(const s2s_macaroon *m);
S2S_API const char *s2s_macaroon_token_id(const s2s_macaroon *m);
S2S_API size_t s2s_macaroon_caveat_count(const s2s_macaroon *m);
/* Caveat i: its id; for a third-party caveat also vid and location (else NULL, 0). */
S2S_API s2s_status s2s_macaroon_caveat(const s2s_macaroon *m, size_t i,
                                       const unsigned char **id, size_t *id_len,
                                       const unsigned char **vid, size_t *vid_len,
                                       const char **location);

/* A stack: the root macaroon followed by its discharges.  Serialized as
 * concatenated V2 binary, base64url (go-macaroon's slice encoding); a V2 JSON
 * array is also accepted when parsing. */
S2S_API s2s_status s2s_stack_parse(const char *text, size_t len, const s2s_limits *limits,
                                   s2s_macaroon ***out, size_t *count, s2s_error *err);
S2S_API s2s_status s2s_stack_serialize(const s2s_macaroon *const *ms, size_t count, char **out,
                                       size_t *out_len, s2s_error *err);
/* Frees every macaroon of a parsed stack and the array. */
S2S_API void s2s_stack_free(s2s_macaroon **ms, size_t count);

/* ------------------------------------------------------------------------ */
/* Configuration and verifier                                                 */
/*
 * The configuration format is line based, as redis.conf and sshd_config:
 *     # comment
 *     <directive> <value...>
 * Directives (see docs/configuration.md): keyring, root_key_file, revocation_list,
 * service, max_token_bytes, max_caveats, max_caveat_bytes, max_discharges,
 * max_depth, and the mTLS directives (trust_bundle, trust_bundle_spiffe, crl,
 * require_client_cert, require_spiffe_id,
 * allow_spiffe_id, allow_trust_domain, allow_spiffe_prefix, allow_cert_sha256,
 * allow_spki_sha256, allow_dns, allow_subject, verify_depth).
 * An unknown directive or a bad value is an error naming the file and line.
 */

typedef struct s2s_config s2s_config;
typedef struct s2s_verifier s2s_verifier;

S2S_API s2s_status s2s_config_new(s2s_config **out, s2s_error *err);
/* Reads directives from a file, in addition to those already set. */
S2S_API s2s_status s2s_config_load(s2s_config *cfg, const char *path, s2s_error *err);
/* Sets one directive, as if it were a line "name value" of a file. */
S2S_API s2s_status s2s_config_set(s2s_config *cfg, const char *name, const char *value,
                                  s2s_error *err);
/* Uses an in-memory key ring (copied) instead of a `keyring` file. */
S2S_API s2s_status s2s_config_set_keyring(s2s_config *cfg, const s2s_keyring *kr,
                                          s2s_error *err);
S2S_API void s2s_config_free(s2s_config *cfg);

/* Builds a verifier: loads and checks every file the configuration names.  A
 * configuration with no key source is refused. */
S2S_API s2s_status s2s_verifier_new(const s2s_config *cfg, s2s_verifier **out, s2s_error *err);
/* Shorthand for s2s_config_new + s2s_config_load + s2s_verifier_new. */
S2S_API s2s_status s2s_verifier_new_from_file(const char *config_path, s2s_verifier **out,
                                              s2s_error *err);
/* Re-reads the key ring and revocation list if they changed, and swaps in a new
 * snapshot; on error the old snapshot stays in force.  The revocation list is
 * also re-checked by s2s_verify itself, at most once a second. */
S2S_API s2s_status s2s_verifier_reload(s2s_verifier *v, s2s_error *err);
S2S_API const char *s2s_verifier_service(const s2s_verifier *v); /* "" if none */
S2S_API void s2s_verifier_free(s2s_verifier *v);

/* ------------------------------------------------------------------------ */
/* Context: the facts a host supplies about one request                       */

typedef enum s2s_attr {
    S2S_ATTR_SERVICE = 0,     /* service */
    S2S_ATTR_CLIENT_IP,       /* client.ip: textual IPv4 or IPv6 */
    S2S_ATTR_HTTP_METHOD,     /* http.method */
    S2S_ATTR_HTTP_PATH,       /* http.path: normalized; "." or ".." segments are refused */
    S2S_ATTR_HTTP_HOST,       /* http.host */
    S2S_ATTR_REDIS_CMD,       /* redis.cmd */
    S2S_ATTR_REDIS_KEY,       /* redis.key: multi-valued, every key of the command */
    S2S_ATTR_REDIS_CHANNEL,   /* redis.channel: multi-valued */
    S2S_ATTR_REDIS_USER,      /* redis.user */
    S2S_ATTR_PG_DB,           /* pg.db */
    S2S_ATTR_PG_ROLE,         /* pg.role */
    S2S_ATTR_COUNT
} s2s_attr;

/* The caveat key of an attribute ("http.path"), and back; -1 if unknown. */
S2S_API const char *s2s_attr_name(s2s_attr attr);
S2S_API int s2s_attr_from_name(const char *name);

typedef struct s2s_context s2s_context;

/* A context is reused across requests by one thread; reset keeps its memory. */
S2S_API s2s_status s2s_context_new(s2s_context **out, s2s_error *err);
S2S_API void s2s_context_reset(s2s_context *ctx);
/*
 * Sets a single-valued attribute, or adds a value to a multi-valued one.  The
 * bytes are borrowed: they must stay valid until the next reset or verify.
 * When S2S_ATTR_SERVICE is not set, the verifier's configured service is used.
 * A key the host supplies as present but empty (a multi-valued attribute with
 * no values, e.g. a keyless command) is marked with s2s_context_mark_present.
 */
S2S_API s2s_status s2s_context_set(s2s_context *ctx, s2s_attr attr, const char *value,
                                   size_t len);
S2S_API s2s_status s2s_context_mark_present(s2s_context *ctx, s2s_attr attr);
/*
 * Marks an attribute that the host will supply per request after
 * authentication (s2s_grant_check), such as the command and keys of each Redis
 * command.  Only s2s_authenticate honours it: caveats on a deferred attribute
 * are checked for form there (unknown or malformed still deny) but not matched.
 * s2s_verify and s2s_grant_check treat a deferred attribute as not supplied.
 */
S2S_API s2s_status s2s_context_defer(s2s_context *ctx, s2s_attr attr);
/* The verification time, seconds since the epoch; default: the clock at verify. */
S2S_API void s2s_context_set_time(s2s_context *ctx, int64_t unix_seconds);
S2S_API void s2s_context_free(s2s_context *ctx);

/* ------------------------------------------------------------------------ */
/* Peer certificates (mTLS)                                                   */

typedef struct s2s_peer s2s_peer;

/*
 * Facts about a client's TLS certificate chain, computed once per connection.
 * `certs_der[0]` is the leaf.  `host_verified` is the host's own verification
 * result (1: the host verified the chain to its trust store, as nginx's
 * ssl_verify_client success; 0: not verified or no verification).  When the
 * verifier has a trust bundle, the core verifies the chain itself as well; a
 * chain is trusted only if every configured check passes.
 */
S2S_API s2s_status s2s_peer_new(const s2s_verifier *v, const unsigned char *const *certs_der,
                                const size_t *lens, size_t count, int host_verified,
                                s2s_peer **out, s2s_error *err);
/* The same from PEM text (leaf first). */
S2S_API s2s_status s2s_peer_new_pem(const s2s_verifier *v, const char *pem, size_t len,
                                    int host_verified, s2s_peer **out, s2s_error *err);
S2S_API int s2s_peer_trusted(const s2s_peer *p);           /* 1 if the chain verified */
S2S_API const char *s2s_peer_spiffe_id(const s2s_peer *p); /* "" if none */
S2S_API const char *s2s_peer_cert_sha256(const s2s_peer *p); /* x5t#S256, base64url */
S2S_API void s2s_peer_free(s2s_peer *p);
/* Borrowed until the next reset; NULL means no client certificate. */
S2S_API void s2s_context_set_peer(s2s_context *ctx, const s2s_peer *peer);

/* Configures an OpenSSL SSL_CTX (passed as void * to keep OpenSSL types out of
 * this header) to request and verify client certificates with the verifier's
 * trust bundle, CRLs and depth, for hosts that terminate TLS with the core. */
S2S_API s2s_status s2s_verifier_configure_ssl_ctx(const s2s_verifier *v, void *ssl_ctx,
                                                  s2s_error *err);

/* ------------------------------------------------------------------------ */
/* Decisions                                                                  */

typedef enum s2s_reason {
    S2S_REASON_OK = 0,
    S2S_REASON_NO_CREDENTIAL,        /* nothing presented */
    S2S_REASON_MALFORMED,            /* does not parse */
    S2S_REASON_TOO_LARGE,            /* over a size or count limit */
    S2S_REASON_UNKNOWN_KEY,          /* key id not in the ring / foreign identifier */
    S2S_REASON_BAD_SIGNATURE,
    S2S_REASON_REVOKED,
    S2S_REASON_EXPIRED,              /* a `time <` caveat */
    S2S_REASON_NOT_YET_VALID,        /* a `time >` caveat */
    S2S_REASON_CAVEAT_UNSATISFIED,   /* a known caveat that the context does not meet */
    S2S_REASON_CAVEAT_UNKNOWN,       /* unknown caveat key or operator */
    S2S_REASON_CAVEAT_MALFORMED,     /* a caveat whose value does not parse */
    S2S_REASON_CONTEXT_MISSING,      /* a caveat on an attribute this host does not supply */
    S2S_REASON_IDENTITY_CONFLICT,    /* `identity` caveats disagree */
    S2S_REASON_DISCHARGE_MISSING,    /* a third-party caveat without its discharge */
    S2S_REASON_DISCHARGE_INVALID,    /* a discharge that does not verify or is not bound */
    S2S_REASON_DISCHARGE_UNUSED,     /* a discharge nobody asked for, or used twice */
    S2S_REASON_CERT_REQUIRED,        /* no client certificate where one is required */
    S2S_REASON_CERT_UNTRUSTED,       /* a certificate that did not verify */
    S2S_REASON_CERT_MISMATCH,        /* a bound token presented with another certificate */
    S2S_REASON_CERT_POLICY,          /* a verified certificate that no allowlist admits */
    S2S_REASON_INTERNAL,             /* the verifier failed; never an allow */
    S2S_REASON_COUNT
} s2s_reason;

/* How a host should answer: 401 for UNAUTHENTICATED, 403 for FORBIDDEN. */
typedef enum s2s_outcome {
    S2S_ALLOW = 0,
    S2S_DENY_UNAUTHENTICATED = 1,
    S2S_DENY_FORBIDDEN = 2
} s2s_outcome;

/* Static names, e.g. "bad_signature", used in logs and WWW-Authenticate. */
S2S_API const char *s2s_reason_name(s2s_reason reason);
S2S_API s2s_outcome s2s_reason_outcome(s2s_reason reason);

typedef struct s2s_decision s2s_decision;

/* A decision is reused across requests by one thread. */
S2S_API s2s_status s2s_decision_new(s2s_decision **out, s2s_error *err);
S2S_API int s2s_decision_allowed(const s2s_decision *d);
S2S_API s2s_reason s2s_decision_reason(const s2s_decision *d);
S2S_API s2s_outcome s2s_decision_outcome(const s2s_decision *d);
/* Each "" when unknown.  failed_caveat is printable ASCII (other bytes as
 * \xNN), at most 256 bytes: safe to log. */
S2S_API const char *s2s_decision_identity(const s2s_decision *d);
S2S_API const char *s2s_decision_token_id(const s2s_decision *d);
S2S_API const char *s2s_decision_key_id(const s2s_decision *d);
S2S_API const char *s2s_decision_spiffe_id(const s2s_decision *d);
S2S_API const char *s2s_decision_failed_caveat(const s2s_decision *d);
/* A one-line explanation for logs, never containing the token. */
S2S_API const char *s2s_decision_detail(const s2s_decision *d);
S2S_API void s2s_decision_free(s2s_decision *d);

/* ------------------------------------------------------------------------ */
/* Verification                                                               */

/*
 * Verifies a credential (a macaroon or a stack, any format) against the
 * context.  Returns S2S_OK whenever a decision was made, allow or deny, and
 * fills `d`; any other status means the call itself failed, and `d` then
 * holds a deny with S2S_REASON_INTERNAL.  `credential` may be NULL with
 * len 0: the decision then rests on the peer certificate alone (mTLS-only
 * policy) or is S2S_REASON_NO_CREDENTIAL.
 * Thread-safe on a shared verifier; does not allocate in the steady state.
 */
S2S_API s2s_status s2s_verify(const s2s_verifier *v, const s2s_context *ctx,
                              const char *credential, size_t len, s2s_decision *d,
                              s2s_error *err);

/*
 * A grant keeps a verified credential for a long-lived session (a Redis
 * connection): s2s_authenticate verifies as s2s_verify does and, on allow,
 * returns a grant; s2s_grant_check then re-evaluates every caveat, expiry and
 * revocation against a new context without re-parsing or re-computing HMACs.
 */
typedef struct s2s_grant s2s_grant;

S2S_API s2s_status s2s_authenticate(const s2s_verifier *v, const s2s_context *ctx,
                                    const char *credential, size_t len, s2s_decision *d,
                                    s2s_grant **out, s2s_error *err);
S2S_API s2s_status s2s_grant_check(const s2s_verifier *v, const s2s_grant *g,
                                   const s2s_context *ctx, s2s_decision *d, s2s_error *err);
/* The value of the first first-party caveat "<key> = <value>" of the grant's
 * root macaroon (e.g. "redis.user"), or NULL. */
S2S_API const char *s2s_grant_declared(const s2s_grant *g, const char *key);
S2S_API void s2s_grant_free(s2s_grant *g);

#ifdef __cplusplus
}
#endif

#endif /* S2SAUTH_H */
