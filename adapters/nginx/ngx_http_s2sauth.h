
/*
 * ngx_http_s2sauth.h: what the files of the s2sauth nginx module share.
 *
 * The module is split by concern: ngx_http_s2sauth_module.c holds the
 * directives, configuration merging and the phase handlers;
 * ngx_http_s2sauth_token.c finds the credential in a request;
 * ngx_http_s2sauth_headers.c strips client-sent identity headers, sets the
 * verified ones and builds the WWW-Authenticate challenge;
 * ngx_http_s2sauth_peer.c turns the TLS client certificate chain into an
 * s2s_peer once per connection; ngx_http_s2sauth_grant.c keeps a verified
 * token per keep-alive connection.  Everything cryptographic happens in
 * libs2sauth, behind its C ABI.
 */


#ifndef _NGX_HTTP_S2SAUTH_H_INCLUDED_
#define _NGX_HTTP_S2SAUTH_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <s2sauth.h>


/* Longest header or cookie value taken as a credential (the core applies its
 * own, configurable, limit afterwards; this only bounds what we look at). */
#define NGX_HTTP_S2SAUTH_MAX_CREDENTIAL  (256 * 1024)

/* Longest client certificate chain passed to the core. */
#define NGX_HTTP_S2SAUTH_MAX_CHAIN       16


#define NGX_HTTP_S2SAUTH_CERT_OFF        0
#define NGX_HTTP_S2SAUTH_CERT_OPTIONAL   1
#define NGX_HTTP_S2SAUTH_CERT_REQUIRED   2


typedef enum {
    NGX_HTTP_S2SAUTH_SOURCE_AUTHORIZATION = 0, /* Macaroon or Bearer scheme */
    NGX_HTTP_S2SAUTH_SOURCE_MACAROON,          /* Authorization: Macaroon */
    NGX_HTTP_S2SAUTH_SOURCE_BEARER,            /* Authorization: Bearer */
    NGX_HTTP_S2SAUTH_SOURCE_HEADER,            /* a named header, whole value */
    NGX_HTTP_S2SAUTH_SOURCE_COOKIE             /* a named cookie */
} ngx_http_s2sauth_source_type_e;


typedef struct {
    ngx_http_s2sauth_source_type_e  type;
    ngx_str_t                       name;
} ngx_http_s2sauth_source_t;


typedef enum {
    NGX_HTTP_S2SAUTH_FIELD_IDENTITY = 0,
    NGX_HTTP_S2SAUTH_FIELD_TOKEN_ID,
    NGX_HTTP_S2SAUTH_FIELD_SPIFFE_ID
} ngx_http_s2sauth_field_e;


/* An identity header sent upstream: client-sent headers of the same name are
 * removed, the verified value (if any) is added. */
typedef struct {
    ngx_str_t                       name;
    ngx_str_t                       lowcase;
    ngx_uint_t                      hash;
    ngx_http_s2sauth_field_e        field;
} ngx_http_s2sauth_header_t;


/* What one verification decided; lives in the request pool. */
typedef struct {
    ngx_str_t                       identity;
    ngx_str_t                       token_id;
    ngx_str_t                       spiffe_id;
    ngx_str_t                       reason;
    s2s_outcome                     outcome;
    unsigned                        presented:1;  /* a credential was sent */
} ngx_http_s2sauth_ctx_t;


/*
 * The pool of the client's connection, where per-connection state (the peer
 * facts, the kept grant) lives until the connection closes.  An HTTP/2
 * request's r->connection is a per-stream stand-in: its client connection is
 * the one the stream belongs to.
 */
static ngx_inline ngx_pool_t *
ngx_http_s2sauth_connection_pool(ngx_http_request_t *r)
{
#if (NGX_HTTP_V2)
    if (r->stream) {
        return r->stream->connection->connection->pool;
    }
#endif

    return r->connection->pool;
}


/* Credential lookup: NGX_OK with `credential` set (possibly empty when a
 * scheme is present without a token), NGX_DECLINED when nothing is presented,
 * NGX_ERROR when the request is ambiguous (the same header twice). */
ngx_int_t ngx_http_s2sauth_find_credential(ngx_http_request_t *r,
    ngx_array_t *sources, ngx_str_t *credential);

/* Removes every client header named like one of `headers` (case-insensitive,
 * '-' and '_' alike), then adds the verified values from `ctx` (NULL: none). */
ngx_int_t ngx_http_s2sauth_set_headers(ngx_http_request_t *r,
    ngx_array_t *headers, ngx_http_s2sauth_ctx_t *ctx);

/* Adds the WWW-Authenticate challenge `value` to the response. */
ngx_int_t ngx_http_s2sauth_challenge(ngx_http_request_t *r, ngx_str_t *value);

/* Whether two header names are equal ignoring case, with '-' and '_' alike. */
ngx_uint_t ngx_http_s2sauth_header_name_eq(u_char *a, size_t alen, u_char *b,
    size_t blen);

/* s2s_verify(), or s2s_grant_check() when this connection already verified
 * the very same credential bytes. */
s2s_status ngx_http_s2sauth_verify_cached(ngx_http_request_t *r,
    s2s_verifier *verifier, s2s_context *ctx, ngx_str_t *credential,
    s2s_decision *d, s2s_error *err);

/* The peer facts of the client certificate, cached per connection; NULL with
 * *status NGX_DECLINED when there is no certificate (or no TLS).  *verified
 * is 1 only when nginx verified the chain for this very server. */
s2s_peer *ngx_http_s2sauth_peer(ngx_http_request_t *r, s2s_verifier *verifier,
    ngx_uint_t *verified, ngx_int_t *status);


#endif /* _NGX_HTTP_S2SAUTH_H_INCLUDED_ */
