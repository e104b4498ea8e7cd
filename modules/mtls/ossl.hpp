// ossl.hpp: RAII owners for the OpenSSL objects the mTLS module holds.
//
// Every OpenSSL object the module creates is owned by one of these, so an
// early return on any error path releases it; nothing is freed by hand.
#pragma once

#include <memory>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace s2s::mtls {

template <auto Free>
struct OsslDeleter {
    template <typename T>
    void operator()(T *p) const { Free(p); }
};

using X509Ptr = std::unique_ptr<X509, OsslDeleter<X509_free>>;
using X509CrlPtr = std::unique_ptr<X509_CRL, OsslDeleter<X509_CRL_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OsslDeleter<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OsslDeleter<X509_STORE_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, OsslDeleter<BIO_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OsslDeleter<GENERAL_NAMES_free>>;

struct X509StackDeleter {
    void operator()(STACK_OF(X509) *s) const { sk_X509_pop_free(s, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackDeleter>;

struct OpensslFree {
    void operator()(void *p) const { OPENSSL_free(p); }
};

}  // namespace s2s::mtls
