
/*
 * ngx_http_s2sauth_headers.c: the headers the module reads and writes.
 *
 * Identity headers are what an upstream trusts, so a client must never be
 * able to supply one: every client header whose name matches a configured
 * identity header is removed before the verified value is added.  Names are
 * matched ignoring case and treating '-' and '_' alike, because many
 * upstreams (CGI, FastCGI, WSGI, Rack) fold both to the same variable and
 * nginx passes "X_Identity" through when underscores_in_headers is on.
 *
 * nginx has no way to delete an element of an ngx_list_t, so when a client
 * sent such a header the request's header list is rebuilt without it; the
 * cached pointers of headers_in (host, authorization, ...) keep pointing at
 * the old elements, which stay valid in the request pool.
 */


#include "ngx_http_s2sauth.h"


static ngx_uint_t ngx_http_s2sauth_is_identity_header(ngx_array_t *headers,
    ngx_table_elt_t *h);
static ngx_int_t ngx_http_s2sauth_drop_headers(ngx_http_request_t *r,
    ngx_array_t *headers);
static ngx_str_t *ngx_http_s2sauth_field(ngx_http_s2sauth_ctx_t *ctx,
    ngx_http_s2sauth_field_e field);


ngx_uint_t
ngx_http_s2sauth_header_name_eq(u_char *a, size_t alen, u_char *b, size_t blen)
{
    u_char  ca, cb;

    if (alen != blen) {
        return 0;
    }

    while (alen--) {
        ca = ngx_tolower(*a);
        cb = ngx_tolower(*b);

        if (ca == '_') {
            ca = '-';
        }

        if (cb == '_') {
            cb = '-';
        }

        if (ca != cb) {
            return 0;
        }

        a++;
        b++;
    }

    return 1;
}


ngx_int_t
ngx_http_s2sauth_set_headers(ngx_http_request_t *r, ngx_array_t *headers,
    ngx_http_s2sauth_ctx_t *ctx)
{
    ngx_str_t                  *value;
    ngx_uint_t                  i, found;
    ngx_list_part_t            *part;
    ngx_table_elt_t            *h;
    ngx_http_s2sauth_header_t  *hdr;

    found = 0;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (ngx_http_s2sauth_is_identity_header(headers, &h[i])) {
            found = 1;
            break;
        }
    }

    /*
     * A subrequest's header list is a shallow copy of its parent's: pushing
     * to it would write into the parent's parts, so it always gets its own.
     */
    if ((found || r != r->main)
        && ngx_http_s2sauth_drop_headers(r, headers) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ctx == NULL || ctx->outcome != S2S_ALLOW) {
        return NGX_OK;
    }

    hdr = headers->elts;

    for (i = 0; i < headers->nelts; i++) {

        value = ngx_http_s2sauth_field(ctx, hdr[i].field);

        if (value->len == 0) {
            continue;
        }

        h = ngx_list_push(&r->headers_in.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->key = hdr[i].name;
        h->lowcase_key = hdr[i].lowcase.data;
        h->hash = hdr[i].hash;
        h->value = *value;
#if (nginx_version >= 1023000)
        h->next = NULL;
#endif
    }

    return NGX_OK;
}


static ngx_uint_t
ngx_http_s2sauth_is_identity_header(ngx_array_t *headers, ngx_table_elt_t *h)
{
    ngx_uint_t                  i;
    ngx_http_s2sauth_header_t  *hdr;

    hdr = headers->elts;

    for (i = 0; i < headers->nelts; i++) {
        if (ngx_http_s2sauth_header_name_eq(h->key.data, h->key.len,
                                            hdr[i].name.data,
                                            hdr[i].name.len))
        {
            return 1;
        }
    }

    return 0;
}


static ngx_int_t
ngx_http_s2sauth_drop_headers(ngx_http_request_t *r, ngx_array_t *headers)
{
    ngx_uint_t        i, n;
    ngx_list_t        old;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *copy;

    /*
     * The list is re-initialized in place (its "last" points into the
     * structure itself); the copy keeps the old parts reachable.
     */
    old = r->headers_in.headers;

    n = 0;

    for (part = &old.part; part; part = part->next) {
        n += part->nelts;
    }

    if (ngx_list_init(&r->headers_in.headers, r->pool, n + headers->nelts,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    part = &old.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (ngx_http_s2sauth_is_identity_header(headers, &h[i])) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "s2sauth: removed client header \"%V\"", &h[i].key);
            continue;
        }

        copy = ngx_list_push(&r->headers_in.headers);
        if (copy == NULL) {
            return NGX_ERROR;
        }

        *copy = h[i];
    }

    return NGX_OK;
}


static ngx_str_t *
ngx_http_s2sauth_field(ngx_http_s2sauth_ctx_t *ctx,
    ngx_http_s2sauth_field_e field)
{
    switch (field) {

    case NGX_HTTP_S2SAUTH_FIELD_TOKEN_ID:
        return &ctx->token_id;

    case NGX_HTTP_S2SAUTH_FIELD_SPIFFE_ID:
        return &ctx->spiffe_id;

    default:
        return &ctx->identity;
    }
}


ngx_int_t
ngx_http_s2sauth_challenge(ngx_http_request_t *r, ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "WWW-Authenticate");
    h->value = *value;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    r->headers_out.www_authenticate = h;

    return NGX_OK;
}
