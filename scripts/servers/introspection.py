"""OAuth 2.0 token introspection (RFC 7662) and revocation (RFC 7009) test server.

Authlib + Flask, served by werkzeug's threaded WSGI server on 127.0.0.1 only. Started by
scripts/servers/introspection.sh (scripts/servers.sh start introspection):

    python3 introspection.py --port P --state DIR

At start it registers one confidential client (random id and secret) and issues three access
tokens through its own token endpoint (client_credentials grant): one stays active, one is revoked
through the revocation endpoint, one is aged past its lifetime (expired). It then writes
DIR/introspection.json (client + tokens, mode 0600) and serves:

    POST /token       client_credentials grant (HTTP Basic client authentication)
    POST /introspect  RFC 7662 (HTTP Basic client authentication); unknown, revoked or expired
                      tokens -> {"active": false}
    POST /revoke      RFC 7009
    GET  /health      200 "ok"
"""
import argparse
import json
import os
import secrets
import sys
import threading
import time

# Loopback HTTP only: Authlib refuses plain http unless told otherwise.
os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"

from authlib.integrations.flask_oauth2 import AuthorizationServer  # noqa: E402
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants  # noqa: E402
from authlib.oauth2.rfc7009 import RevocationEndpoint  # noqa: E402
from authlib.oauth2.rfc7662 import IntrospectionEndpoint  # noqa: E402
from flask import Flask  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

TOKEN_LIFETIME = 3600


class Client(ClientMixin):
    def __init__(self, client_id, client_secret):
        self.client_id = client_id
        self.client_secret = client_secret

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        allowed = {"read", "write"}
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method == "client_secret_basic"

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type == "client_credentials"


class Token(TokenMixin):
    def __init__(self, client_id, access_token, scope, issued_at, expires_in):
        self.client_id = client_id
        self.access_token = access_token
        self.scope = scope
        self.issued_at = issued_at
        self.expires_in = expires_in
        self.revoked = False

    def check_client(self, client):
        return client.get_client_id() == self.client_id

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return self.expires_in

    def is_expired(self):
        return self.issued_at + self.expires_in < time.time()

    def is_revoked(self):
        return self.revoked


class Store:
    def __init__(self):
        self.lock = threading.Lock()
        self.clients = {}
        self.tokens = {}

    def client(self, client_id):
        with self.lock:
            return self.clients.get(client_id)

    def token(self, value):
        with self.lock:
            return self.tokens.get(value)

    def save(self, token_data, request):
        token = Token(request.client.get_client_id(), token_data["access_token"],
                      token_data.get("scope", ""), int(time.time()),
                      int(token_data.get("expires_in", TOKEN_LIFETIME)))
        with self.lock:
            self.tokens[token.access_token] = token


def build_app(store):
    app = Flask("revenant-introspection")
    # Must be set before the AuthorizationServer reads the config.
    app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"client_credentials": TOKEN_LIFETIME}
    server = AuthorizationServer(app, query_client=store.client, save_token=store.save)
    server.register_grant(grants.ClientCredentialsGrant)

    class Introspect(IntrospectionEndpoint):
        def query_token(self, token_string, token_type_hint):
            if token_type_hint not in (None, "access_token"):
                return None
            return store.token(token_string)

        def check_permission(self, token, client, request):
            # Any registered client may introspect (it plays the protected resource).
            return True

        def introspect_token(self, token):
            return {
                "active": True,
                "client_id": token.client_id,
                "token_type": "Bearer",
                "scope": token.scope,
                "iat": token.issued_at,
                "exp": token.issued_at + token.expires_in,
            }

    class Revoke(RevocationEndpoint):
        def query_token(self, token_string, token_type_hint):
            return store.token(token_string)

        def revoke_token(self, token, request):
            with store.lock:
                token.revoked = True

    server.register_endpoint(Introspect)
    server.register_endpoint(Revoke)

    @app.post("/token")
    def token():
        return server.create_token_response()

    @app.post("/introspect")
    def introspect():
        return server.create_endpoint_response(Introspect.ENDPOINT_NAME)

    @app.post("/revoke")
    def revoke():
        return server.create_endpoint_response(Revoke.ENDPOINT_NAME)

    @app.get("/health")
    def health():
        return "ok\n"

    return app


def issue_tokens(app, store, client):
    """Issue through the app's own endpoints: active, revoked (RFC 7009), expired (aged)."""
    import base64
    basic = "Basic " + base64.b64encode(
        f"{client.client_id}:{client.client_secret}".encode()).decode()
    http = app.test_client()
    issued = []
    for _ in range(3):
        r = http.post("/token", data={"grant_type": "client_credentials", "scope": "read"},
                      headers={"Authorization": basic})
        if r.status_code != 200:
            raise SystemExit(f"introspection: token endpoint said {r.status_code}: {r.data!r}")
        issued.append(r.get_json()["access_token"])
    active, revoked, expired = issued
    r = http.post("/revoke", data={"token": revoked}, headers={"Authorization": basic})
    if r.status_code != 200:
        raise SystemExit(f"introspection: revocation endpoint said {r.status_code}: {r.data!r}")
    with store.lock:
        store.tokens[expired].issued_at -= 2 * TOKEN_LIFETIME
    for value, want in ((active, True), (revoked, False), (expired, False)):
        r = http.post("/introspect", data={"token": value}, headers={"Authorization": basic})
        got = r.get_json().get("active")
        if got is not want:
            raise SystemExit(f"introspection: self-check failed ({got!r} != {want!r})")
    return active, revoked, expired


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--state", required=True, help="directory for introspection.json")
    args = ap.parse_args()

    store = Store()
    client = Client("rs-" + secrets.token_hex(8), secrets.token_urlsafe(32))
    store.clients[client.client_id] = client
    app = build_app(store)
    active, revoked, expired = issue_tokens(app, store, client)

    # Bind first (fails loudly when the port is taken), then publish the state file.
    httpd = make_server("127.0.0.1", args.port, app, threaded=True)
    httpd.daemon_threads = True
    path = os.path.join(args.state, "introspection.json")
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"client_id": client.client_id, "client_secret": client.client_secret,
                   "token_active": active, "token_revoked": revoked,
                   "token_expired": expired, "port": httpd.server_port}, f)
    os.replace(tmp, path)
    print(f"introspection: serving on 127.0.0.1:{httpd.server_port}", file=sys.stderr, flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
