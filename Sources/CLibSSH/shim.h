// libssh (Debian libssh-dev 0.10): its API is plain functions and enums, so the module needs
// only the header; no wrappers.
#include <libssh/libssh.h>
