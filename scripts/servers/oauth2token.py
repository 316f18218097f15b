"""OAuth 2.0 token endpoint test server: client credentials (RFC 6749 §4.4) and JWT bearer
assertions signed by service-account keys (RFC 7523 §2.1, as Google's token endpoint takes them).

Authlib + Flask, served by werkzeug's threaded WSGI server on 127.0.0.1 only. Started by
scripts/servers/oauth2token.sh (scripts/servers.sh start oauth2token):

    python3 oauth2token.py --port P --state DIR

At start it makes, with fresh random values:
  - client `live` (its secret works) and client `rotated` (its old secret was replaced: only the
    new one works); both authenticate with client_secret_basic or client_secret_post;
  - service account `sa-…@revenant-test.iam.gserviceaccount.com` with two RSA keys, written as
    Google key files (DIR/sa_live.json, DIR/sa_deleted.json, mode 0600, `token_uri` this server);
    the second key is used once, then deleted (the server no longer knows its kid or its key).
It checks each through its own endpoint, then writes DIR/oauth2token.json (mode 0600) and serves:

    POST /token                   both grants; a token answer carries `canary` (never to be echoed)
    POST /broken/500/token        500 with a JSON error body
    POST /broken/garbage/token    200 with a body that is not JSON
    GET  /health                  200 "ok"
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
from authlib.oauth2.rfc6749 import ClientMixin, grants  # noqa: E402
from authlib.oauth2.rfc7523 import JWTBearerGrant  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from flask import Flask, Response  # noqa: E402
from joserfc.jwk import KeySet, RSAKey  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

TOKEN_LIFETIME = 3600
JWT_GRANT = JWTBearerGrant.GRANT_TYPE


class Client(ClientMixin):
    """A confidential client (secret) or a service account (public keys by kid)."""

    def __init__(self, client_id, secret=None, keys=None):
        self.client_id = client_id
        self.secret = secret
        self.keys = keys  # kid -> public PEM; None for a secret client

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        return scope or ""

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        return self.secret is not None and secrets.compare_digest(self.secret, client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return self.secret is not None and method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type == (JWT_GRANT if self.keys is not None else "client_credentials")


class Store:
    def __init__(self):
        self.lock = threading.Lock()
        self.clients = {}

    def client(self, client_id):
        with self.lock:
            return self.clients.get(client_id)


def build_app(store, token_url, canary):
    app = Flask("revenant-oauth2token")
    # Must be set before the AuthorizationServer reads the config.
    app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"client_credentials": TOKEN_LIFETIME, JWT_GRANT: TOKEN_LIFETIME}
    server = AuthorizationServer(app, query_client=store.client, save_token=lambda token, request: None)

    class ClientCredentials(grants.ClientCredentialsGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    class ServiceAccountGrant(JWTBearerGrant):
        def resolve_issuer_client(self, issuer):
            client = store.client(issuer)
            return client if client is not None and client.keys is not None else None

        def resolve_client_public_key(self, client):
            with store.lock:
                keys = [RSAKey.import_key(pem, {"kid": kid, "alg": "RS256", "use": "sig"}) for kid, pem in client.keys.items()]
            return KeySet(keys)

        def authenticate_user(self, subject):
            # Google: `sub` is the account itself (no domain-wide delegation here).
            return store.client(subject)

        def has_granted_permission(self, client, user):
            return client is user

        def get_audiences(self):
            return [token_url]

    server.register_grant(ClientCredentials)
    server.register_grant(ServiceAccountGrant)

    @app.post("/token")
    def token():
        response = server.create_token_response()
        if response.status_code == 200:
            body = json.loads(response.get_data())
            body["canary"] = canary
            response.set_data(json.dumps(body))
        return response

    @app.post("/broken/500/token")
    def broken_500():
        return Response(json.dumps({"error": "server_error", "canary": canary}), status=500, mimetype="application/json")

    @app.post("/broken/garbage/token")
    def broken_garbage():
        return Response("<html>access_token " + canary + "</html>", status=200, mimetype="text/html")

    @app.get("/health")
    def health():
        return "ok\n"

    return app


def new_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def key_file(email, kid, private, token_url):
    """A key file with the fields Google writes."""
    return {
        "type": "service_account", "project_id": "revenant-test", "private_key_id": kid,
        "private_key": private, "client_email": email, "client_id": str(secrets.randbelow(10**20)),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": token_url,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/" + email,
        "universe_domain": "googleapis.com",
    }


def assertion(email, kid, private, token_url):
    now = int(time.time())
    return JWTBearerGrant.sign(RSAKey.import_key(private), issuer=email, audience=token_url, subject=email, issued_at=now,
                               expires_at=now + 600, header={"alg": "RS256", "kid": kid})


def self_check(app, checks):
    """Each (form, headers, want status) through the app's own token endpoint."""
    http = app.test_client()
    for name, form, headers, want in checks:
        r = http.post("/token", data=form, headers=headers)
        if r.status_code != want:
            raise SystemExit(f"oauth2token: self-check {name}: status {r.status_code}, expected {want}")


def write_private(path, text):
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def main():
    import base64
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--state", required=True, help="directory for oauth2token.json and the key files")
    args = ap.parse_args()
    token_url = f"http://127.0.0.1:{args.port}/token"
    canary = "canary-" + secrets.token_hex(16)

    store = Store()
    live = Client("live-" + secrets.token_hex(6), secrets.token_urlsafe(32))
    rotated = Client("rotated-" + secrets.token_hex(6), secrets.token_urlsafe(32))
    old_secret = secrets.token_urlsafe(32)
    email = f"sa-{secrets.token_hex(4)}@revenant-test.iam.gserviceaccount.com"
    kid_live, kid_deleted = secrets.token_hex(20), secrets.token_hex(20)
    (live_private, live_public), (deleted_private, deleted_public) = new_key(), new_key()
    account = Client(email, keys={kid_live: live_public, kid_deleted: deleted_public})
    for c in (live, rotated, account):
        store.clients[c.client_id] = c
    app = build_app(store, token_url, canary)

    def basic(cid, secret):
        return {"Authorization": "Basic " + base64.b64encode(f"{cid}:{secret}".encode()).decode()}

    cc = {"grant_type": "client_credentials"}
    jwt = {"grant_type": JWT_GRANT}
    self_check(app, [
        ("live basic", cc, basic(live.client_id, live.secret), 200),
        ("live post", dict(cc, client_id=live.client_id, client_secret=live.secret), {}, 200),
        ("wrong secret", cc, basic(live.client_id, old_secret), 401),
        ("deleted key before deletion", dict(jwt, assertion=assertion(email, kid_deleted, deleted_private, token_url)), {}, 200),
        ("live key", dict(jwt, assertion=assertion(email, kid_live, live_private, token_url)), {}, 200),
    ])
    # Rotation: the old secret stops working. Deletion: the server forgets the key and its kid.
    with store.lock:
        account.keys.pop(kid_deleted)
    self_check(app, [
        ("rotated new secret", cc, basic(rotated.client_id, rotated.secret), 200),
        ("rotated old secret", cc, basic(rotated.client_id, old_secret), 401),
        ("deleted key", dict(jwt, assertion=assertion(email, kid_deleted, deleted_private, token_url)), {}, 400),
        ("fresh key, same kid", dict(jwt, assertion=assertion(email, kid_live, new_key()[0], token_url)), {}, 400),
    ])

    # Bind first (fails loudly when the port is taken), then publish the state files.
    httpd = make_server("127.0.0.1", args.port, app, threaded=True)
    httpd.daemon_threads = True
    write_private(os.path.join(args.state, "sa_live.json"), json.dumps(key_file(email, kid_live, live_private, token_url), indent=2))
    write_private(os.path.join(args.state, "sa_deleted.json"),
                  json.dumps(key_file(email, kid_deleted, deleted_private, token_url), indent=2))
    write_private(os.path.join(args.state, "oauth2token.json"), json.dumps({
        "live_client_id": live.client_id, "live_client_secret": live.secret,
        "rotated_client_id": rotated.client_id, "rotated_old_secret": old_secret, "rotated_new_secret": rotated.secret,
        "sa_email": email, "sa_live_kid": kid_live, "sa_deleted_kid": kid_deleted, "canary": canary,
    }))
    print(f"oauth2token: serving on 127.0.0.1:{httpd.server_port}", file=sys.stderr, flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
