// libpq (Debian libpq-dev 15); pkg-config adds -I/usr/include/postgresql.
#include <libpq-fe.h>
