// tls.cpp: the server SSL_CTX and the client chain as an s2s_peer.
#include "tls.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <memory>
#include <vector>

namespace s2s_redis {
namespace {

std::string openssl_error() {
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0) return "unknown OpenSSL error";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}

}  // namespace

SSL_CTX *tls_server_ctx(const ProxyConfig &cfg, const s2s_verifier *v, std::string &error) {
    struct stat st;
    if (stat(cfg.tls_key_file.c_str(), &st) != 0) {
        error = cfg.tls_key_file + ": cannot read the TLS key file";
        return nullptr;
    }
    if (st.st_mode & (S_IRWXO | S_IWGRP)) {
        error = cfg.tls_key_file + ": the TLS key file is readable by others or writable by group; "
                                   "run chmod 600 on it";
        return nullptr;
    }
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
    if (!ctx) {
        error = "cannot create the TLS context: " + openssl_error();
        return nullptr;
    }
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    // Writes resume from a buffer that may have moved and may be partial.
    SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                    SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), cfg.tls_cert_file.c_str()) != 1) {
        error = cfg.tls_cert_file + ": cannot load the TLS certificate chain: " + openssl_error();
        return nullptr;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), cfg.tls_key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx.get()) != 1) {
        error = cfg.tls_key_file + ": cannot load the TLS key, or it does not match the certificate: " +
                openssl_error();
        return nullptr;
    }
    s2s_error err{};
    if (s2s_verifier_configure_ssl_ctx(v, ctx.get(), &err) != S2S_OK) {
        error = std::string("client certificate policy: ") + err.message +
                (err.detail[0] ? std::string(" (") + err.detail + ")" : "") +
                (err.hint[0] ? std::string("; hint: ") + err.hint : "");
        return nullptr;
    }
    return ctx.release();
}

s2s_peer *tls_peer(const s2s_verifier *v, SSL *ssl, std::string &error) {
    X509 *leaf = SSL_get0_peer_certificate(ssl);
    if (leaf == nullptr) return nullptr;
    std::vector<std::vector<unsigned char>> ders;
    auto add = [&](X509 *cert) {
        int len = i2d_X509(cert, nullptr);
        if (len <= 0) return false;
        std::vector<unsigned char> der(static_cast<size_t>(len));
        unsigned char *p = der.data();
        if (i2d_X509(cert, &p) != len) return false;
        ders.push_back(std::move(der));
        return true;
    };
    if (!add(leaf)) {
        error = "cannot encode the client certificate";
        return nullptr;
    }
    // On a server, the peer chain does not include the leaf.
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
    for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
        X509 *cert = sk_X509_value(chain, i);
        if (X509_cmp(cert, leaf) == 0) continue;
        if (!add(cert)) {
            error = "cannot encode a client chain certificate";
            return nullptr;
        }
    }
    std::vector<const unsigned char *> ptrs;
    std::vector<size_t> lens;
    for (const auto &d : ders) {
        ptrs.push_back(d.data());
        lens.push_back(d.size());
    }
    int verified = SSL_get_verify_result(ssl) == X509_V_OK ? 1 : 0;
    s2s_peer *peer = nullptr;
    s2s_error err{};
    if (s2s_peer_new(v, ptrs.data(), lens.data(), ptrs.size(), verified, &peer, &err) != S2S_OK) {
        error = std::string("client certificate: ") + err.message;
        return nullptr;
    }
    return peer;
}

}  // namespace s2s_redis
