
/*
 * ngx_http_s2sauth_module.c: authenticate every request with a macaroon
 * and/or a TLS client certificate, through libs2sauth.
 *
 * The module is thin.  At configuration time it builds one s2s_verifier per
 * distinct set of s2sauth settings (a location that sets none shares its
 * parent's), in the master, so workers inherit it across fork and a reload
 * simply builds new ones; a bad key file fails "nginx -t".  At request time
 * the access-phase handler gathers the facts nginx knows (method, the
 * normalized URI nginx routes on, host, client address after realip, the
 * client certificate with nginx's own verdict), calls s2s_verify() once, and
 * answers 401 with a challenge, 403, or lets the request on with identity
 * headers and variables set.
 *
 * nginx runs the access phase for main requests only (internal redirects
 * included: error_page, try_files, X-Accel-Redirect, named locations), so a
 * second handler in the precontent phase checks subrequests (SSI, mirror,
 * auth_request, addition) against the location they reach.
 */


#include "ngx_http_s2sauth.h"


/* A setting handed to the core's configuration, with where it was written. */
typedef struct {
    ngx_str_t                  name;      /* the core directive, "keyring" */
    ngx_str_t                  value;
    ngx_str_t                  file;
    ngx_uint_t                 line;
} ngx_http_s2sauth_setting_t;


typedef struct {
    ngx_flag_t                 enable;
    ngx_uint_t                 client_cert;
    ngx_str_t                  realm;
    ngx_array_t               *sources;   /* ngx_http_s2sauth_source_t */
    ngx_array_t               *headers;   /* ngx_http_s2sauth_header_t */

    /* settings written at this level; after merge, the effective ones */
    ngx_array_t               *settings;  /* ngx_http_s2sauth_setting_t */
    ngx_flag_t                 own_settings;
    s2s_verifier              *verifier;

    ngx_str_t                  challenge_missing;
    ngx_str_t                  challenge_invalid;
    ngx_str_t                  challenge_forbidden;

    ngx_str_t                  enable_file;
    ngx_uint_t                 enable_line;
    ngx_str_t                  client_cert_file;
    ngx_uint_t                 client_cert_line;
} ngx_http_s2sauth_loc_conf_t;


/* Per-worker scratch objects reused by every request (DESIGN section 2). */
static s2s_context   *ngx_http_s2sauth_context;
static s2s_decision  *ngx_http_s2sauth_decision;


/* The rewrite module's location configuration starts with its script codes;
 * only that first member is read, to warn about "return" (below). */
typedef struct {
    ngx_array_t               *codes;
} ngx_http_s2sauth_rewrite_conf_t;

extern ngx_module_t  ngx_http_rewrite_module;


static ngx_int_t ngx_http_s2sauth_access_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_s2sauth_subrequest_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_s2sauth_check(ngx_http_request_t *r,
    ngx_http_s2sauth_loc_conf_t *alcf);
static ngx_int_t ngx_http_s2sauth_verify(ngx_http_request_t *r,
    ngx_http_s2sauth_loc_conf_t *alcf, ngx_http_s2sauth_ctx_t *ctx);
static ngx_int_t ngx_http_s2sauth_deny(ngx_http_request_t *r,
    ngx_http_s2sauth_loc_conf_t *alcf, ngx_http_s2sauth_ctx_t *ctx,
    s2s_reason reason, s2s_decision *d);
static ngx_int_t ngx_http_s2sauth_copy(ngx_http_request_t *r, ngx_str_t *dst,
    const char *src);
static ngx_uint_t ngx_http_s2sauth_inet(ngx_connection_t *c);
static ngx_int_t ngx_http_s2sauth_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

static ngx_int_t ngx_http_s2sauth_add_variables(ngx_conf_t *cf);
static void *ngx_http_s2sauth_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_s2sauth_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_s2sauth_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_s2sauth_init_process(ngx_cycle_t *cycle);
static void ngx_http_s2sauth_exit_process(ngx_cycle_t *cycle);

static char *ngx_http_s2sauth_enable(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_s2sauth_setting(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_s2sauth_client_cert(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_s2sauth_token_source(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_s2sauth_realm(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_s2sauth_identity_header(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

static ngx_array_t *ngx_http_s2sauth_merge_settings(ngx_conf_t *cf,
    ngx_array_t *prev, ngx_array_t *conf);
static ngx_int_t ngx_http_s2sauth_build(ngx_conf_t *cf,
    ngx_http_s2sauth_loc_conf_t *conf);
static void ngx_http_s2sauth_verifier_cleanup(void *data);
static ngx_int_t ngx_http_s2sauth_challenges(ngx_conf_t *cf,
    ngx_http_s2sauth_loc_conf_t *conf);
static char *ngx_http_s2sauth_check_client_cert(ngx_conf_t *cf,
    ngx_http_s2sauth_loc_conf_t *conf);
static void ngx_http_s2sauth_warn_return(ngx_conf_t *cf);


/* Settings whose value names a file, resolved against the prefix. */
#define NGX_HTTP_S2SAUTH_PATH    0x01
/* Settings that may be given more than once (allowlists). */
#define NGX_HTTP_S2SAUTH_MULTI   0x02


typedef struct {
    const char                *core_name;
    ngx_uint_t                 flags;
} ngx_http_s2sauth_core_directive_t;


static ngx_http_s2sauth_core_directive_t  ngx_http_s2sauth_core[] = {
    { "config",              NGX_HTTP_S2SAUTH_PATH },   /* 0 */
    { "keyring",             NGX_HTTP_S2SAUTH_PATH },   /* 1 */
    { "root_key_file",       NGX_HTTP_S2SAUTH_PATH },   /* 2 */
    { "revocation_list",     NGX_HTTP_S2SAUTH_PATH },   /* 3 */
    { "service",             0 },                       /* 4 */
    { "trust_bundle",        NGX_HTTP_S2SAUTH_PATH },   /* 5 */
    { "crl",                 NGX_HTTP_S2SAUTH_PATH },   /* 6 */
    { "allow_spiffe_id",     NGX_HTTP_S2SAUTH_MULTI },  /* 7 */
    { "allow_spiffe_prefix", NGX_HTTP_S2SAUTH_MULTI },  /* 8 */
    { "allow_trust_domain",  NGX_HTTP_S2SAUTH_MULTI },  /* 9 */
    { "allow_cert_sha256",   NGX_HTTP_S2SAUTH_MULTI },  /* 10 */
    { "max_token_bytes",     0 }                        /* 11 */
};


static ngx_conf_enum_t  ngx_http_s2sauth_client_cert_modes[] = {
    { ngx_string("off"), NGX_HTTP_S2SAUTH_CERT_OFF },
    { ngx_string("optional"), NGX_HTTP_S2SAUTH_CERT_OPTIONAL },
    { ngx_string("required"), NGX_HTTP_S2SAUTH_CERT_REQUIRED },
    { ngx_null_string, 0 }
};


#define NGX_HTTP_S2SAUTH_CONF                                                 \
    (NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF)


static ngx_command_t  ngx_http_s2sauth_commands[] = {

    { ngx_string("s2sauth"),
      NGX_HTTP_S2SAUTH_CONF|NGX_CONF_FLAG,
      ngx_http_s2sauth_enable,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s2sauth_config"),
      NGX_HTTP_S2SAUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_s2sauth_setting,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      &ngx_http_s2sauth_core[0] },

    { ngx_string("s2sauth_keyring"),
      NGX_HTTP_S2SAUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_s2sauth_setting,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      &ngx_http_s2sauth_core[1] },

    { ngx_string("s2sauth_root_key_file"),
      NGX_HTTP_S2SAUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_s2sauth_setting,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      &ngx_http_s2sauth_core[2] },

    { ngx_string("s2sauth_revocation_list"),
      NGX_HTTP_S2SAUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_s2sauth_setting,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      &ngx_http_s2sauth_core[3] },

    { ngx_string("s2sauth_service"),
      NGX_HTTP_S2SAUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_s2sauth_setting,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      &ngx_http_s2sauth_core[4] },

    { ngx_string("s2sauth_trust_bundle"),
      NGX_HTTP_S2SAUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_s2sauth_setting,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      &ngx_http_s2sauth_core[5] },

    { ngx_string("s2sauth_crl"),
      NGX_HTTP_S2SAUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_s2sauth_setting,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      &ngx_http_s2sauth_core[6] },

    { ngx_string("s2sauth_allow_spiffe_id"),
      NGX_HTTP_S2SAUTH_CONF|NGX_CONF_1MORE,
      ngx_http_s2sauth_setting,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      &ngx_http_s2sauth_core[7] },

    { ngx_string("s2sauth_allow_spiffe_prefix"),
      NGX_HTTP_S2SAUTH_CONF|NGX_CONF_1MORE,
      ngx_http_s2sauth_setting,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      &ngx_http_s2sauth_core[8] },

    { ngx_string("s2sauth_allow_trust_domain"),
      NGX_HTTP_S2SAUTH_CONF|NGX_CONF_1MORE,
      ngx_http_s2sauth_setting,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      &ngx_http_s2sauth_core[9] },

    { ngx_string("s2sauth_allow_cert_sha256"),
      NGX_HTTP_S2SAUTH_CONF|NGX_CONF_1MORE,
      ngx_http_s2sauth_setting,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      &ngx_http_s2sauth_core[10] },

    { ngx_string("s2sauth_max_token_bytes"),
      NGX_HTTP_S2SAUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_s2sauth_setting,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      &ngx_http_s2sauth_core[11] },

    { ngx_string("s2sauth_client_cert"),
      NGX_HTTP_S2SAUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_s2sauth_client_cert,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_s2sauth_loc_conf_t, client_cert),
      &ngx_http_s2sauth_client_cert_modes },

    { ngx_string("s2sauth_token_source"),
      NGX_HTTP_S2SAUTH_CONF|NGX_CONF_1MORE,
      ngx_http_s2sauth_token_source,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s2sauth_realm"),
      NGX_HTTP_S2SAUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_s2sauth_realm,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s2sauth_identity_header"),
      NGX_HTTP_S2SAUTH_CONF|NGX_CONF_TAKE12,
      ngx_http_s2sauth_identity_header,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_s2sauth_module_ctx = {
    ngx_http_s2sauth_add_variables,        /* preconfiguration */
    ngx_http_s2sauth_init,                 /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_s2sauth_create_loc_conf,      /* create location configuration */
    ngx_http_s2sauth_merge_loc_conf        /* merge location configuration */
};


ngx_module_t  ngx_http_s2sauth_module = {
    NGX_MODULE_V1,
    &ngx_http_s2sauth_module_ctx,          /* module context */
    ngx_http_s2sauth_commands,             /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_s2sauth_init_process,         /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_s2sauth_exit_process,         /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_variable_t  ngx_http_s2sauth_vars[] = {

    { ngx_string("s2sauth_identity"), NULL, ngx_http_s2sauth_variable,
      offsetof(ngx_http_s2sauth_ctx_t, identity), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("s2sauth_token_id"), NULL, ngx_http_s2sauth_variable,
      offsetof(ngx_http_s2sauth_ctx_t, token_id), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("s2sauth_spiffe_id"), NULL, ngx_http_s2sauth_variable,
      offsetof(ngx_http_s2sauth_ctx_t, spiffe_id), NGX_HTTP_VAR_NOCACHEABLE,
      0 },

    { ngx_string("s2sauth_reason"), NULL, ngx_http_s2sauth_variable,
      offsetof(ngx_http_s2sauth_ctx_t, reason), NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


/* ------------------------------------------------------------------------ */
/* Request time                                                              */


static ngx_int_t
ngx_http_s2sauth_access_handler(ngx_http_request_t *r)
{
    return ngx_http_s2sauth_check(r, ngx_http_get_module_loc_conf(r,
                                                   ngx_http_s2sauth_module));
}


static ngx_int_t
ngx_http_s2sauth_subrequest_handler(ngx_http_request_t *r)
{
    ngx_int_t                     rc;
    ngx_http_s2sauth_loc_conf_t  *alcf;

    if (r == r->main) {
        /* the access phase has judged it */
        return NGX_DECLINED;
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_s2sauth_module);

    if (!alcf->enable && alcf->headers == NULL) {
        return NGX_DECLINED;
    }

    rc = ngx_http_s2sauth_check(r, alcf);

    /* let try_files and mirror run after us in this phase */
    return (rc == NGX_OK) ? NGX_DECLINED : rc;
}


/*
 * Returns NGX_DECLINED where the module is off, NGX_OK to allow, and
 * 401, 403 or 500 otherwise: never NGX_DECLINED on a failure, which under
 * "satisfy any" would count as no objection.
 */
static ngx_int_t
ngx_http_s2sauth_check(ngx_http_request_t *r, ngx_http_s2sauth_loc_conf_t *alcf)
{
    ngx_int_t                rc;
    ngx_http_s2sauth_ctx_t  *ctx;

    if (!alcf->enable) {
        if (alcf->headers
            && ngx_http_s2sauth_set_headers(r, alcf->headers, NULL) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return NGX_DECLINED;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_s2sauth_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_s2sauth_module);

    rc = ngx_http_s2sauth_verify(r, alcf, ctx);

    if (alcf->headers
        && ngx_http_s2sauth_set_headers(r, alcf->headers, ctx) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return rc;
}


static ngx_int_t
ngx_http_s2sauth_verify(ngx_http_request_t *r,
    ngx_http_s2sauth_loc_conf_t *alcf, ngx_http_s2sauth_ctx_t *ctx)
{
    s2s_peer          *peer;
    ngx_int_t          rc, status;
    s2s_error          err;
    s2s_reason         reason;
    ngx_str_t          credential;
    ngx_uint_t         verified;
    s2s_context       *sctx;
    s2s_decision      *d;
    ngx_connection_t  *c;

    c = r->connection;
    sctx = ngx_http_s2sauth_context;
    d = ngx_http_s2sauth_decision;

    if (sctx == NULL || d == NULL || alcf->verifier == NULL) {
        return ngx_http_s2sauth_deny(r, alcf, ctx, S2S_REASON_INTERNAL, NULL);
    }

    ngx_str_null(&credential);

    rc = ngx_http_s2sauth_find_credential(r, alcf->sources, &credential);

    if (rc == NGX_ERROR) {
        ctx->presented = 1;
        return ngx_http_s2sauth_deny(r, alcf, ctx, S2S_REASON_MALFORMED, NULL);
    }

    if (rc == NGX_OK) {
        ctx->presented = 1;

        if (credential.len == 0) {
            return ngx_http_s2sauth_deny(r, alcf, ctx, S2S_REASON_MALFORMED,
                                         NULL);
        }

        if (credential.len > NGX_HTTP_S2SAUTH_MAX_CREDENTIAL) {
            return ngx_http_s2sauth_deny(r, alcf, ctx, S2S_REASON_TOO_LARGE,
                                         NULL);
        }
    }

    peer = NULL;
    verified = 0;

    if (alcf->client_cert != NGX_HTTP_S2SAUTH_CERT_OFF) {
        peer = ngx_http_s2sauth_peer(r, alcf->verifier, &verified, &status);

        if (status == NGX_ERROR) {
            return ngx_http_s2sauth_deny(r, alcf, ctx,
                                         S2S_REASON_CERT_UNTRUSTED, NULL);
        }

        if (alcf->client_cert == NGX_HTTP_S2SAUTH_CERT_REQUIRED) {
            if (peer == NULL) {
                return ngx_http_s2sauth_deny(r, alcf, ctx,
                                             S2S_REASON_CERT_REQUIRED, NULL);
            }

            if (!verified) {
                return ngx_http_s2sauth_deny(r, alcf, ctx,
                                             S2S_REASON_CERT_UNTRUSTED, NULL);
            }
        }
    }

    s2s_context_reset(sctx);

    /* a fact the core refuses is an error, never a fact left out */
    if (s2s_context_set(sctx, S2S_ATTR_HTTP_METHOD,
                        (const char *) r->method_name.data,
                        r->method_name.len)
        != S2S_OK
        || s2s_context_set(sctx, S2S_ATTR_HTTP_PATH,
                           (const char *) r->uri.data, r->uri.len)
           != S2S_OK
        || (r->headers_in.server.len
            && s2s_context_set(sctx, S2S_ATTR_HTTP_HOST,
                               (const char *) r->headers_in.server.data,
                               r->headers_in.server.len)
               != S2S_OK)
        || (ngx_http_s2sauth_inet(c)
            && s2s_context_set(sctx, S2S_ATTR_CLIENT_IP,
                               (const char *) c->addr_text.data,
                               c->addr_text.len)
               != S2S_OK))
    {
        ngx_log_error(NGX_LOG_ERR, c->log, 0,
                      "s2sauth: the request's method, path, host or address "
                      "was refused as context");
        return ngx_http_s2sauth_deny(r, alcf, ctx, S2S_REASON_INTERNAL, NULL);
    }

    if (peer) {
        s2s_context_set_peer(sctx, peer);
    }

    if (ngx_http_s2sauth_verify_cached(r, alcf->verifier, sctx, &credential,
                                       d, &err)
        != S2S_OK)
    {
        ngx_log_error(NGX_LOG_ERR, c->log, 0,
                      "s2sauth: verification failed: %s (%s)",
                      err.message, err.detail);
        return ngx_http_s2sauth_deny(r, alcf, ctx, S2S_REASON_INTERNAL, NULL);
    }

    reason = s2s_decision_reason(d);

    if (ngx_http_s2sauth_copy(r, &ctx->token_id, s2s_decision_token_id(d))
        != NGX_OK
        || ngx_http_s2sauth_copy(r, &ctx->spiffe_id,
                                 s2s_decision_spiffe_id(d))
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!s2s_decision_allowed(d) || s2s_decision_outcome(d) != S2S_ALLOW) {
        return ngx_http_s2sauth_deny(r, alcf, ctx,
                                     reason == S2S_REASON_OK
                                     ? S2S_REASON_INTERNAL : reason, d);
    }

    if (ngx_http_s2sauth_copy(r, &ctx->identity, s2s_decision_identity(d))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->outcome = S2S_ALLOW;
    ngx_str_set(&ctx->reason, "ok");

    return NGX_OK;
}


/*
 * `d` is the core's decision when the core decided, NULL when the module did
 * (no usable credential or certificate before the core was asked).
 */
static ngx_int_t
ngx_http_s2sauth_deny(ngx_http_request_t *r, ngx_http_s2sauth_loc_conf_t *alcf,
    ngx_http_s2sauth_ctx_t *ctx, s2s_reason reason, s2s_decision *d)
{
    const char  *name, *caveat;

    name = s2s_reason_name(reason);

    ctx->reason.data = (u_char *) name;
    ctx->reason.len = ngx_strlen(name);
    ctx->outcome = s2s_reason_outcome(reason);

    if (ctx->outcome == S2S_ALLOW) {
        /* a deny with a reason that maps to allow is an internal error */
        ctx->outcome = S2S_DENY_UNAUTHENTICATED;
    }

    caveat = d ? s2s_decision_failed_caveat(d) : "";

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "s2sauth: access denied, reason \"%s\", "
                  "token id \"%V\"%s%s%s",
                  name, &ctx->token_id,
                  caveat[0] ? ", caveat \"" : "", caveat,
                  caveat[0] ? "\"" : "");

    if (ctx->outcome == S2S_DENY_FORBIDDEN) {
        if (ctx->presented
            && ngx_http_s2sauth_challenge(r, &alcf->challenge_forbidden)
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return NGX_HTTP_FORBIDDEN;
    }

    if (ngx_http_s2sauth_challenge(r, ctx->presented
                                      ? &alcf->challenge_invalid
                                      : &alcf->challenge_missing)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_HTTP_UNAUTHORIZED;
}


static ngx_int_t
ngx_http_s2sauth_copy(ngx_http_request_t *r, ngx_str_t *dst, const char *src)
{
    size_t  len;

    len = (src == NULL) ? 0 : ngx_strlen(src);

    if (len == 0) {
        ngx_str_null(dst);
        return NGX_OK;
    }

    dst->data = ngx_pnalloc(r->pool, len);
    if (dst->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(dst->data, src, len);
    dst->len = len;

    return NGX_OK;
}


/* Whether the client address is an IP address (not a UNIX socket). */
static ngx_uint_t
ngx_http_s2sauth_inet(ngx_connection_t *c)
{
    switch (c->sockaddr->sa_family) {

    case AF_INET:
        return 1;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        return 1;
#endif

    default:
        return 0;
    }
}


static ngx_int_t
ngx_http_s2sauth_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    ngx_str_t               *s;
    ngx_http_s2sauth_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s2sauth_module);

    if (ctx == NULL && r != r->main) {
        ctx = ngx_http_get_module_ctx(r->main, ngx_http_s2sauth_module);
    }

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    s = (ngx_str_t *) ((char *) ctx + data);

    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = s->data;

    return NGX_OK;
}


/* ------------------------------------------------------------------------ */
/* Configuration                                                             */


static ngx_int_t
ngx_http_s2sauth_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_s2sauth_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static void *
ngx_http_s2sauth_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_s2sauth_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_s2sauth_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->realm = { 0, NULL };
     *     conf->settings = NULL;
     *     conf->own_settings = 0;
     *     conf->verifier = NULL;
     *     conf->challenge_* = { 0, NULL };
     *     conf->enable_file = { 0, NULL };
     *     conf->enable_line = 0;
     */

    conf->enable = NGX_CONF_UNSET;
    conf->client_cert = NGX_CONF_UNSET_UINT;
    conf->sources = NGX_CONF_UNSET_PTR;
    conf->headers = NGX_CONF_UNSET_PTR;

    return conf;
}


static char *
ngx_http_s2sauth_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_s2sauth_loc_conf_t  *prev = parent;
    ngx_http_s2sauth_loc_conf_t  *conf = child;

    ngx_http_s2sauth_source_t  *src;

    if (conf->enable == NGX_CONF_UNSET) {
        conf->enable = (prev->enable == NGX_CONF_UNSET) ? 0 : prev->enable;
        conf->enable_file = prev->enable_file;
        conf->enable_line = prev->enable_line;
    }

    if (conf->client_cert == NGX_CONF_UNSET_UINT) {
        conf->client_cert = (prev->client_cert == NGX_CONF_UNSET_UINT)
                            ? NGX_HTTP_S2SAUTH_CERT_OPTIONAL
                            : prev->client_cert;
        conf->client_cert_file = prev->client_cert_file;
        conf->client_cert_line = prev->client_cert_line;
    }

    ngx_conf_merge_str_value(conf->realm, prev->realm, "s2sauth");
    ngx_conf_merge_ptr_value(conf->headers, prev->headers, NULL);

    if (conf->sources == NGX_CONF_UNSET_PTR) {

        if (prev->sources == NGX_CONF_UNSET_PTR) {
            prev->sources = ngx_array_create(cf->pool, 1,
                                             sizeof(ngx_http_s2sauth_source_t));
            if (prev->sources == NULL) {
                return NGX_CONF_ERROR;
            }

            src = ngx_array_push(prev->sources);
            if (src == NULL) {
                return NGX_CONF_ERROR;
            }

            src->type = NGX_HTTP_S2SAUTH_SOURCE_AUTHORIZATION;
            ngx_str_null(&src->name);
        }

        conf->sources = prev->sources;
    }

    /*
     * A level that writes no s2sauth setting shares its parent's verifier,
     * built at most once (the http level is never merged as a child, so its
     * verifier is built here, the first time a server inherits it).
     */

    if (!conf->own_settings) {
        conf->settings = prev->settings;

        if (prev->verifier == NULL && prev->settings
            && ngx_http_s2sauth_build(cf, prev) != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }

        conf->verifier = prev->verifier;

    } else {
        conf->settings = ngx_http_s2sauth_merge_settings(cf, prev->settings,
                                                         conf->settings);
        if (conf->settings == NULL) {
            return NGX_CONF_ERROR;
        }

        if (ngx_http_s2sauth_build(cf, conf) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    if (ngx_http_s2sauth_challenges(cf, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (!conf->enable) {
        return NGX_CONF_OK;
    }

    if (conf->verifier == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"s2sauth on\" without s2sauth_config, "
                      "s2sauth_keyring or s2sauth_root_key_file in %V:%ui",
                      &conf->enable_file, conf->enable_line);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_s2sauth_check_client_cert(cf, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_http_s2sauth_warn_return(cf);

    return NGX_CONF_OK;
}


/*
 * The effective settings of a level: its own, then its parent's for every
 * core directive it does not write itself (an allowlist written at a level
 * replaces the parent's, as nginx's array directives do).
 */
static ngx_array_t *
ngx_http_s2sauth_merge_settings(ngx_conf_t *cf, ngx_array_t *prev,
    ngx_array_t *conf)
{
    ngx_uint_t                   i, j, own;
    ngx_array_t                 *merged;
    ngx_http_s2sauth_setting_t  *p, *c, *s;

    if (prev == NULL) {
        return conf;
    }

    merged = ngx_array_create(cf->pool, prev->nelts + conf->nelts,
                              sizeof(ngx_http_s2sauth_setting_t));
    if (merged == NULL) {
        return NULL;
    }

    p = prev->elts;
    c = conf->elts;

    for (i = 0; i < prev->nelts; i++) {
        own = 0;

        for (j = 0; j < conf->nelts; j++) {
            if (p[i].name.data == c[j].name.data) {
                own = 1;
                break;
            }
        }

        if (own) {
            continue;
        }

        s = ngx_array_push(merged);
        if (s == NULL) {
            return NULL;
        }

        *s = p[i];
    }

    for (j = 0; j < conf->nelts; j++) {
        s = ngx_array_push(merged);
        if (s == NULL) {
            return NULL;
        }

        *s = c[j];
    }

    return merged;
}


static ngx_int_t
ngx_http_s2sauth_build(ngx_conf_t *cf, ngx_http_s2sauth_loc_conf_t *conf)
{
    ngx_uint_t                   i, keys;
    s2s_error                    err;
    s2s_config                  *cfg;
    s2s_status                   st;
    s2s_verifier                *v;
    ngx_pool_cleanup_t          *cln;
    ngx_http_s2sauth_setting_t  *s, *at;

    s = conf->settings->elts;
    at = &s[conf->settings->nelts - 1];
    keys = 0;

    for (i = 0; i < conf->settings->nelts; i++) {
        if (s[i].name.data == (u_char *) ngx_http_s2sauth_core[0].core_name
            || s[i].name.data == (u_char *) ngx_http_s2sauth_core[1].core_name
            || s[i].name.data == (u_char *) ngx_http_s2sauth_core[2].core_name)
        {
            keys = 1;
        }
    }

    if (!keys) {
        /* settings without a key source: only an error where s2sauth is on */
        return NGX_OK;
    }

    ngx_memzero(&err, sizeof(s2s_error));

    if (s2s_config_new(&cfg, &err) != S2S_OK) {
        goto failed;
    }

    /* the configuration file first: nginx directives add to it */

    st = S2S_OK;

    for (i = 0; st == S2S_OK && i < conf->settings->nelts; i++) {
        if (s[i].name.data == (u_char *) ngx_http_s2sauth_core[0].core_name) {
            at = &s[i];
            st = s2s_config_load(cfg, (char *) s[i].value.data, &err);
        }
    }

    for (i = 0; st == S2S_OK && i < conf->settings->nelts; i++) {
        if (s[i].name.data != (u_char *) ngx_http_s2sauth_core[0].core_name) {
            at = &s[i];
            st = s2s_config_set(cfg, (char *) s[i].name.data,
                                (char *) s[i].value.data, &err);
        }
    }

    if (st != S2S_OK) {
        s2s_config_free(cfg);
        goto failed;
    }

    at = &s[conf->settings->nelts - 1];
    v = NULL;
    st = s2s_verifier_new(cfg, &v, &err);

    s2s_config_free(cfg);

    if (st != S2S_OK) {
        /* report the line of the setting whose file the core names */
        for (i = 0; i < conf->settings->nelts; i++) {
            if (ngx_strstr(err.detail, s[i].value.data)
                || ngx_strstr(err.message, s[i].value.data))
            {
                at = &s[i];
                break;
            }
        }

        goto failed;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        s2s_verifier_free(v);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_s2sauth_verifier_cleanup;
    cln->data = v;

    conf->verifier = v;

    return NGX_OK;

failed:

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "s2sauth: %s%s%s%s%s in %V:%ui",
                  err.message, err.detail[0] ? ": " : "", err.detail,
                  err.hint[0] ? "; hint: " : "", err.hint,
                  &at->file, at->line);

    return NGX_ERROR;
}


static void
ngx_http_s2sauth_verifier_cleanup(void *data)
{
    s2s_verifier_free(data);
}


/*
 * The challenges are fixed per location, so they are built once here:
 * RFC 6750 style, no error code when nothing was presented.
 */
static ngx_int_t
ngx_http_s2sauth_challenges(ngx_conf_t *cf, ngx_http_s2sauth_loc_conf_t *conf)
{
    u_char  *p;
    size_t   len;

    len = sizeof("Macaroon realm=\"\", error=\"insufficient_scope\"") - 1
          + conf->realm.len;

    p = ngx_pnalloc(cf->pool, 3 * len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    conf->challenge_missing.data = p;
    p = ngx_sprintf(p, "Macaroon realm=\"%V\"", &conf->realm);
    conf->challenge_missing.len = p - conf->challenge_missing.data;

    conf->challenge_invalid.data = p;
    p = ngx_sprintf(p, "Macaroon realm=\"%V\", error=\"invalid_token\"",
                    &conf->realm);
    conf->challenge_invalid.len = p - conf->challenge_invalid.data;

    conf->challenge_forbidden.data = p;
    p = ngx_sprintf(p, "Macaroon realm=\"%V\", error=\"insufficient_scope\"",
                    &conf->realm);
    conf->challenge_forbidden.len = p - conf->challenge_forbidden.data;

    return NGX_OK;
}


/*
 * ssl_verify_client is per server; a location that requires a certificate
 * in a server that never asks for one could only ever deny.
 */
static char *
ngx_http_s2sauth_check_client_cert(ngx_conf_t *cf,
    ngx_http_s2sauth_loc_conf_t *conf)
{
#if (NGX_HTTP_SSL)
    ngx_http_ssl_srv_conf_t   *sscf;
#endif
    ngx_http_core_loc_conf_t  *clcf;

    if (conf->client_cert != NGX_HTTP_S2SAUTH_CERT_REQUIRED) {
        return NGX_CONF_OK;
    }

#if (NGX_HTTP_SSL)
    sscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_ssl_module);

    if (sscf && sscf->verify) {
        return NGX_CONF_OK;
    }
#endif

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "\"s2sauth_client_cert required\" applies to location "
                  "\"%V\" of a server without \"ssl_verify_client\" in %V:%ui",
                  &clcf->name, &conf->client_cert_file,
                  conf->client_cert_line);

    return NGX_CONF_ERROR;
}


/*
 * "return" (and a rewrite to a redirect) answers in the rewrite phases,
 * before any access module runs, so it is served without authentication.
 * The rewrite module keeps its script as an array of code words; a word
 * equal to ngx_http_script_return_code is a "return".
 */
static void
ngx_http_s2sauth_warn_return(ngx_conf_t *cf)
{
    u_char                           *p, *last;
    uintptr_t                         code;
    ngx_http_core_loc_conf_t         *clcf;
    ngx_http_s2sauth_rewrite_conf_t  *rlcf;

    rlcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_rewrite_module);

    if (rlcf == NULL || rlcf->codes == NULL) {
        return;
    }

    p = rlcf->codes->elts;
    last = p + rlcf->codes->nelts * rlcf->codes->size;

    for ( /* void */ ; p + sizeof(uintptr_t) <= last; p += sizeof(uintptr_t)) {

        ngx_memcpy(&code, p, sizeof(uintptr_t));

        if (code != (uintptr_t) ngx_http_script_return_code) {
            continue;
        }

        clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

        ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                      "s2sauth: \"return\" in location \"%V\" answers before "
                      "the access phase, without authentication; serve a "
                      "file or empty_gif there instead", &clcf->name);
        return;
    }
}


static char *
ngx_http_s2sauth_enable(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_s2sauth_loc_conf_t *alcf = conf;

    ngx_str_t  *value;

    if (alcf->enable != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcasecmp(value[1].data, (u_char *) "on") == 0) {
        alcf->enable = 1;

    } else if (ngx_strcasecmp(value[1].data, (u_char *) "off") == 0) {
        alcf->enable = 0;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in \"%V\" directive, "
                           "it must be \"on\" or \"off\"",
                           &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    alcf->enable_file = cf->conf_file->file.name;
    alcf->enable_line = cf->conf_file->line;

    return NGX_CONF_OK;
}


static char *
ngx_http_s2sauth_client_cert(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_s2sauth_loc_conf_t *alcf = conf;

    char  *rv;

    rv = ngx_conf_set_enum_slot(cf, cmd, conf);

    if (rv == NGX_CONF_OK) {
        alcf->client_cert_file = cf->conf_file->file.name;
        alcf->client_cert_line = cf->conf_file->line;
    }

    return rv;
}


/*
 * A core setting (key ring, service, allowlist ...): recorded with its place
 * in the configuration, checked early where a check is cheap and precise
 * (the key ring and the s2sauth configuration file are loaded here, so a bad
 * or badly permissioned file is reported at its directive's line), and
 * handed to the core when the location's verifier is built.
 */
static char *
ngx_http_s2sauth_setting(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_s2sauth_loc_conf_t *alcf = conf;

    ngx_http_s2sauth_core_directive_t *core = cmd->post;

    ngx_str_t                   *value, name;
    s2s_error                    err;
    s2s_status                   st;
    ngx_uint_t                   i;
    s2s_config                  *cfg;
    s2s_keyring                 *kr;
    ngx_http_s2sauth_setting_t  *s;

    name.data = (u_char *) core->core_name;
    name.len = ngx_strlen(core->core_name);

    if (alcf->settings == NULL) {
        alcf->settings = ngx_array_create(cf->pool, 4,
                                          sizeof(ngx_http_s2sauth_setting_t));
        if (alcf->settings == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    s = alcf->settings->elts;

    for (i = 0; i < alcf->settings->nelts; i++) {
        if (s[i].name.data == name.data
            && !(core->flags & NGX_HTTP_S2SAUTH_MULTI))
        {
            return "is duplicate";
        }
    }

    alcf->own_settings = 1;
    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (value[i].len == 0 || ngx_strlchr(value[i].data,
                                              value[i].data + value[i].len,
                                              '\0'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid value \"%V\" in \"%V\" directive",
                               &value[i], &cmd->name);
            return NGX_CONF_ERROR;
        }

        if ((core->flags & NGX_HTTP_S2SAUTH_PATH)
            && ngx_conf_full_name(cf->cycle, &value[i], 1) != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }

        s = ngx_array_push(alcf->settings);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        s->name = name;
        s->value = value[i];
        s->file = cf->conf_file->file.name;
        s->line = cf->conf_file->line;
    }

    ngx_memzero(&err, sizeof(s2s_error));
    st = S2S_OK;

    if (name.data == (u_char *) ngx_http_s2sauth_core[1].core_name) {
        kr = NULL;
        st = s2s_keyring_load((char *) value[1].data, &kr, &err);
        s2s_keyring_free(kr);

    } else if (name.data == (u_char *) ngx_http_s2sauth_core[0].core_name) {
        cfg = NULL;
        st = s2s_config_new(&cfg, &err);

        if (st == S2S_OK) {
            st = s2s_config_load(cfg, (char *) value[1].data, &err);
        }

        s2s_config_free(cfg);
    }

    if (st != S2S_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "s2sauth: %s%s%s%s%s",
                           err.message, err.detail[0] ? ": " : "", err.detail,
                           err.hint[0] ? "; hint: " : "", err.hint);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_s2sauth_token_source(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_s2sauth_loc_conf_t *alcf = conf;

    ngx_str_t                  *value, arg;
    ngx_uint_t                  i;
    ngx_http_s2sauth_source_t  *src;

    if (alcf->sources != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    alcf->sources = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                     sizeof(ngx_http_s2sauth_source_t));
    if (alcf->sources == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        arg = value[i];

        src = ngx_array_push(alcf->sources);
        if (src == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_str_null(&src->name);

        if (ngx_strcasecmp(arg.data, (u_char *) "header:Authorization") == 0) {
            src->type = NGX_HTTP_S2SAUTH_SOURCE_AUTHORIZATION;
            continue;
        }

        if (ngx_strcmp(arg.data, "macaroon") == 0) {
            src->type = NGX_HTTP_S2SAUTH_SOURCE_MACAROON;
            continue;
        }

        if (ngx_strcmp(arg.data, "bearer") == 0) {
            src->type = NGX_HTTP_S2SAUTH_SOURCE_BEARER;
            continue;
        }

        if (arg.len > sizeof("header:") - 1
            && ngx_strncmp(arg.data, "header:", sizeof("header:") - 1) == 0)
        {
            src->type = NGX_HTTP_S2SAUTH_SOURCE_HEADER;
            src->name.data = arg.data + sizeof("header:") - 1;
            src->name.len = arg.len - (sizeof("header:") - 1);
            continue;
        }

        if (arg.len > sizeof("cookie:") - 1
            && ngx_strncmp(arg.data, "cookie:", sizeof("cookie:") - 1) == 0)
        {
            src->type = NGX_HTTP_S2SAUTH_SOURCE_COOKIE;
            src->name.data = arg.data + sizeof("cookie:") - 1;
            src->name.len = arg.len - (sizeof("cookie:") - 1);
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid token source \"%V\", it must be "
                           "\"header:Authorization\", \"macaroon\", "
                           "\"bearer\", \"header:<name>\" or "
                           "\"cookie:<name>\"", &arg);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_s2sauth_realm(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_s2sauth_loc_conf_t *alcf = conf;

    u_char     *p;
    ngx_str_t  *value;

    if (alcf->realm.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    /* the realm is sent inside a quoted-string: keep it plain */
    for (p = value[1].data; p < value[1].data + value[1].len; p++) {
        if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid realm \"%V\": printable ASCII "
                               "without '\"' or '\\' only", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    alcf->realm = value[1];

    return NGX_CONF_OK;
}


static char *
ngx_http_s2sauth_identity_header(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_s2sauth_loc_conf_t *alcf = conf;

    u_char                     *p;
    ngx_str_t                  *value;
    ngx_uint_t                  i;
    ngx_http_s2sauth_header_t  *hdr;

    static ngx_str_t  reserved[] = {
        ngx_string("Host"),
        ngx_string("Authorization"),
        ngx_string("Cookie"),
        ngx_string("Content-Length"),
        ngx_string("Transfer-Encoding"),
    };

    value = cf->args->elts;

    for (p = value[1].data; p < value[1].data + value[1].len; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid header name \"%V\"", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    /*
     * Headers nginx itself interprets cannot carry an identity.  They are
     * compared the way client headers are dropped (case and '-'/'_' folded):
     * "Content_Length" would otherwise pass here and then remove the
     * client's Content-Length from the request.
     */
    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" cannot be an identity header", &value[1]);
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        if (ngx_http_s2sauth_header_name_eq(value[1].data, value[1].len,
                                            reserved[i].data, reserved[i].len))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" cannot be an identity header",
                               &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    if (alcf->headers == NGX_CONF_UNSET_PTR) {
        alcf->headers = ngx_array_create(cf->pool, 2,
                                         sizeof(ngx_http_s2sauth_header_t));
        if (alcf->headers == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    hdr = alcf->headers->elts;

    for (i = 0; i < alcf->headers->nelts; i++) {
        if (ngx_http_s2sauth_header_name_eq(hdr[i].name.data, hdr[i].name.len,
                                            value[1].data, value[1].len))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate identity header \"%V\"", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    hdr = ngx_array_push(alcf->headers);
    if (hdr == NULL) {
        return NGX_CONF_ERROR;
    }

    hdr->name = value[1];
    hdr->field = NGX_HTTP_S2SAUTH_FIELD_IDENTITY;

    if (cf->args->nelts == 3) {
        if (ngx_strcmp(value[2].data, "identity") == 0) {
            hdr->field = NGX_HTTP_S2SAUTH_FIELD_IDENTITY;

        } else if (ngx_strcmp(value[2].data, "token_id") == 0) {
            hdr->field = NGX_HTTP_S2SAUTH_FIELD_TOKEN_ID;

        } else if (ngx_strcmp(value[2].data, "spiffe_id") == 0) {
            hdr->field = NGX_HTTP_S2SAUTH_FIELD_SPIFFE_ID;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid identity field \"%V\", it must be "
                               "\"identity\", \"token_id\" or \"spiffe_id\"",
                               &value[2]);
            return NGX_CONF_ERROR;
        }
    }

    hdr->lowcase.len = value[1].len;
    hdr->lowcase.data = ngx_pnalloc(cf->pool, value[1].len);
    if (hdr->lowcase.data == NULL) {
        return NGX_CONF_ERROR;
    }

    hdr->hash = ngx_hash_strlow(hdr->lowcase.data, value[1].data,
                                value[1].len);

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_s2sauth_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_s2sauth_access_handler;

    /* handlers of a phase run last-registered first: this one runs before
     * try_files and mirror */
    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_s2sauth_subrequest_handler;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s2sauth_init_process(ngx_cycle_t *cycle)
{
    s2s_error  err;

    if (s2s_context_new(&ngx_http_s2sauth_context, &err) != S2S_OK
        || s2s_decision_new(&ngx_http_s2sauth_decision, &err) != S2S_OK)
    {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "s2sauth: %s (%s)", err.message, err.detail);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_s2sauth_exit_process(ngx_cycle_t *cycle)
{
    s2s_context_free(ngx_http_s2sauth_context);
    s2s_decision_free(ngx_http_s2sauth_decision);

    ngx_http_s2sauth_context = NULL;
    ngx_http_s2sauth_decision = NULL;
}
