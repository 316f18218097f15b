// SQLite 3 (Debian libsqlite3-dev): the history store's embedded database.
#include <sqlite3.h>
