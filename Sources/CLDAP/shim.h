// OpenLDAP's client library (Debian libldap-dev 2.5): a simple bind that keeps the server's
// diagnostic message, which libcurl's LDAP support drops.
#include <ldap.h>
#include <lber.h>

// A handle over a socket the caller has connected (documented in ldap_open(3); exported by
// libldap, declared only in its private ldap_pvt.h). revenant connects itself, so the connection
// has a deadline, and can shut the socket down when a TLS handshake or an answer never comes:
// libldap's own network timeout does not bound a handshake with a silent server.
int ldap_init_fd(ber_socket_t fd, int proto, const char *url, LDAP **ldp);
#define RV_LDAP_PROTO_TCP 1
