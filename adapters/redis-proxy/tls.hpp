// tls.hpp: TLS on the listener, with client certificates for the core.
//
// The proxy terminates TLS itself (OpenSSL 3) so that the client's certificate
// chain reaches the core: the SSL_CTX is set up by
// s2s_verifier_configure_ssl_ctx (trust bundle, CRLs, depth, whether a
// certificate is required), and after the handshake the chain becomes an
// s2s_peer that every check of the connection sees (cert.sha256, spiffe.id
// caveats and the allowlists).
#pragma once

#include <openssl/ssl.h>

#include <string>

#include "proxy_config.hpp"
#include "s2sauth.h"

namespace s2s_redis {

// NULL with `error` set on failure.  The key file must not be readable by others.
SSL_CTX *tls_server_ctx(const ProxyConfig &cfg, const s2s_verifier *v, std::string &error);

// The peer facts of an established connection; NULL when the client sent no
// certificate (or on error, with `error` set).
s2s_peer *tls_peer(const s2s_verifier *v, SSL *ssl, std::string &error);

}  // namespace s2s_redis
