"""test_nginx.py: the s2sauth nginx module against Debian's real nginx.

One nginx (master + 2 workers as nobody) serves every scenario of issue 9
from one configuration; reload and `nginx -t` cases start their own.  Run:

    S2S_NGINX_MODULE=build/adapters/nginx/ngx_http_s2sauth_module.so \\
        /usr/bin/python3 -m unittest -v integration/nginx/test_nginx.py
"""

import os
import re
import socket
import ssl
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import curl, raw_request  # noqa: E402

FUTURE = "2099-01-01T00:00:00Z"
PAST = "2020-01-01T00:00:00Z"

WORLD = None


MAIN_CONF = r"""
load_module @MODULE@;
user nobody nogroup;
worker_processes 2;
pid @DIR@/nginx.pid;
error_log @DIR@/error.log info;
events { worker_connections 256; }

http {
    log_format s2s '$uri $status identity=$s2sauth_identity token=$s2sauth_token_id '
                   'spiffe=$s2sauth_spiffe_id reason=$s2sauth_reason';
    access_log @DIR@/access.log s2s;
@TEMP@
    default_type text/plain;
    large_client_header_buffers 4 128k;
    merge_slashes on;

    s2sauth_keyring @DIR@/keyring;
    s2sauth_revocation_list @DIR@/revoked;
    s2sauth_service orders;
    s2sauth_realm "orders";
    s2sauth_identity_header X-S2S-Identity;
    s2sauth_identity_header X-S2S-Token-Id token_id;
    s2sauth_identity_header X-S2S-Spiffe-Id spiffe_id;

    upstream echo { server 127.0.0.1:@ECHO@; }

    server {
        listen 127.0.0.1:@HTTP@;
        server_name a.test;
        underscores_in_headers on;
        root @DIR@/www;
        s2sauth on;

        location / { proxy_pass http://echo; }
        location /v1/ { }
        location /secret/ { }
        location /gif { empty_gif; }
        location /rw/ { rewrite ^ /v1/$arg_p break; proxy_pass http://echo; }

        location /public/ { s2sauth off; ssi on; }
        location /public/accel { s2sauth off; proxy_pass http://echo; }
        location = /public/mirror { s2sauth off; mirror /mirror-target; proxy_pass http://echo; }
        location = /mirror-target { internal; proxy_pass http://echo/mirrored; }
        location /public/tf/ { s2sauth off; try_files /nonexistent @protected; }
        location @protected { proxy_pass http://echo; }

        location /ep/ { error_page 401 403 = @fallback; proxy_pass http://echo; }
        location @fallback { proxy_pass http://echo; }
        location /ep-public/ { error_page 401 = /public/page.html; proxy_pass http://echo; }

        location /any/ { satisfy any; deny all; proxy_pass http://echo; }
        location /anyallow/ { satisfy any; allow 127.0.0.1; deny all; proxy_pass http://echo; }
        location /all/ { satisfy all; deny 127.0.0.2; proxy_pass http://echo; }

        location /cookie/ { s2sauth_token_source cookie:s2s; proxy_pass http://echo; }
        location /xtoken/ { s2sauth_token_source header:X-Token; proxy_pass http://echo; }
        location /bearer/ { s2sauth_token_source bearer; proxy_pass http://echo; }

        location /billing/ { s2sauth_service billing; proxy_pass http://echo; }
        location /lmt/ {
            limit_except GET { allow 127.0.0.2; deny all; }
            proxy_pass http://echo;
        }
        location /realip/ {
            set_real_ip_from 127.0.0.1;
            real_ip_header X-Real-IP;
            proxy_pass http://echo;
        }
        location /psh/ {
            proxy_set_header X-Via-Variable "$s2sauth_identity/$s2sauth_token_id/$s2sauth_reason";
            proxy_pass http://echo;
        }
    }

    server {
        listen 127.0.0.1:@HTTPS@ ssl default_server;
        server_name public.test;
        ssl_certificate @PKI@/server.pem;
        ssl_certificate_key @PKI@/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_tickets on;
        root @DIR@/www;
        location / { }
    }

    server {
        listen 127.0.0.1:@HTTPS@ ssl;
        server_name mtls.test;
        ssl_certificate @PKI@/server.pem;
        ssl_certificate_key @PKI@/server.key;
        ssl_verify_client optional;
        ssl_client_certificate @PKI@/ca.pem;
        s2sauth on;
        location / { proxy_pass http://echo; }
        location /strict/ { s2sauth_client_cert required; proxy_pass http://echo; }
        location /nocert/ { s2sauth_client_cert off; proxy_pass http://echo; }
        location /spiffe-only/ {
            s2sauth_allow_spiffe_id spiffe://test.example/svc-a;
            proxy_pass http://echo;
        }
    }

    server {
        listen 127.0.0.1:@HTTPS@ ssl;
        server_name strict.test;
        ssl_certificate @PKI@/server.pem;
        ssl_certificate_key @PKI@/server.key;
        ssl_verify_client on;
        ssl_client_certificate @PKI@/ca.pem;
        s2sauth on;
        s2sauth_client_cert required;
        location / { proxy_pass http://echo; }
    }

    server {
        listen 127.0.0.1:@NOCA@ ssl;
        server_name noca.test;
        ssl_certificate @PKI@/server.pem;
        ssl_certificate_key @PKI@/server.key;
        ssl_verify_client optional_no_ca;
        ssl_client_certificate @PKI@/ca.pem;
        s2sauth on;
        s2sauth_client_cert required;
        location / { proxy_pass http://echo; }
    }

    server {
        listen 127.0.0.1:@H2@ ssl http2;
        server_name h2.test;
        ssl_certificate @PKI@/server.pem;
        ssl_certificate_key @PKI@/server.key;
        ssl_verify_client optional;
        ssl_client_certificate @PKI@/ca.pem;
        s2sauth on;
        location / { proxy_pass http://echo; }
        location /strict/ { s2sauth_client_cert required; proxy_pass http://echo; }
    }

    server {
        listen 127.0.0.1:@XCA@ ssl default_server;
        server_name xca.test;
        ssl_certificate @PKI@/server.pem;
        ssl_certificate_key @PKI@/server.key;
        ssl_verify_client optional;
        ssl_client_certificate @PKI@/other-ca.pem;
        location / { return 204; }
    }

    server {
        listen 127.0.0.1:@XCA@ ssl;
        server_name mtls2.test;
        ssl_certificate @PKI@/server.pem;
        ssl_certificate_key @PKI@/server.key;
        ssl_verify_client optional;
        ssl_client_certificate @PKI@/ca.pem;
        s2sauth on;
        s2sauth_client_cert required;
        location / { proxy_pass http://echo; }
    }
}
"""


class World:
    def __init__(self):
        self.d = harness.make_prefix()
        self.echo = harness.Echo()
        self.pki = harness.Pki(self.d + "/pki")
        self.keys = harness.Keys(self.d + "/keyring")
        self.keys.add("k1")
        self.keys.write()
        self.revoked_token, self.revoked_id = self.keys.mint(
            ["service = orders", f"time < {FUTURE}"])
        with open(self.d + "/revoked", "w") as f:
            f.write(f"# revoked token ids\n{self.revoked_id}\n")
        os.chmod(self.d + "/revoked", 0o644)
        self.write_www()
        self.http, self.https, self.noca, self.xca, self.h2 = (harness.free_port()
                                                              for _ in range(5))
        conf = (MAIN_CONF.replace("@MODULE@", harness.MODULE)
                .replace("@DIR@", self.d).replace("@PKI@", self.d + "/pki")
                .replace("@TEMP@", harness.temp_paths(self.d))
                .replace("@ECHO@", str(self.echo.port)).replace("@HTTP@", str(self.http))
                .replace("@HTTPS@", str(self.https)).replace("@NOCA@", str(self.noca))
                .replace("@XCA@", str(self.xca)).replace("@H2@", str(self.h2)))
        self.nginx = harness.Nginx(self.d)
        with open(self.nginx.conf, "w") as f:
            f.write(conf)
        os.chmod(self.d + "/pki", 0o755)
        self.nginx.start([self.http, self.https, self.noca, self.xca, self.h2])

    def write_www(self):
        files = {
            "v1/orders/list": "ORDERS-LIST",
            "v1/orders/admin": "ORDERS-ADMIN",
            "v1/admin": "V1-ADMIN",
            "secret/data": "TOPSECRET",
            "public/page.html": "PUBLIC-PAGE",
            "public/ssi.html": '<!--# include virtual="/secret/data" -->',
            "index.html": "PUBLIC-INDEX",
        }
        for name, text in files.items():
            path = f"{self.d}/www/{name}"
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text + "\n")
        for root, dirs, names in os.walk(self.d + "/www"):
            os.chmod(root, 0o755)
            for n in names:
                os.chmod(os.path.join(root, n), 0o644)

    def stop(self):
        self.nginx.stop()
        self.echo.stop()

    def url(self, path):
        return f"http://127.0.0.1:{self.http}{path}"

    def surl(self, path):
        return f"https://127.0.0.1:{self.https}{path}"


def setUpModule():
    global WORLD
    if not harness.MODULE or not os.path.exists(harness.MODULE):
        raise unittest.SkipTest("S2S_NGINX_MODULE does not name the built module")
    WORLD = World()


def tearDownModule():
    if WORLD:
        crashed = "exited on signal" in WORLD.nginx.error_log()
        WORLD.stop()
        reports = harness.sanitizer_reports(WORLD.d)
        if crashed or reports:
            raise AssertionError(f"a worker died on a signal (see {WORLD.d}/error.log)\n"
                                 + reports)
        harness.remove_prefix(WORLD.d)


def wait_for(predicate, seconds=3.0):
    """Polls predicate until it holds or the time is up; returns its last value."""
    deadline = time.time() + seconds
    while True:
        value = predicate()
        if value or time.time() > deadline:
            return value
        time.sleep(0.05)


def auth(token, scheme="Macaroon"):
    return f"Authorization: {scheme} {token}"


def identity_headers(resp):
    """Every header the upstream received whose name looks like an identity header."""
    norm = lambda k: k.lower().replace("_", "-")  # noqa: E731
    return [(k, v) for k, v in resp.json()["headers"] if norm(k).startswith("x-s2s-")]


class Base(unittest.TestCase):
    def mint(self, *caveats, **kw):
        return WORLD.keys.mint(["service = orders", f"time < {FUTURE}"] + list(caveats), **kw)

    def assertDenied(self, resp, status, error=None):
        self.assertEqual(resp.status, status, resp)
        if status == 401:
            challenge = resp.header("WWW-Authenticate")
            self.assertIsNotNone(challenge, resp.headers)
            self.assertTrue(challenge.startswith('Macaroon realm="orders"'), challenge)
            if error:
                self.assertIn(f'error="{error}"', challenge)
            else:
                self.assertNotIn("error=", challenge)
        # the body is nginx's stock page: no reason, no token
        for word in ("expired", "revoked", "signature", "caveat", "malformed"):
            self.assertNotIn(word, resp.body)


class TokenOutcomes(Base):
    def test_valid_token_reaches_upstream_with_identity(self):
        token, tid = self.mint("identity = svc-a")
        r = curl(WORLD.url("/orders/1"), [auth(token)])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["path"], "/orders/1")
        self.assertEqual(identity_headers(r), [("X-S2S-Identity", "svc-a"),
                                               ("X-S2S-Token-Id", tid)])

    def test_bearer_scheme_is_accepted(self):
        token, _ = self.mint()
        self.assertEqual(curl(WORLD.url("/x"), [auth(token, "Bearer")]).status, 200)
        self.assertEqual(curl(WORLD.url("/x"), [auth(token, "bearer")]).status, 200)

    def test_missing_credential_is_401_without_error_code(self):
        self.assertDenied(curl(WORLD.url("/orders/1")), 401)

    def test_other_scheme_is_no_credential(self):
        self.assertDenied(curl(WORLD.url("/x"), ["Authorization: Basic dXNlcjpwYXNz"]), 401)

    def test_tampered_token_is_401(self):
        token, _ = self.mint()
        tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
        self.assertDenied(curl(WORLD.url("/x"), [auth(tampered)]), 401, "invalid_token")

    def test_expired_token_is_401(self):
        token, tid = WORLD.keys.mint(["service = orders", f"time < {PAST}"])
        self.assertDenied(curl(WORLD.url("/x"), [auth(token)]), 401, "invalid_token")
        log = WORLD.nginx.error_log()
        self.assertRegex(log, rf'\[info\].*reason "expired", token id "{re.escape(tid)}"')
        self.assertNotIn(token, log)

    def test_not_yet_valid_token_is_401(self):
        token, _ = self.mint(f"time > {FUTURE}")
        self.assertDenied(curl(WORLD.url("/x"), [auth(token)]), 401, "invalid_token")

    def test_revoked_token_is_401(self):
        self.assertDenied(curl(WORLD.url("/x"), [auth(WORLD.revoked_token)]), 401,
                          "invalid_token")

    def test_unknown_key_is_401(self):
        token, _ = WORLD.keys.mint(["service = orders"], key_id="k9", key=os.urandom(32))
        self.assertDenied(curl(WORLD.url("/x"), [auth(token)]), 401, "invalid_token")

    def test_wrong_key_same_id_is_401(self):
        token, _ = WORLD.keys.mint(["service = orders"], key_id="k1", key=os.urandom(32))
        self.assertDenied(curl(WORLD.url("/x"), [auth(token)]), 401, "invalid_token")

    def test_wrong_service_is_403(self):
        token, _ = WORLD.keys.mint(["service = billing"])
        r = curl(WORLD.url("/x"), [auth(token)])
        self.assertDenied(r, 403)
        self.assertIn('error="insufficient_scope"', r.header("WWW-Authenticate"))
        # the same token is good where the location says service billing
        self.assertEqual(curl(WORLD.url("/billing/x"), [auth(token)]).status, 200)

    def test_wrong_method_is_403(self):
        token, _ = self.mint("http.method in GET,HEAD")
        self.assertEqual(curl(WORLD.url("/x"), [auth(token)]).status, 200)
        self.assertDenied(curl(WORLD.url("/x"), [auth(token)], method="POST"), 403)
        self.assertDenied(curl(WORLD.url("/x"), [auth(token)], method="DELETE"), 403)

    def test_wrong_host_is_403(self):
        token, _ = self.mint("http.host = a.test")
        self.assertEqual(curl(WORLD.url("/x"), [auth(token)], host="a.test").status, 200)
        self.assertEqual(curl(WORLD.url("/x"), [auth(token)], host="A.TEST:80").status, 200)
        self.assertDenied(curl(WORLD.url("/x"), [auth(token)], host="b.test"), 403)

    def test_wrong_client_address_is_403(self):
        token, _ = self.mint("client.ip in 127.0.0.2/32")
        self.assertDenied(curl(WORLD.url("/x"), [auth(token)]), 403)
        r = curl(WORLD.url("/x"), [auth(token)], interface="127.0.0.2")
        self.assertEqual(r.status, 200, r)

    def test_client_address_after_realip(self):
        token, _ = self.mint("client.ip in 10.1.2.0/24")
        r = curl(WORLD.url("/realip/x"), [auth(token), "X-Real-IP: 10.1.2.3"])
        self.assertEqual(r.status, 200, r)
        self.assertDenied(curl(WORLD.url("/realip/x"), [auth(token), "X-Real-IP: 10.9.9.9"]),
                          403)
        self.assertDenied(curl(WORLD.url("/realip/x"), [auth(token)]), 403)
        # where realip is not configured the header means nothing
        self.assertDenied(curl(WORLD.url("/x"), [auth(token), "X-Real-IP: 10.1.2.3"]), 403)

    def test_variables_are_logged(self):
        token, tid = self.mint("identity = svc-log")
        self.assertEqual(curl(WORLD.url("/logged"), [auth(token)]).status, 200)
        line = f"/logged 200 identity=svc-log token={tid} spiffe= reason=ok"
        self.assertTrue(wait_for(lambda: line in WORLD.nginx.access_log()), line)

    def test_variables_in_proxy_set_header(self):
        token, tid = self.mint("identity = svc-var")
        r = curl(WORLD.url("/psh/x"), [auth(token), "X-Via-Variable: forged"])
        self.assertEqual(r.status, 200, r)
        got = [v for k, v in r.json()["headers"] if k.lower() == "x-via-variable"]
        self.assertEqual(got, [f"svc-var/{tid}/ok"])

    def test_token_sources(self):
        token, _ = self.mint()
        self.assertEqual(curl(WORLD.url("/cookie/x"), cookie=f"a=b; s2s={token}").status, 200)
        self.assertDenied(curl(WORLD.url("/cookie/x"), [auth(token)]), 401)
        self.assertEqual(curl(WORLD.url("/xtoken/x"), [f"X-Token: {token}"]).status, 200)
        self.assertDenied(curl(WORLD.url("/xtoken/x"),
                               [f"X-Token: {token}", f"X-Token: {token}"]), 401,
                          "invalid_token")
        self.assertEqual(curl(WORLD.url("/bearer/x"), [auth(token, "Bearer")]).status, 200)
        self.assertDenied(curl(WORLD.url("/bearer/x"), [auth(token)]), 401)


class KeepAlive(Base):
    """Requests on one connection: the kept grant is judged again each time."""

    def test_same_token_on_one_connection_is_judged_per_request(self):
        import http.client
        token, tid = self.mint("http.path prefix /v1/orders", "http.method in GET")
        conn = http.client.HTTPConnection("127.0.0.1", WORLD.http, timeout=10)
        try:
            def get(path, method="GET", tok=token):
                conn.request(method, path, headers={"Authorization": f"Macaroon {tok}"})
                resp = conn.getresponse()
                resp.read()
                return resp.status

            self.assertEqual(get("/v1/orders/list"), 200)
            self.assertEqual(get("/v1/orders/list"), 200)
            self.assertEqual(get("/v1/admin"), 403)
            self.assertEqual(get("/v1/orders/list", "POST"), 403)
            self.assertEqual(get("/v1/orders/list", tok=token[:-2] + "AA"), 401)
            self.assertEqual(get("/v1/orders/list"), 200)
            with open(WORLD.d + "/revoked", "a") as f:
                f.write(tid + "\n")
            deadline = time.time() + 5
            status = 200
            while status == 200 and time.time() < deadline:
                time.sleep(0.2)
                status = get("/v1/orders/list")
            self.assertEqual(status, 401)
        finally:
            conn.close()


class HostileInput(Base):
    def raw(self, auth_line):
        req = b"GET /x HTTP/1.0\r\nHost: a.test\r\n" + auth_line + b"\r\n\r\n"
        return raw_request(WORLD.http, req)

    def test_odd_authorization_values(self):
        cases = [
            (b"Authorization:", None),
            (b"Authorization: ", None),
            (b"Authorization: Bearer", "invalid_token"),
            (b"Authorization: Bearer ", "invalid_token"),
            (b"Authorization: Macaroon    ", "invalid_token"),
            (b"Authorization: Macaroon " + b"J" * 8192, "invalid_token"),
            (b"Authorization: Macaroon !!!not*base64$$$", "invalid_token"),
            (b"Authorization: Macaroon " + b"%00%0d%0a", "invalid_token"),
            (b"Authorization: Macaroon \xff\xfe\x80", "invalid_token"),
            (b"Authorization: Macaroon {\"v\":2}", "invalid_token"),
            (b"Authorization: Macaroon []", "invalid_token"),
        ]
        for line, error in cases:
            with self.subTest(line=line[:40]):
                self.assertDenied(self.raw(line), 401, error)

    def test_hostile_token_matrix(self):
        good, _ = self.mint()
        raw = harness.base64.urlsafe_b64decode(good + "=" * (-len(good) % 4))
        enc = lambda b: harness.b64url(b)  # noqa: E731
        cases = [
            good[: len(good) // 2],                       # truncated
            good + "AAAA",                                # trailing bytes
            enc(raw[:-1]),                                # truncated packet
            enc(b"ffff" + raw[4:]),                       # packet length past the end
            enc(b"0000" + raw[4:]),                       # zero-length packet
            enc(b"\x02" + b"\x00" * 64),                  # V2 with empty fields
            enc(b"\x02\x01\xff\xff\xff\xff\x0f" + b"A" * 32),  # V2 huge varint
            enc(os.urandom(300)),
            enc(b"\x02" * 5000),
            "A" * 70000,                                  # over the size limit
            good + "." + good,                            # two tokens glued
        ]
        for i, tok in enumerate(cases):
            with self.subTest(case=i):
                r = curl(WORLD.url("/x"), [auth(tok)])
                self.assertDenied(r, 401, "invalid_token")
        many = self.mint(*[f"http.method in GET,HEAD,X{i}" for i in range(300)])[0]
        self.assertDenied(curl(WORLD.url("/x"), [auth(many)]), 401, "invalid_token")
        # the server is still alive and serving
        self.assertEqual(curl(WORLD.url("/x"), [auth(good)]).status, 200)


class Paths(Base):
    """A token for /v1/orders is judged on the path nginx routes on."""

    def setUp(self):
        self.token, _ = self.mint("http.path prefix /v1/orders")

    def get(self, path):
        return curl(WORLD.url(path), [auth(self.token)])

    def test_inside_prefix(self):
        r = self.get("/v1/orders/list")
        self.assertEqual((r.status, r.body.strip()), (200, "ORDERS-LIST"))

    def test_dot_dot(self):
        self.assertDenied(self.get("/v1/orders/../admin"), 403)

    def test_encoded_dot_dot(self):
        self.assertDenied(self.get("/v1/orders/%2e%2e/admin"), 403)
        self.assertDenied(self.get("/v1/orders/%2E%2E/admin"), 403)

    def test_double_slash(self):
        self.assertDenied(self.get("//admin"), 403)
        self.assertDenied(self.get("//v1//admin"), 403)

    def test_encoded_slash_is_judged_on_what_is_served(self):
        # nginx decodes %2F and serves /v1/orders/admin: inside the prefix
        r = self.get("/v1/orders%2Fadmin")
        self.assertEqual((r.status, r.body.strip()), (200, "ORDERS-ADMIN"))

    def test_rewritten_dot_dot_is_refused(self):
        # a rewrite can put ".." back into $uri, which nginx then sends upstream
        # as is; the core refuses such a path instead of matching its bytes
        self.assertDenied(self.get("/rw/?p=orders/../admin"), 401, "invalid_token")
        self.assertIn("refused as context", WORLD.nginx.error_log())
        r = self.get("/rw/?p=orders/7")
        self.assertEqual(r.status, 200, r)

    def test_segment_aware_prefix(self):
        self.assertDenied(self.get("/v1/ordersX"), 403)
        self.assertDenied(self.get("/v1/orders%00/x"), 400)


class IdentityHeaders(Base):
    def test_spoofed_identity_is_replaced(self):
        token, tid = self.mint("identity = svc-a")
        r = curl(WORLD.url("/x"), [auth(token), "X-S2S-Identity: admin",
                                   "x-s2s-identity: root", "X-S2S-IDENTITY: root2",
                                   "X_S2S_Identity: under", "x_s2s_token_id: forged",
                                   "X-S2S-Spiffe-Id: spiffe://evil/x"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(identity_headers(r), [("X-S2S-Identity", "svc-a"),
                                               ("X-S2S-Token-Id", tid)])

    def test_spoofed_identity_removed_when_denied_or_public(self):
        r = curl(WORLD.url("/anyallow/x"), ["X-S2S-Identity: admin", "X_S2S_IDENTITY: x"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(identity_headers(r), [])
        r = curl(WORLD.url("/public/accel"), ["X-S2S-Identity: admin", "x_s2s_identity: b"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(identity_headers(r), [])


class Bypass(Base):
    def test_error_page_to_named_location_is_checked(self):
        before = len(WORLD.echo.seen)
        self.assertDenied(curl(WORLD.url("/ep/x")), 401)
        token, _ = WORLD.keys.mint(["service = billing"])
        self.assertDenied(curl(WORLD.url("/ep/x"), [auth(token)]), 403)
        self.assertEqual(WORLD.echo.seen[before:], [])
        good, _ = self.mint()
        self.assertEqual(curl(WORLD.url("/ep/x"), [auth(good)]).status, 200)

    def test_error_page_to_public_page_serves_only_it(self):
        r = curl(WORLD.url("/ep-public/x"))
        self.assertEqual(r.body.strip(), "PUBLIC-PAGE")

    def test_satisfy_any_needs_one_real_pass(self):
        self.assertDenied(curl(WORLD.url("/any/x")), 401)
        self.assertDenied(curl(WORLD.url("/any/x"), [auth("garbage")]), 401, "invalid_token")
        forbidden, _ = WORLD.keys.mint(["service = billing"])
        self.assertDenied(curl(WORLD.url("/any/x"), [auth(forbidden)]), 403)
        good, _ = self.mint()
        self.assertEqual(curl(WORLD.url("/any/x"), [auth(good)]).status, 200)

    def test_satisfy_any_pass_drops_the_challenge(self):
        r = curl(WORLD.url("/anyallow/x"), [auth("garbage")])
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.header("WWW-Authenticate"))

    def test_satisfy_all_with_deny(self):
        good, _ = self.mint()
        self.assertEqual(curl(WORLD.url("/all/x"), [auth(good)]).status, 200)
        self.assertEqual(curl(WORLD.url("/all/x"), [auth(good)], interface="127.0.0.2").status,
                         403)

    def test_limit_except_keeps_authentication(self):
        good, _ = self.mint()
        self.assertDenied(curl(WORLD.url("/lmt/x"), method="POST", interface="127.0.0.2"), 401)
        self.assertEqual(curl(WORLD.url("/lmt/x"), [auth(good)], method="POST",
                              interface="127.0.0.2").status, 200)
        self.assertDenied(curl(WORLD.url("/lmt/x"), [auth(good)], method="POST"), 403)
        self.assertDenied(curl(WORLD.url("/lmt/x")), 401)

    def test_ssi_subrequest_is_checked(self):
        r = curl(WORLD.url("/public/ssi.html"))
        self.assertEqual(r.status, 200)
        self.assertNotIn("TOPSECRET", r.body)
        good, _ = self.mint()
        self.assertIn("TOPSECRET", curl(WORLD.url("/public/ssi.html"), [auth(good)]).body)
        narrow, _ = self.mint("http.path prefix /public")
        self.assertNotIn("TOPSECRET",
                         curl(WORLD.url("/public/ssi.html"), [auth(narrow)]).body)

    def test_mirror_subrequest_is_checked(self):
        before = len(WORLD.echo.seen)
        self.assertEqual(curl(WORLD.url("/public/mirror")).status, 200)
        time.sleep(0.3)
        self.assertNotIn("/mirrored", WORLD.echo.seen[before:])
        good, _ = self.mint()
        self.assertEqual(curl(WORLD.url("/public/mirror"), [auth(good)]).status, 200)
        self.assertTrue(wait_for(lambda: "/mirrored" in WORLD.echo.seen[before:]))

    def test_x_accel_redirect_is_checked(self):
        r = curl(WORLD.url("/public/accel"), ["X-Want-Accel: /secret/data"])
        self.assertDenied(r, 401)
        self.assertNotIn("TOPSECRET", r.body)
        good, _ = self.mint()
        r = curl(WORLD.url("/public/accel"), ["X-Want-Accel: /secret/data", auth(good)])
        self.assertEqual(r.body.strip(), "TOPSECRET")

    def test_try_files_fallback_is_checked(self):
        before = len(WORLD.echo.seen)
        self.assertDenied(curl(WORLD.url("/public/tf/x")), 401)
        self.assertEqual(WORLD.echo.seen[before:], [])

    def test_empty_gif_is_protected(self):
        self.assertDenied(curl(WORLD.url("/gif")), 401)
        good, _ = self.mint()
        self.assertEqual(curl(WORLD.url("/gif"), [auth(good)]).status, 200)


class Mtls(Base):
    def test_bound_token(self):
        x5t = harness.Pki.x5t_s256(WORLD.pki.client_a)
        token, _ = self.mint(f"cert.sha256 = {x5t}")
        url, res = self.sni("mtls.test")
        r = curl(url, [auth(token)], cert=WORLD.pki.client_a, resolve=res)
        self.assertEqual(r.status, 200, r)
        self.assertIn(("X-S2S-Spiffe-Id", "spiffe://test.example/svc-a"), identity_headers(r))
        self.assertDenied(curl(url, [auth(token)], cert=WORLD.pki.client_b, resolve=res), 403)
        self.assertDenied(curl(url, [auth(token)], resolve=res), 401, "invalid_token")
        # without SNI the handshake ran with a server that asked for no certificate
        self.assertDenied(curl(WORLD.surl("/x"), [auth(token)], host="mtls.test",
                               cert=WORLD.pki.client_a), 401, "invalid_token")

    def sni(self, name, path="/x"):
        return f"https://{name}:{WORLD.https}{path}", f"{name}:{WORLD.https}:127.0.0.1"

    def test_required_certificate_per_location(self):
        token, _ = self.mint()
        url, res = self.sni("mtls.test", "/strict/x")
        self.assertEqual(curl(url, [auth(token)], cert=WORLD.pki.client_a, resolve=res).status,
                         200)
        self.assertDenied(curl(url, [auth(token)], resolve=res), 401, "invalid_token")
        url, res = self.sni("mtls.test", "/nocert/x")
        r = curl(url, [auth(token)], cert=WORLD.pki.client_a, resolve=res)
        self.assertEqual(r.status, 200)
        self.assertNotIn("X-S2S-Spiffe-Id", [k for k, _ in identity_headers(r)])

    def test_certificate_alone_under_an_allowlist(self):
        url, res = self.sni("mtls.test", "/spiffe-only/x")
        r = curl(url, cert=WORLD.pki.client_a, resolve=res)
        self.assertEqual(r.status, 200, r)
        self.assertIn(("X-S2S-Identity", "spiffe://test.example/svc-a"), identity_headers(r))
        r = curl(url, cert=WORLD.pki.client_b, resolve=res)
        self.assertDenied(r, 403)  # cert_policy: verified, but not on the list
        self.assertIsNone(r.header("WWW-Authenticate"))
        self.assertDenied(curl(url, resolve=res), 401)
        # elsewhere in the server a certificate alone is not a credential
        url, res = self.sni("mtls.test", "/x")
        self.assertDenied(curl(url, cert=WORLD.pki.client_a, resolve=res), 401)

    def test_spiffe_variable(self):
        token, tid = self.mint()
        url, res = self.sni("mtls.test", "/spiffe-log")
        self.assertEqual(curl(url, [auth(token)], cert=WORLD.pki.client_a, resolve=res).status,
                         200)
        line = f"token={tid} spiffe=spiffe://test.example/svc-a reason=ok"
        self.assertTrue(wait_for(lambda: line in WORLD.nginx.access_log()), line)

    def test_no_sni_into_protected_server(self):
        """Without SNI the handshake runs with the default server, which asks
        for no certificate; Host then routes to strict.test."""
        token, _ = self.mint()
        # nginx itself refuses (400) where ssl_verify_client is on
        r = curl(WORLD.surl("/x"), [auth(token)], host="strict.test", cert=WORLD.pki.client_a)
        self.assertIn(r.status, (400, 401), r)
        # where it is optional, the module refuses a certificate that was not
        # asked for by this server
        r = curl(WORLD.surl("/strict/x"), [auth(token)], host="mtls.test",
                 cert=WORLD.pki.client_a)
        self.assertDenied(r, 401, "invalid_token")

    def test_certificate_verified_by_another_server_is_not_trusted(self):
        """The default server of a port trusts another CA; a client that
        handshakes there without SNI and sends Host of a server trusting our CA
        gets nothing from the other server's verdict."""
        token, _ = self.mint()
        url = f"https://127.0.0.1:{WORLD.xca}/x"
        r = curl(url, [auth(token)], host="mtls2.test", cert=WORLD.pki.client_x)
        self.assertDenied(r, 401, "invalid_token")
        r = curl(f"https://mtls2.test:{WORLD.xca}/x", [auth(token)], cert=WORLD.pki.client_a,
                 resolve=f"mtls2.test:{WORLD.xca}:127.0.0.1")
        self.assertEqual(r.status, 200, r)
        self.assertIn(("X-S2S-Spiffe-Id", "spiffe://test.example/svc-a"), identity_headers(r))

    def test_optional_no_ca_is_not_verification(self):
        token, _ = self.mint()
        url = f"https://127.0.0.1:{WORLD.noca}/x"
        self.assertDenied(curl(url, [auth(token)], cert=WORLD.pki.client_x), 401,
                          "invalid_token")
        self.assertDenied(curl(url, [auth(token)]), 401, "invalid_token")

    def test_tls13_resumption_into_verifying_server(self):
        token, _ = self.mint()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3

        def request(sni, host, session=None, path="/x"):
            sock = socket.create_connection(("127.0.0.1", WORLD.https), timeout=5)
            try:
                s = ctx.wrap_socket(sock, server_hostname=sni, session=session)
            except ssl.SSLError as e:
                sock.close()
                return harness.Response(0, [], str(e)), None, False
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n"
                      f"Authorization: Macaroon {token}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except (ssl.SSLError, ConnectionResetError):
                pass
            sess, reused = s.session, s.session_reused
            s.close()
            return harness.parse_http(data), sess, reused

        first, session, _ = request("public.test", "public.test")
        self.assertEqual(first.status, 404)  # public server, no /x
        # the mechanism works: the session resumes into the server that made it
        again, _, reused = request("public.test", "public.test", session)
        self.assertTrue(reused)
        self.assertEqual(again.status, 404)
        # into a server with ssl_verify_client on: refused, resumed or not
        r, _, _ = request("strict.test", "strict.test", session)
        self.assertNotEqual(r.status, 200, r)
        # into a location that requires a certificate: OpenSSL refuses the
        # session (its id context belongs to another server); were it
        # resumed, no certificate would come with it and the module says 401
        r, _, reused = request("mtls.test", "mtls.test", session, "/strict/x")
        self.assertIn(r.status, (0, 401), (r, reused))
        if r.status == 0:
            self.assertIn("ACCESS_DENIED", r.body)


class Http2(Base):
    def statuses(self, token, paths, cert=None):
        args = ["curl", "-s", "-k", "--http2", "--max-time", "10",
                "-H", f"Authorization: Macaroon {token}"]
        if cert:
            args += ["--cert", cert[0], "--key", cert[1]]
        for p in paths:
            args += ["-o", "/dev/null", "-w", "%{http_code} %{http_version}\n",
                     f"https://127.0.0.1:{WORLD.h2}{p}"]
        out = harness.subprocess.run(args, capture_output=True, text=True, timeout=30).stdout
        return out.split()

    def test_streams_on_one_connection(self):
        x5t = harness.Pki.x5t_s256(WORLD.pki.client_a)
        bound, _ = self.mint(f"cert.sha256 = {x5t}", "http.path prefix /strict")
        self.assertEqual(self.statuses(bound, ["/strict/a", "/strict/b", "/other", "/strict/c"],
                                       WORLD.pki.client_a),
                         ["200", "2", "200", "2", "403", "2", "200", "2"])
        self.assertEqual(self.statuses(bound, ["/strict/a", "/x"], WORLD.pki.client_b),
                         ["403", "2", "403", "2"])
        self.assertEqual(self.statuses(bound, ["/strict/a", "/strict/b"]),
                         ["401", "2", "401", "2"])


class RevocationWithoutReload(Base):
    def test_revocation_file_change_takes_effect(self):
        token, tid = self.mint()
        self.assertEqual(curl(WORLD.url("/x"), [auth(token)]).status, 200)
        with open(WORLD.d + "/revoked", "a") as f:
            f.write(tid + "\n")
        deadline = time.time() + 5
        status = 200
        while time.time() < deadline:
            status = curl(WORLD.url("/x"), [auth(token)]).status
            if status == 401:
                break
            time.sleep(0.2)
        self.assertEqual(status, 401)


CHECK_CONF = r"""
load_module @MODULE@;
pid @DIR@/nginx.pid;
error_log @DIR@/error.log;
events {}
http {
@HTTP@
@TEMP@
}
"""


class ConfigTest(unittest.TestCase):
    """`nginx -t` refuses what cannot work, naming the file and line."""

    @classmethod
    def setUpClass(cls):
        cls.d = harness.make_prefix()
        cls.keys = harness.Keys(cls.d + "/keyring")
        cls.keys.add("k1")
        cls.keys.write()
        with open(cls.d + "/keyring") as src, open(cls.d + "/open-keyring", "w") as f:
            f.write(src.read())
        os.chmod(cls.d + "/open-keyring", 0o644)
        with open(cls.d + "/bad.conf", "w") as f:
            f.write(f"keyring {cls.d}/keyring\nno_such_directive 1\n")

    @classmethod
    def tearDownClass(cls):
        harness.remove_prefix(cls.d)

    def check(self, http_body):
        conf = (CHECK_CONF.replace("@MODULE@", harness.MODULE).replace("@DIR@", self.d)
                .replace("@TEMP@", harness.temp_paths(self.d)).replace("@HTTP@", http_body))
        n = harness.Nginx(self.d)
        with open(n.conf, "w") as f:
            f.write(conf)
        return n.test(), n.conf

    def assertFails(self, body, line, *words):
        r, conf = self.check(body)
        self.assertNotEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"{conf}:{line}", r.stderr)
        for w in words:
            self.assertIn(w, r.stderr)

    def test_good_configuration_passes(self):
        r, _ = self.check(f"s2sauth_keyring {self.d}/keyring;\n"
                          "server { listen 127.0.0.1:1; s2sauth on; location / { } }")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_s2sauth_config_file(self):
        with open(self.d + "/good.conf", "w") as f:
            f.write(f"keyring {self.d}/keyring\nservice orders\n")
        r, _ = self.check(f"s2sauth_config {self.d}/good.conf;\n"
                          "server { listen 127.0.0.1:1; s2sauth on; location / { } }")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_missing_key_file(self):
        self.assertFails(f"s2sauth_keyring {self.d}/nope;", 7, f"{self.d}/nope")

    def test_badly_permissioned_key_file(self):
        self.assertFails(f"s2sauth_keyring {self.d}/open-keyring;", 7, "open-keyring")

    def test_bad_config_file(self):
        self.assertFails(f"s2sauth_config {self.d}/bad.conf;", 7, "no_such_directive")

    def test_missing_revocation_list(self):
        self.assertFails(f"s2sauth_keyring {self.d}/keyring;\n"
                         f"s2sauth_revocation_list {self.d}/no-such-list;\n"
                         "s2sauth_service orders;\n"
                         "server { listen 127.0.0.1:1; s2sauth on; }", 8, "no-such-list")

    def test_on_without_keys(self):
        self.assertFails("server {\n listen 127.0.0.1:1;\n s2sauth on;\n}", 9, "s2sauth")

    def test_bad_values(self):
        self.assertFails("s2sauth maybe;", 7, "maybe")
        self.assertFails("s2sauth_token_source query:x;", 7, "query:x")
        self.assertFails('s2sauth_realm "a\\"b";', 7, "realm")
        self.assertFails("s2sauth_identity_header Host;", 7, "Host")
        # matched as client headers are dropped: '_' is '-', so these would
        # remove the client's Content-Length / Transfer-Encoding / Cookie
        self.assertFails("s2sauth_identity_header Content_Length;", 7, "Content_Length")
        self.assertFails("s2sauth_identity_header transfer_encoding;", 7, "transfer_encoding")
        self.assertFails("s2sauth_identity_header COOKIE;", 7, "COOKIE")
        self.assertFails("s2sauth_identity_header X-A bogus;", 7, "bogus")
        self.assertFails("s2sauth_client_cert sometimes;", 7, "sometimes")
        self.assertFails(f"s2sauth_keyring {self.d}/keyring;\ns2sauth_keyring {self.d}/keyring;",
                         8, "duplicate")

    def test_required_certificate_without_ssl_verify_client(self):
        self.assertFails(f"s2sauth_keyring {self.d}/keyring;\n"
                         "server {\n listen 127.0.0.1:1;\n s2sauth on;\n"
                         " location /a { s2sauth_client_cert required; }\n}", 11,
                         "ssl_verify_client", 'location "/a"')

    def test_return_in_protected_location_warns(self):
        r, _ = self.check(f"s2sauth_keyring {self.d}/keyring;\n"
                          "server { listen 127.0.0.1:1; s2sauth on;\n"
                          " location /r { return 200 x; } location /f { } }")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('[warn]', r.stderr)
        self.assertIn('"return" in location "/r"', r.stderr)
        self.assertNotIn('location "/f"', r.stderr)


RELOAD_CONF = r"""
load_module @MODULE@;
user nobody nogroup;
worker_processes 1;
pid @DIR@/nginx.pid;
error_log @DIR@/error.log info;
events { worker_connections 64; }
http {
@TEMP@
    access_log off;
    s2sauth_keyring @DIR@/keyring;
    server {
        listen 127.0.0.1:@HTTP@;
        root @DIR@/www;
        s2sauth on;
        location / { }
    }
}
"""


class Reload(unittest.TestCase):
    def test_reload_picks_up_a_new_key_ring(self):
        d = harness.make_prefix()
        n = harness.Nginx(d)
        try:
            with open(d + "/www/index.html", "w") as f:
                f.write("OK\n")
            os.chmod(d + "/www/index.html", 0o644)
            keys = harness.Keys(d + "/keyring")
            keys.add("k1")
            keys.add("k2")
            keys.write(["k1"])
            port = harness.free_port()
            with open(n.conf, "w") as f:
                f.write(RELOAD_CONF.replace("@MODULE@", harness.MODULE).replace("@DIR@", d)
                        .replace("@TEMP@", harness.temp_paths(d)).replace("@HTTP@", str(port)))
            n.start([port])
            url = f"http://127.0.0.1:{port}/"
            old, _ = keys.mint([], key_id="k1")
            new, _ = keys.mint([], key_id="k2")
            self.assertEqual(curl(url, [auth(old)]).status, 200)
            self.assertEqual(curl(url, [auth(new)]).status, 401)
            keys.write(["k2"])
            n.reload()
            # the old worker may accept for a moment after the new one starts
            deadline = time.time() + 10
            while time.time() < deadline and (curl(url, [auth(new)]).status != 200
                                              or curl(url, [auth(old)]).status != 401):
                time.sleep(0.1)
            self.assertEqual(curl(url, [auth(new)]).status, 200)
            self.assertEqual(curl(url, [auth(old)]).status, 401)
            # a reload with a broken key ring keeps the old configuration
            with open(d + "/keyring", "w") as f:
                f.write("garbage line\n")
            self.assertNotEqual(n.test().returncode, 0)
            harness.run(n.cmd("-s", "reload"), env=n.env())
            time.sleep(1)
            self.assertEqual(curl(url, [auth(new)]).status, 200)
            self.assertIn("s2sauth", n.error_log().split("signal 1 (SIGHUP)")[-1])
            self.assertNotIn("exited on signal", n.error_log())
        finally:
            n.stop()
            harness.remove_prefix(d)


if __name__ == "__main__":
    unittest.main()
