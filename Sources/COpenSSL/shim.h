// Adapters for what Swift cannot call directly: OpenSSL macros.
#ifndef REVENANT_COPENSSL_SHIM_H
#define REVENANT_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/ocsp.h>
#include <openssl/ts.h>

// BIO_get_mem_data is a macro over BIO_ctrl.
static inline long revenant_BIO_get_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }

// OPENSSL_free is a macro that adds file and line.
static inline void revenant_OPENSSL_free(void *p) { OPENSSL_free(p); }

// XN_FLAG_RFC2253 is an OR of several macros, which Swift does not import.
static inline unsigned long revenant_XN_FLAG_RFC2253(void) { return XN_FLAG_RFC2253; }

// sk_X509_pop_free is a macro; X509_free's type does not convert to OPENSSL_sk_freefunc in Swift.
static inline void revenant_sk_X509_pop_free(STACK_OF(X509) *stack) { sk_X509_pop_free(stack, X509_free); }

#endif

/* JWT (jwt branch) */
// Kept after the main include guard, in one block, so that other additions above merge cleanly.
#ifndef REVENANT_COPENSSL_JWT_H
#define REVENANT_COPENSSL_JWT_H
#include <openssl/param_build.h>
#include <openssl/core_names.h>
#include <openssl/rsa.h>

// EVP_PKEY_PUBLIC_KEY is an OR of two macros, which Swift does not import (EVP_PKEY_fromdata's selection).
static inline int revenant_EVP_PKEY_PUBLIC_KEY(void) { return EVP_PKEY_PUBLIC_KEY; }
#endif

/* AIA caIssuers (certgaps branch) */
#ifndef REVENANT_COPENSSL_P7_H
#define REVENANT_COPENSSL_P7_H
#include <openssl/pkcs7.h>
// The certificates of a PKCS#7 SignedData (a certs-only ".p7c", RFC 5280 §4.2.2.1), borrowed from
// `p7`; NULL for any other content type. The union and PKCS7_type_is_signed are not importable.
static inline STACK_OF(X509) *revenant_PKCS7_certificates(PKCS7 *p7) {
    if (p7 == NULL || !PKCS7_type_is_signed(p7) || p7->d.sign == NULL) return NULL;
    return p7->d.sign->cert;
}
#endif
