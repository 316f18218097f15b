// MariaDB Connector/C (Debian libmariadb-dev 3.3); pkg-config adds -I/usr/include/mariadb.
#include <mysql.h>
#include <errmsg.h>
