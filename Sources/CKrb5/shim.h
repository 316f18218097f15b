// MIT Kerberos (Debian libkrb5-dev 1.20); pkg-config krb5 adds -I/usr/include/mit-krb5.
// krb5.h: the context, principals and the initial-credentials step API (revenant carries the
// KDC messages itself); profile.h: profile_init_vtable, a configuration held in memory, so
// libkrb5 never reads /etc/krb5.conf.
#include <krb5/krb5.h>
#include <profile.h>
