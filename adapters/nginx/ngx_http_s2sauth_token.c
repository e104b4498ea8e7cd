
/*
 * ngx_http_s2sauth_token.c: where a request carries its credential.
 *
 * A location lists one or more sources (s2sauth_token_source); the first one
 * that is present wins.  "Present" is decided strictly so that nothing is
 * guessed: an Authorization header in another scheme (Basic, say) is not our
 * credential and is left to other access modules (satisfy any), while our
 * scheme with an empty token, or a named header sent twice, is a credential
 * that fails.  The token itself is never logged.
 */


#include "ngx_http_s2sauth.h"


static ngx_int_t ngx_http_s2sauth_from_authorization(ngx_http_request_t *r,
    ngx_http_s2sauth_source_type_e type, ngx_str_t *credential);
static ngx_int_t ngx_http_s2sauth_from_header(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *credential);
static ngx_int_t ngx_http_s2sauth_from_cookie(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *credential);
static void ngx_http_s2sauth_trim(ngx_str_t *s);


ngx_int_t
ngx_http_s2sauth_find_credential(ngx_http_request_t *r, ngx_array_t *sources,
    ngx_str_t *credential)
{
    ngx_int_t                   rc;
    ngx_uint_t                  i;
    ngx_http_s2sauth_source_t  *src;

    src = sources->elts;

    for (i = 0; i < sources->nelts; i++) {

        switch (src[i].type) {

        case NGX_HTTP_S2SAUTH_SOURCE_HEADER:
            rc = ngx_http_s2sauth_from_header(r, &src[i].name, credential);
            break;

        case NGX_HTTP_S2SAUTH_SOURCE_COOKIE:
            rc = ngx_http_s2sauth_from_cookie(r, &src[i].name, credential);
            break;

        default:
            rc = ngx_http_s2sauth_from_authorization(r, src[i].type,
                                                     credential);
        }

        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_s2sauth_from_authorization(ngx_http_request_t *r,
    ngx_http_s2sauth_source_type_e type, ngx_str_t *credential)
{
    u_char     *p, *last;
    ngx_str_t   scheme;

    if (r->headers_in.authorization == NULL) {
        return NGX_DECLINED;
    }

    p = r->headers_in.authorization->value.data;
    last = p + r->headers_in.authorization->value.len;

    scheme.data = p;

    while (p < last && *p != ' ' && *p != '\t') {
        p++;
    }

    scheme.len = p - scheme.data;

    if (!((scheme.len == sizeof("Macaroon") - 1
           && type != NGX_HTTP_S2SAUTH_SOURCE_BEARER
           && ngx_strncasecmp(scheme.data, (u_char *) "Macaroon",
                              scheme.len) == 0)
          || (scheme.len == sizeof("Bearer") - 1
              && type != NGX_HTTP_S2SAUTH_SOURCE_MACAROON
              && ngx_strncasecmp(scheme.data, (u_char *) "Bearer",
                                 scheme.len) == 0)))
    {
        /* another scheme (or an empty header): not ours */
        return NGX_DECLINED;
    }

    credential->data = p;
    credential->len = last - p;
    ngx_http_s2sauth_trim(credential);

    return NGX_OK;
}


static ngx_int_t
ngx_http_s2sauth_from_header(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *credential)
{
    ngx_uint_t        i, found;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

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

        if (h[i].key.len != name->len
            || ngx_strncasecmp(h[i].key.data, name->data, name->len) != 0)
        {
            continue;
        }

        if (found) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "s2sauth: client sent \"%V\" more than once",
                          name);
            return NGX_ERROR;
        }

        found = 1;
        *credential = h[i].value;
    }

    if (!found) {
        return NGX_DECLINED;
    }

    ngx_http_s2sauth_trim(credential);

    return NGX_OK;
}


static ngx_int_t
ngx_http_s2sauth_from_cookie(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *credential)
{
    ngx_str_t  value;

    if (ngx_http_parse_multi_header_lines(&r->headers_in.cookies, name,
                                          &value)
        == NGX_DECLINED)
    {
        return NGX_DECLINED;
    }

    *credential = value;
    ngx_http_s2sauth_trim(credential);

    return NGX_OK;
}


static void
ngx_http_s2sauth_trim(ngx_str_t *s)
{
    while (s->len && (s->data[0] == ' ' || s->data[0] == '\t')) {
        s->data++;
        s->len--;
    }

    while (s->len
           && (s->data[s->len - 1] == ' ' || s->data[s->len - 1] == '\t'))
    {
        s->len--;
    }
}
