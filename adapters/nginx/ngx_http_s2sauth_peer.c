
/*
 * ngx_http_s2sauth_peer.c: the TLS client certificate, as the core sees it.
 *
 * nginx terminates TLS and verifies the client chain itself
 * (ssl_verify_client); the module hands the DER chain and nginx's verdict to
 * libs2sauth, which derives the peer facts (SPIFFE ID, x5t#S256) once.  Those
 * facts do not change for the life of a connection, so the s2s_peer is kept
 * in the connection's pool, with a cleanup that frees it, and reused by every
 * request of a keep-alive connection.
 *
 * nginx's verdict counts only when it is about this server: the certificate
 * is present, SSL_get_verify_result() says X509_V_OK (which it also says when
 * no certificate was sent, hence the first check), this server asks for
 * client certificates, and the handshake ran with this server's SSL_CTX.  A
 * client that negotiates TLS with one server block (no SNI, or a session
 * resumed from a server that does not verify) and then sends a Host of
 * another never gets the other server's trust.
 */


#include "ngx_http_s2sauth.h"


#if (NGX_HTTP_SSL)

/* A connection that meets more verifiers than this gets no more cached
 * peers: its further peers live in the request pool. */
#define NGX_HTTP_S2SAUTH_MAX_CACHED_PEERS  4


typedef struct {
    s2s_verifier  *verifier;
    s2s_peer      *peer;
    ngx_uint_t     verified;
} ngx_http_s2sauth_peer_cache_t;


static void ngx_http_s2sauth_peer_cleanup(void *data);
static s2s_peer *ngx_http_s2sauth_peer_build(ngx_http_request_t *r,
    SSL *ssl, X509 *leaf, s2s_verifier *verifier, ngx_uint_t verified);


s2s_peer *
ngx_http_s2sauth_peer(ngx_http_request_t *r, s2s_verifier *verifier,
    ngx_uint_t *verified, ngx_int_t *status)
{
    SSL                            *ssl;
    X509                           *leaf;
    s2s_peer                       *peer;
    ngx_uint_t                      cached;
    ngx_pool_t                     *pool, *cpool;
    ngx_connection_t               *c;
    ngx_pool_cleanup_t             *cln;
    ngx_http_ssl_srv_conf_t        *sscf;
    ngx_http_s2sauth_peer_cache_t  *cache;

    *verified = 0;
    *status = NGX_DECLINED;

    c = r->connection;

    if (c->ssl == NULL) {
        return NULL;
    }

    ssl = c->ssl->connection;

    leaf = SSL_get_peer_certificate(ssl);
    if (leaf == NULL) {
        return NULL;
    }

    sscf = ngx_http_get_module_srv_conf(r, ngx_http_ssl_module);

    if (sscf->verify
        && SSL_get_SSL_CTX(ssl) == sscf->ssl.ctx
        && SSL_get_verify_result(ssl) == X509_V_OK)
    {
        *verified = 1;
    }

    cached = 0;
    cpool = ngx_http_s2sauth_connection_pool(r);

    for (cln = cpool->cleanup; cln; cln = cln->next) {

        if (cln->handler != ngx_http_s2sauth_peer_cleanup) {
            continue;
        }

        cache = cln->data;
        cached++;

        if (cache->verifier == verifier && cache->verified == *verified) {
            X509_free(leaf);
            *status = NGX_OK;
            return cache->peer;
        }
    }

    pool = (cached < NGX_HTTP_S2SAUTH_MAX_CACHED_PEERS) ? cpool : r->pool;

    cln = ngx_pool_cleanup_add(pool, sizeof(ngx_http_s2sauth_peer_cache_t));
    if (cln == NULL) {
        X509_free(leaf);
        *status = NGX_ERROR;
        return NULL;
    }

    cache = cln->data;
    cache->verifier = verifier;
    cache->verified = *verified;
    cache->peer = NULL;
    cln->handler = ngx_http_s2sauth_peer_cleanup;

    peer = ngx_http_s2sauth_peer_build(r, ssl, leaf, verifier, *verified);

    X509_free(leaf);

    if (peer == NULL) {
        /* nothing cached: the next request tries again and fails the same */
        cln->handler = NULL;
        *status = NGX_ERROR;
        return NULL;
    }

    cache->peer = peer;
    *status = NGX_OK;

    return peer;
}


static s2s_peer *
ngx_http_s2sauth_peer_build(ngx_http_request_t *r, SSL *ssl, X509 *leaf,
    s2s_verifier *verifier, ngx_uint_t verified)
{
    int                   len, i, n;
    X509                 *cert;
    size_t                lens[NGX_HTTP_S2SAUTH_MAX_CHAIN];
    u_char               *der[NGX_HTTP_S2SAUTH_MAX_CHAIN], *p;
    s2s_peer             *peer;
    s2s_error             err;
    ngx_uint_t            count;
    STACK_OF(X509)       *chain;

    /* on the server side the peer chain does not include the leaf */
    chain = SSL_get_peer_cert_chain(ssl);
    n = chain ? sk_X509_num(chain) : 0;

    count = 0;
    cert = leaf;

    for (i = -1; i < n; i++) {

        if (i >= 0) {
            cert = sk_X509_value(chain, i);

            if (X509_cmp(cert, leaf) == 0) {
                continue;
            }
        }

        if (count == NGX_HTTP_S2SAUTH_MAX_CHAIN) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "s2sauth: client certificate chain longer than %d",
                          NGX_HTTP_S2SAUTH_MAX_CHAIN);
            return NULL;
        }

        len = i2d_X509(cert, NULL);
        if (len <= 0) {
            return NULL;
        }

        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            return NULL;
        }

        der[count] = p;
        lens[count] = len;

        if (i2d_X509(cert, &p) != len) {
            return NULL;
        }

        count++;
    }

    peer = NULL;

    if (s2s_peer_new(verifier, (const unsigned char *const *) der, lens,
                     count, verified ? 1 : 0, &peer, &err)
        != S2S_OK)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s2sauth: client certificate refused: %s (%s)",
                      err.message, err.detail);
        return NULL;
    }

    return peer;
}


static void
ngx_http_s2sauth_peer_cleanup(void *data)
{
    ngx_http_s2sauth_peer_cache_t  *cache = data;

    s2s_peer_free(cache->peer);
}


#else /* !(NGX_HTTP_SSL) */


s2s_peer *
ngx_http_s2sauth_peer(ngx_http_request_t *r, s2s_verifier *verifier,
    ngx_uint_t *verified, ngx_int_t *status)
{
    *verified = 0;
    *status = NGX_DECLINED;

    return NULL;
}

#endif
