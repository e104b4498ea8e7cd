
/*
 * ngx_http_s2sauth_grant.c: one verified credential kept per connection.
 *
 * A keep-alive client sends the same token with every request.  Parsing it
 * and recomputing its HMAC chain each time would cost more than nginx spends
 * serving a small file, so the first allowed request on a connection keeps
 * the core's grant (s2s_authenticate), and later requests presenting the very
 * same bytes are judged with s2s_grant_check: every caveat, the expiry, the
 * revocation list and the presence of the key are evaluated again against
 * the new request, only the parsing and the signature are not redone, which
 * is sound because the bytes are identical.  Any other credential is verified
 * in full and, if allowed, replaces the kept one.
 *
 * The kept token is a copy in memory of its own (not the connection pool, so
 * a client rotating tokens on one connection does not grow the pool), freed
 * with the grant by a cleanup of the connection's pool.
 */


#include "ngx_http_s2sauth.h"


/* Tokens longer than this are verified in full every time. */
#define NGX_HTTP_S2SAUTH_GRANT_MAX_TOKEN  8192

/* A connection that meets more verifiers than this keeps no more grants. */
#define NGX_HTTP_S2SAUTH_MAX_GRANTS       4


typedef struct {
    s2s_verifier  *verifier;
    s2s_grant     *grant;
    u_char        *token;
    size_t         len;
} ngx_http_s2sauth_grant_cache_t;


static void ngx_http_s2sauth_grant_cleanup(void *data);
static ngx_http_s2sauth_grant_cache_t *ngx_http_s2sauth_grant_cache(
    ngx_http_request_t *r, s2s_verifier *verifier);


s2s_status
ngx_http_s2sauth_verify_cached(ngx_http_request_t *r, s2s_verifier *verifier,
    s2s_context *ctx, ngx_str_t *credential, s2s_decision *d, s2s_error *err)
{
    u_char                          *copy;
    s2s_grant                       *grant;
    s2s_status                       st;
    ngx_http_s2sauth_grant_cache_t  *cache;

    if (credential->len == 0
        || credential->len > NGX_HTTP_S2SAUTH_GRANT_MAX_TOKEN)
    {
        return s2s_verify(verifier, ctx, (const char *) credential->data,
                          credential->len, d, err);
    }

    cache = ngx_http_s2sauth_grant_cache(r, verifier);

    if (cache == NULL) {
        return s2s_verify(verifier, ctx, (const char *) credential->data,
                          credential->len, d, err);
    }

    if (cache->grant
        && cache->len == credential->len
        && ngx_memcmp(cache->token, credential->data, credential->len) == 0)
    {
        return s2s_grant_check(verifier, cache->grant, ctx, d, err);
    }

    grant = NULL;

    st = s2s_authenticate(verifier, ctx, (const char *) credential->data,
                          credential->len, d, &grant, err);

    if (st != S2S_OK || grant == NULL) {
        return st;
    }

    copy = ngx_alloc(credential->len, r->connection->log);
    if (copy == NULL) {
        /* the decision stands; only the grant is not kept */
        s2s_grant_free(grant);
        return S2S_OK;
    }

    ngx_memcpy(copy, credential->data, credential->len);

    s2s_grant_free(cache->grant);

    if (cache->token) {
        ngx_explicit_memzero(cache->token, cache->len);
        ngx_free(cache->token);
    }

    cache->grant = grant;
    cache->token = copy;
    cache->len = credential->len;

    return S2S_OK;
}


static ngx_http_s2sauth_grant_cache_t *
ngx_http_s2sauth_grant_cache(ngx_http_request_t *r, s2s_verifier *verifier)
{
    ngx_uint_t                       n;
    ngx_pool_t                      *cpool;
    ngx_pool_cleanup_t              *cln;
    ngx_http_s2sauth_grant_cache_t  *cache;

    n = 0;
    cpool = ngx_http_s2sauth_connection_pool(r);

    for (cln = cpool->cleanup; cln; cln = cln->next) {

        if (cln->handler != ngx_http_s2sauth_grant_cleanup) {
            continue;
        }

        cache = cln->data;

        if (cache->verifier == verifier) {
            return cache;
        }

        n++;
    }

    if (n >= NGX_HTTP_S2SAUTH_MAX_GRANTS) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(cpool, sizeof(ngx_http_s2sauth_grant_cache_t));
    if (cln == NULL) {
        return NULL;
    }

    cache = cln->data;
    ngx_memzero(cache, sizeof(ngx_http_s2sauth_grant_cache_t));
    cache->verifier = verifier;
    cln->handler = ngx_http_s2sauth_grant_cleanup;

    return cache;
}


static void
ngx_http_s2sauth_grant_cleanup(void *data)
{
    ngx_http_s2sauth_grant_cache_t  *cache = data;

    s2s_grant_free(cache->grant);

    if (cache->token) {
        ngx_explicit_memzero(cache->token, cache->len);
        ngx_free(cache->token);
    }
}
