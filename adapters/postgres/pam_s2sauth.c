/*
 * pam_s2sauth.c: a PAM module that authenticates a user by s2sauth token.
 *
 * The "password" a PAM application collects is taken as a token (or a stack
 * of a token and its discharges) and verified with libs2sauth against the
 * facts PAM knows: the user (PAM_USER, as pg.role by default), the remote
 * address (PAM_RHOST, as client.ip when it is numeric) and whatever the
 * module arguments add (db=, set=).  It works for any PAM service; with
 * PostgreSQL's "pam" method the server relays the client's password message
 * through the conversation, and one pamservice per database supplies pg.db.
 *
 * Unlike a "trust" line guarded by the server hook, this path fails closed by
 * construction: if the module is missing or broken, PAM refuses.  Every error
 * (an unknown argument, an unreadable key ring, no token, a deny) ends in
 * PAM_AUTH_ERR or PAM_SERVICE_ERR, never in PAM_SUCCESS.
 *
 * Module arguments:
 *   config=PATH            s2sauth configuration file
 *   keyring=PATH           key ring (instead of, or in addition to, config=)
 *   revocation_list=PATH   revoked token ids
 *   service=NAME           service name for "service" caveats
 *   db=NAME                shorthand for set=pg.db=NAME
 *   user_attr=KEY          attribute the PAM user is given as (default
 *                          pg.role; "none" leaves the user out)
 *   set=KEY=VALUE          any other context attribute (repeatable)
 *   use_first_pass, try_first_pass
 *                          as pam_unix: take the token an earlier module read
 *
 * The verifier is built at each authentication: libpam may unload the module
 * at pam_end(), so nothing can be kept across calls.  Results are logged with
 * pam_syslog (reason and token id, never the token).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#define PAM_SM_AUTH
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "s2sauth.h"

#define PAM_S2SAUTH_EXPORT __attribute__((visibility("default")))

/* The longest token accepted, as the core's default limit. */
#define PAM_S2SAUTH_MAX_TOKEN_BYTES 65536
/* At most this many set= arguments. */
#define PAM_S2SAUTH_MAX_SETS 16

struct module_args {
    const char *config;
    const char *keyring;
    const char *revocation_list;
    const char *service;
    int user_attr;                /* -1: the user is not a context fact */
    int set_attr[PAM_S2SAUTH_MAX_SETS];
    const char *set_value[PAM_S2SAUTH_MAX_SETS];
    int sets;
};

static const char *
arg_value(const char *arg, const char *name)
{
    size_t len = strlen(name);

    if (strncmp(arg, name, len) == 0 && arg[len] == '=')
        return arg + len + 1;
    return NULL;
}

static int
add_set(pam_handle_t *pamh, struct module_args *args, const char *key, size_t key_len,
        const char *value)
{
    char name[64];
    int attr;

    if (key_len == 0 || key_len >= sizeof(name)) {
        pam_syslog(pamh, LOG_ERR, "bad attribute name in module arguments");
        return -1;
    }
    memcpy(name, key, key_len);
    name[key_len] = '\0';
    attr = s2s_attr_from_name(name);
    if (attr < 0) {
        pam_syslog(pamh, LOG_ERR, "unknown attribute \"%s\" in module arguments", name);
        return -1;
    }
    if (args->sets == PAM_S2SAUTH_MAX_SETS) {
        pam_syslog(pamh, LOG_ERR, "more than %d attributes in module arguments",
                   PAM_S2SAUTH_MAX_SETS);
        return -1;
    }
    args->set_attr[args->sets] = attr;
    args->set_value[args->sets] = value;
    args->sets++;
    return 0;
}

/* Parses the module arguments; an unknown one is an error, never ignored. */
static int
parse_args(pam_handle_t *pamh, int argc, const char **argv, struct module_args *args)
{
    int i;

    memset(args, 0, sizeof(*args));
    args->user_attr = S2S_ATTR_PG_ROLE;

    for (i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char *v;

        if ((v = arg_value(arg, "config")) != NULL) {
            args->config = v;
        } else if ((v = arg_value(arg, "keyring")) != NULL) {
            args->keyring = v;
        } else if ((v = arg_value(arg, "revocation_list")) != NULL) {
            args->revocation_list = v;
        } else if ((v = arg_value(arg, "service")) != NULL) {
            args->service = v;
        } else if ((v = arg_value(arg, "db")) != NULL) {
            if (add_set(pamh, args, "pg.db", 5, v) != 0)
                return -1;
        } else if ((v = arg_value(arg, "user_attr")) != NULL) {
            if (strcmp(v, "none") == 0) {
                args->user_attr = -1;
            } else if ((args->user_attr = s2s_attr_from_name(v)) < 0) {
                pam_syslog(pamh, LOG_ERR, "unknown attribute \"%s\" in user_attr=", v);
                return -1;
            }
        } else if ((v = arg_value(arg, "set")) != NULL) {
            const char *eq = strchr(v, '=');

            if (eq == NULL) {
                pam_syslog(pamh, LOG_ERR, "set= wants KEY=VALUE");
                return -1;
            }
            if (add_set(pamh, args, v, (size_t) (eq - v), eq + 1) != 0)
                return -1;
        } else if (strcmp(arg, "use_first_pass") != 0 && strcmp(arg, "try_first_pass") != 0) {
            /* (pam_get_authtok reads those two itself.) */
            pam_syslog(pamh, LOG_ERR, "unknown module argument \"%s\"", arg);
            return -1;
        }
    }

    if (args->config == NULL && args->keyring == NULL) {
        pam_syslog(pamh, LOG_ERR, "no key source: give config= or keyring=");
        return -1;
    }
    return 0;
}

static void
log_error(pam_handle_t *pamh, const char *what, const s2s_error *err)
{
    pam_syslog(pamh, LOG_ERR, "%s: %s (%s)%s%s", what, err->message, err->detail,
               err->hint[0] ? " hint: " : "", err->hint);
}

static s2s_status
verifier_build(pam_handle_t *pamh, const struct module_args *args, s2s_verifier **out)
{
    s2s_config *cfg = NULL;
    s2s_error err;
    s2s_status status;

    memset(&err, 0, sizeof(err));
    status = s2s_config_new(&cfg, &err);
    if (status == S2S_OK && args->config != NULL)
        status = s2s_config_load(cfg, args->config, &err);
    if (status == S2S_OK && args->keyring != NULL)
        status = s2s_config_set(cfg, "keyring", args->keyring, &err);
    if (status == S2S_OK && args->revocation_list != NULL)
        status = s2s_config_set(cfg, "revocation_list", args->revocation_list, &err);
    if (status == S2S_OK && args->service != NULL)
        status = s2s_config_set(cfg, "service", args->service, &err);
    if (status == S2S_OK)
        status = s2s_verifier_new(cfg, out, &err);
    s2s_config_free(cfg);
    if (status != S2S_OK)
        log_error(pamh, "cannot build the s2sauth verifier", &err);
    return status;
}

/* A textual IPv4 or IPv6 address; PAM_RHOST may also hold a host name. */
static int
is_numeric_address(const char *host)
{
    unsigned char buf[16];

    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/*
 * Verifies `token` for `user` from `rhost`; returns the PAM code.  All the
 * objects are made and released here so that no path can leak one.
 */
static int
verify(pam_handle_t *pamh, const struct module_args *args, const char *user,
       const char *rhost, const char *token)
{
    s2s_verifier *verifier = NULL;
    s2s_context *ctx = NULL;
    s2s_decision *decision = NULL;
    s2s_error err;
    int rc = PAM_SERVICE_ERR;
    int i;

    memset(&err, 0, sizeof(err));
    if (verifier_build(pamh, args, &verifier) != S2S_OK)
        goto out;
    if (s2s_context_new(&ctx, &err) != S2S_OK || s2s_decision_new(&decision, &err) != S2S_OK) {
        log_error(pamh, "cannot allocate", &err);
        goto out;
    }

    if (args->user_attr >= 0 &&
        s2s_context_set(ctx, (s2s_attr) args->user_attr, user, strlen(user)) != S2S_OK)
        goto out;
    if (rhost != NULL && is_numeric_address(rhost) &&
        s2s_context_set(ctx, S2S_ATTR_CLIENT_IP, rhost, strlen(rhost)) != S2S_OK)
        goto out;
    for (i = 0; i < args->sets; i++) {
        const char *value = args->set_value[i];

        if (s2s_context_set(ctx, (s2s_attr) args->set_attr[i], value, strlen(value)) != S2S_OK)
            goto out;
    }

    rc = PAM_AUTH_ERR;
    if (s2s_verify(verifier, ctx, token, strlen(token), decision, &err) != S2S_OK) {
        log_error(pamh, "verification failed", &err);
        goto out;
    }
    if (s2s_decision_allowed(decision)) {
        pam_syslog(pamh, LOG_INFO, "accepted token id %s for user %s",
                   s2s_decision_token_id(decision), user);
        rc = PAM_SUCCESS;
    } else {
        pam_syslog(pamh, LOG_NOTICE,
                   "refused token id \"%s\" for user %s from %s: %s, failed caveat \"%s\"",
                   s2s_decision_token_id(decision), user, rhost ? rhost : "(unknown)",
                   s2s_reason_name(s2s_decision_reason(decision)),
                   s2s_decision_failed_caveat(decision));
    }

out:
    s2s_decision_free(decision);
    s2s_context_free(ctx);
    s2s_verifier_free(verifier);
    return rc;
}

PAM_S2SAUTH_EXPORT int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct module_args args;
    const char *user = NULL;
    const void *rhost = NULL;
    const char *token = NULL;

    (void) flags;

    if (parse_args(pamh, argc, argv, &args) != 0)
        return PAM_SERVICE_ERR;

    if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL || user[0] == '\0')
        return PAM_AUTH_ERR;
    if (pam_get_item(pamh, PAM_RHOST, &rhost) != PAM_SUCCESS)
        rhost = NULL;

    if (pam_get_authtok(pamh, PAM_AUTHTOK, &token, NULL) != PAM_SUCCESS || token == NULL ||
        token[0] == '\0')
        return PAM_AUTH_ERR;
    if (strnlen(token, PAM_S2SAUTH_MAX_TOKEN_BYTES + 1) > PAM_S2SAUTH_MAX_TOKEN_BYTES) {
        pam_syslog(pamh, LOG_NOTICE, "refused a token longer than %d bytes for user %s",
                   PAM_S2SAUTH_MAX_TOKEN_BYTES, user);
        return PAM_AUTH_ERR;
    }

    return verify(pamh, &args, user, (const char *) rhost, token);
}

/* Tokens establish no credentials; this only lets "auth" stacks complete. */
PAM_S2SAUTH_EXPORT int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void) pamh;
    (void) flags;
    (void) argc;
    (void) argv;
    return PAM_SUCCESS;
}
