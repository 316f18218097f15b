// Adapters for what Swift cannot call directly: OpenSSL macros.
#ifndef REVENANT_COPENSSL_SHIM_H
#define REVENANT_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#endif
