#!/usr/bin/python3
"""test_postgres.py: the s2sauth PostgreSQL integration suite.

Creates a PostgreSQL 15 cluster with SSL on loopback (pgcluster.py) and checks
both ways of admitting connections by token:
  --path hook   shared_preload_libraries = s2sauth, "trust"/"cert" on hostssl
  --path pam    the "pam" method with pam_s2sauth.so (one pamservice per database)
with psql, psycopg2 (both libpq) and a raw protocol client that sees the
SQLSTATE and whether a password was asked for.  Every case checks its exact
outcome; the server log is checked for the reasons and for the absence of
every token.  Must run as root (setpriv to postgres, /etc/pam.d files).

Usage: test_postgres.py --build BUILD_DIR --path hook|pam
"""
import argparse
import os
import subprocess
import sys
import time

import psycopg2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgcluster  # noqa: E402
from pgcluster import raw_connect, rfc3339  # noqa: E402

SKIP = 77
FAILURES = []
TOKENS = []  # every token used, to check that none reaches the server log


def check(name, ok, info=""):
    print("%s %s%s" % ("PASS" if ok else "FAIL", name, "" if ok else ": " + str(info)))
    sys.stdout.flush()
    if not ok:
        FAILURES.append(name)


def psql(port, user, db, token, host="127.0.0.1", sslmode="require", extra="", timeout=10):
    """timeout 10 psql ...; returns (rc, output).  rc 124 means it hung."""
    env = dict(os.environ, PGPASSWORD=token or "", PGCONNECT_TIMEOUT="5")
    conninfo = "host=%s port=%d user='%s' dbname=%s sslmode=%s %s" % (
        host, port, user.replace("'", "\\'"), db, sslmode, extra)
    r = subprocess.run(["timeout", str(timeout), "psql", "-X", "-w", "-A", "-t", "-c",
                        "select current_user || '|' || current_database()", conninfo],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r.returncode, r.stdout.strip()


def psycopg(port, user, db, token, host="127.0.0.1", **kw):
    try:
        conn = psycopg2.connect(host=host, port=port, user=user, dbname=db, password=token,
                                sslmode=kw.pop("sslmode", "require"), connect_timeout=5, **kw)
    except psycopg2.OperationalError as e:
        return False, str(e)
    try:
        with conn.cursor() as cur:
            cur.execute("select current_user, current_database()")
            return True, cur.fetchone()
    finally:
        conn.close()


class Suite:
    def __init__(self, build, path):
        self.build = build
        self.path = path
        self.hook = os.path.join(build, "adapters", "postgres", "s2sauth.so")
        self.pam_module = os.path.join(build, "adapters", "postgres", "pam_s2sauth.so")
        self.cluster = pgcluster.Cluster()
        self.keys = self.cluster.keys
        self.port = self.cluster.port
        self.pam_files = []
        self.long_role = ("reader with a very long role name that has spaces in it "
                          "and goes on past sixty-four")
        self.long_role_pg = self.long_role[:63]

    # -- helpers ----------------------------------------------------------
    def mint(self, caveats, token_id=None):
        token, tid = self.keys.mint(caveats, token_id)
        TOKENS.append(token)
        return token, tid

    def good(self, extra=()):
        return self.mint(["pg.db in orders", "pg.role in reader",
                          "time < " + rfc3339(3600)] + list(extra))

    def denied_code(self, reason):
        """SQLSTATE the path reports for a deny: the hook maps the decision's
        outcome; PostgreSQL's pam method always answers 28000."""
        if self.path == "pam":
            return "28000"
        return "28000" if reason == "forbidden" else "28P01"

    def expect_ok(self, name, user="reader", db="orders", token=None, host="127.0.0.1",
                  cert=None, source=None):
        r = raw_connect(host, self.port, user, db, token, cert=cert, source=source)
        check(name + " (raw)", r["outcome"] == "ok" and r["asked_password"], r)

    def expect_denied(self, name, reason, user="reader", db="orders", token=None,
                      host="127.0.0.1", cert=None, use_ssl=True, extra=None, source=None):
        r = raw_connect(host, self.port, user, db, token, cert=cert, use_ssl=use_ssl, extra=extra,
                        source=source)
        want = self.denied_code(reason)
        ok = r["outcome"] == "error" and r["sqlstate"] == want
        if self.path == "hook":
            ok = ok and r["message"] == 's2sauth authentication failed for user "%s"' % user[:63]
        check(name + " (raw, %s)" % want, ok, r)

    # -- setup --------------------------------------------------------------
    def pam_service(self, db, args="", name=None):
        """An /etc/pam.d service for database `db` (None: no pg.db fact)."""
        name = "s2sauth-test-%d-%s" % (os.getpid(), name or db)
        path = os.path.join("/etc/pam.d", name)
        with open(path, "w") as f:
            f.write("auth required %s config=%s %s %s\n"
                    % (self.pam_module, self.keys.config, "db=" + db if db else "", args))
            f.write("account required pam_permit.so\n")
        self.pam_files.append(path)
        return name

    def setup(self):
        c = self.cluster
        self.fifo = os.path.join(c.dir, "keyring.fifo")
        os.mkfifo(self.fifo, 0o600)
        os.chown(self.fifo, pgcluster.pwd.getpwnam(pgcluster.PG_USER).pw_uid, -1)
        if self.path == "hook":
            settings = {
                "shared_preload_libraries": "'auth_delay,%s'" % self.hook[:-3],
                "auth_delay.milliseconds": "0",
                "s2sauth.config": "'%s'" % self.keys.config,
            }
            hba = [
                "hostssl certdb all 127.0.0.1/32 cert",
                "hostssl replication all 127.0.0.1/32 trust",
                "hostssl all all 127.0.0.1/32 trust",
                "hostssl all all 127.0.0.2/32 trust",
                "hostnossl all all 127.0.0.1/32 trust",
            ]
        else:
            orders = self.pam_service("orders")
            inventory = self.pam_service("inventory")
            self.broken_service = self.pam_service("broken", "keyring=/nonexistent/keyring")
            fifo_service = self.pam_service("fifo", "keyring=" + self.fifo)
            hba = [
                "hostssl orders all 127.0.0.0/8 pam pamservice=%s" % orders,
                "hostssl inventory all 127.0.0.1/32 pam pamservice=%s" % inventory,
                "hostssl broken all 127.0.0.1/32 pam pamservice=%s" % self.broken_service,
                "hostssl fifo all 127.0.0.1/32 pam pamservice=%s" % fifo_service,
            ]
            settings = {}
        c.conf(settings, hba)
        c.start()
        for role in ("reader", "writer"):
            c.sql("create role %s login" % role)
        c.sql('create role "%s" login' % self.long_role_pg)
        c.sql("create role repl login replication")
        for db in ("orders", "inventory", "broken", "certdb", "fifo"):
            c.sql("create database %s" % db)

    def teardown(self):
        for f in self.pam_files:
            try:
                os.unlink(f)
            except OSError:
                pass
        if FAILURES:
            print("---- server log (tail) ----")
            print(self.cluster.log_text()[-6000:])
        self.cluster.destroy()

    # -- cases ----------------------------------------------------------------
    def test_basic(self):
        token, tid = self.good()
        rc, out = psql(self.port, "reader", "orders", token)
        check("psql: token for orders/reader connects", rc == 0 and out == "reader|orders",
              (rc, out))
        ok, row = psycopg(self.port, "reader", "orders", token)
        check("psycopg2: token for orders/reader connects", ok and row == ("reader", "orders"),
              row)
        self.expect_ok("raw: token for orders/reader connects", token=token)

        rc, out = psql(self.port, "reader", "inventory", token)
        check("psql: same token refused for database inventory",
              rc == 2 and "authentication failed" in out, (rc, out))
        self.expect_denied("token refused for another database", "forbidden", db="inventory",
                           token=token)
        self.expect_denied("token refused for another role", "forbidden", user="writer",
                           token=token)
        ok, err = psycopg(self.port, "writer", "orders", token)
        check("psycopg2: token refused for another role",
              not ok and "authentication failed" in err, err)
        rc, out = psql(self.port, "reader", "orders", None)
        check("psql without a token is refused, not hung", rc == 2, (rc, out))

        cli = os.path.join(self.build, "adapters", "cli", "s2sauth")
        if os.path.exists(cli):
            r = subprocess.run([cli, "mint", "--keyring", self.keys.keyring,
                                "--caveat", "pg.db in orders", "--caveat", "pg.role in reader",
                                "--ttl", "5m"], stdout=subprocess.PIPE, text=True)
            minted = r.stdout.strip()
            TOKENS.append(minted)
            rc, out = psql(self.port, "reader", "orders", minted)
            check("psql: token minted by the s2sauth CLI (V2) connects",
                  r.returncode == 0 and rc == 0 and out == "reader|orders", (rc, out))
            self.expect_denied("CLI token refused for another database", "forbidden",
                               db="inventory", token=minted)

    def test_bad_tokens(self):
        expired, _ = self.mint(["pg.db in orders", "pg.role in reader", "time < " + rfc3339(-60)])
        self.expect_denied("expired token", "unauthenticated", token=expired)

        token, _ = self.good()
        tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
        TOKENS.append(tampered)
        self.expect_denied("tampered token", "unauthenticated", token=tampered)
        self.expect_denied("garbage token", "unauthenticated", token="not-a-macaroon")
        if self.path == "hook":
            self.expect_denied("empty token", "unauthenticated", token="")
        else:
            # PostgreSQL refuses an empty password itself, before PAM.
            r = raw_connect("127.0.0.1", self.port, "reader", "orders", "")
            check("empty token refused by the server (28P01)",
                  r["outcome"] == "error" and r["sqlstate"] == "28P01", r)
        if self.path == "hook":
            r = raw_connect("127.0.0.1", self.port, "reader", "orders", token[:10] + "\0" + token)
            check("password message with a NUL inside is a protocol violation (08P01)",
                  r["outcome"] == "error" and r["sqlstate"] == "08P01", r)

        widened, _ = self.mint(["pg.db in orders", "pg.role in reader"])
        self.expect_ok("token before revocation", token=widened)
        revoked, tid = self.mint(["pg.db in orders", "pg.role in reader"])
        self.expect_ok("token before revocation (2)", token=revoked)
        self.keys.revoke(tid)
        time.sleep(1.2)  # the core re-reads the revocation list at most once a second
        self.expect_denied("revoked token", "unauthenticated", token=revoked)
        self.expect_ok("another token still works after a revocation", token=widened)

    def test_client_address(self):
        # libpq cannot choose its source address, and Linux answers 127.0.0.2
        # from 127.0.0.1: the raw client binds 127.0.0.2 itself.
        token, _ = self.good(["client.ip in 127.0.0.1/32"])
        self.expect_ok("client.ip 127.0.0.1/32 from 127.0.0.1", token=token)
        self.expect_denied("client.ip 127.0.0.1/32 from 127.0.0.2", "forbidden", token=token,
                           host="127.0.0.2", source="127.0.0.2")
        other, _ = self.good(["client.ip in 127.0.0.2/32"])
        self.expect_ok("client.ip 127.0.0.2/32 from 127.0.0.2", token=other, host="127.0.0.2",
                       source="127.0.0.2")
        rc, out = psql(self.port, "reader", "orders", other)
        check("psql: client.ip 127.0.0.2/32 refused from 127.0.0.1",
              rc == 2 and "authentication failed" in out, (rc, out))

    def test_certificate_binding(self):
        pki = self.cluster.pki
        c1 = pki.issue("client1", "/CN=reader", None, "clientAuth")
        c2 = pki.issue("client2", "/CN=reader", None, "clientAuth")
        token, _ = self.good(["cert.sha256 = " + pki.x5t_s256("client1")])
        if self.path == "hook":
            self.expect_ok("bound token with its certificate", token=token, cert=c1)
            self.expect_denied("bound token with another certificate", "forbidden", token=token,
                               cert=c2)
            # cert_required: the credential is incomplete, as a missing token is
            self.expect_denied("bound token without a certificate", "unauthenticated",
                               token=token)
            rc, out = psql(self.port, "reader", "orders", token,
                           extra="sslcert=%s sslkey=%s" % c1)
            check("psql: bound token with its certificate", rc == 0 and out == "reader|orders",
                  (rc, out))
            spiffe_cert = pki.issue("client3", "/CN=reader", None, "clientAuth",
                                    spiffe="spiffe://example.org/app/reader")
            spiffe, _ = self.good(["spiffe.id = spiffe://example.org/app/reader"])
            self.expect_ok("spiffe.id token with that SPIFFE certificate", token=spiffe,
                           cert=spiffe_cert)
            self.expect_denied("spiffe.id token with a certificate without that ID", "forbidden",
                               token=spiffe, cert=c1)
            # A "cert" line: the server checks the certificate (CN = role), then
            # the hook asks for the token as well.
            certdb, _ = self.mint(["pg.db in certdb", "pg.role in reader",
                                   "cert.sha256 = " + pki.x5t_s256("client1")])
            r = raw_connect("127.0.0.1", self.port, "reader", "certdb", certdb, cert=c1)
            check("cert line: certificate and bound token connect",
                  r["outcome"] == "ok" and r["asked_password"], r)
            self.expect_denied("cert line: certificate with a garbage token", "unauthenticated",
                               db="certdb", token="garbage", cert=c1)
            self.expect_denied("cert line: certificate with another certificate's token",
                               "forbidden", db="certdb", token=certdb, cert=c2)
            r = raw_connect("127.0.0.1", self.port, "reader", "certdb", certdb)
            check("cert line: no certificate is refused by the server before any token",
                  r["outcome"] == "error" and r["sqlstate"] == "28000" and
                  not r["asked_password"], r)
        else:
            # PAM sees no certificate: a bound token is always refused there.
            self.expect_denied("pam: bound token refused (no certificate facts)", "forbidden",
                               token=token, cert=c1)

    def test_sizes(self):
        filler = ",".join("db%03d" % i for i in range(60))
        caveats = ["pg.db in orders,%s" % filler for _ in range(9)]
        big, _ = self.good(caveats)
        check("4 KiB token is at least 4 KiB", len(big) >= 4096, len(big))
        self.expect_ok("4 KiB token accepted", token=big)
        rc, out = psql(self.port, "reader", "orders", big)
        check("psql: 4 KiB token accepted", rc == 0 and out == "reader|orders", (rc, out))

        huge = "A" * (66 * 1024)
        r = raw_connect("127.0.0.1", self.port, "reader", "orders", huge)
        check("66 KiB token refused cleanly",
              r["outcome"] == "closed" or (r["outcome"] == "error" and
                                           r["sqlstate"] in ("28000", "28P01", "08P01")), r)
        rc, out = psql(self.port, "reader", "orders", huge)
        check("psql: 66 KiB token refused without hanging", rc not in (0, 124), (rc, out))
        token, _ = self.good()
        self.expect_ok("server still serves after a 66 KiB token", token=token)

    def test_long_role(self):
        # The server truncates names to 63 bytes (NAMEDATALEN); the hook sees
        # the truncated name.  `pg.role =` names it (a list cannot hold a
        # space, so `pg.role in` with it is malformed); a token without a role
        # caveat admits it; one for another role is refused.
        anyrole, _ = self.mint(["pg.db in orders"])
        r = raw_connect("127.0.0.1", self.port, self.long_role, "orders", anyrole)
        check("65+ character role with spaces connects with a db-only token",
              r["outcome"] == "ok", r)
        ok, row = psycopg(self.port, self.long_role, "orders", anyrole)
        check("psycopg2: long role connects as its 63-byte name",
              ok and row[0] == self.long_role_pg, row)
        token, _ = self.good()
        self.expect_denied("reader token refused for the long role", "forbidden",
                           user=self.long_role, token=token)
        named, _ = self.mint(["pg.db in orders", "pg.role in " + self.long_role_pg])
        self.expect_denied("a pg.role list with spaces is refused", "forbidden",
                           user=self.long_role, token=named)
        exact, _ = self.mint(["pg.db in orders", "pg.role = " + self.long_role_pg])
        r = raw_connect("127.0.0.1", self.port, self.long_role, "orders", exact)
        check("pg.role = names a role with spaces", r["outcome"] == "ok", r)

    def test_non_ssl(self):
        token, _ = self.good()
        r = raw_connect("127.0.0.1", self.port, "reader", "orders", token, use_ssl=False)
        if self.path == "hook":
            check("non-SSL refused before the token is asked for",
                  r["outcome"] == "error" and r["sqlstate"] == "28000" and
                  not r["asked_password"], r)
        else:
            check("non-SSL refused (no hostnossl line) before the token is asked for",
                  r["outcome"] == "error" and r["sqlstate"] == "28000" and
                  not r["asked_password"], r)
        rc, out = psql(self.port, "reader", "orders", token, sslmode="disable")
        check("psql sslmode=disable refused", rc == 2, (rc, out))
        if self.path == "hook":
            self.cluster.sql("alter system set s2sauth.allow_non_ssl = on")
            self.cluster.reload()
            r = raw_connect("127.0.0.1", self.port, "reader", "orders", token, use_ssl=False)
            check("with s2sauth.allow_non_ssl = on, a token over plain TCP is accepted",
                  r["outcome"] == "ok" and r["asked_password"], r)
            self.cluster.sql("alter system reset s2sauth.allow_non_ssl")
            self.cluster.reload()
            r = raw_connect("127.0.0.1", self.port, "reader", "orders", token, use_ssl=False)
            check("after resetting s2sauth.allow_non_ssl, plain TCP is refused again",
                  r["outcome"] == "error" and not r["asked_password"], r)

    def test_ssl_then_plaintext(self):
        # The startup packet rides in the same write as the SSLRequest, as a
        # man in the middle would inject it: the server must not use it.
        sock = pgcluster.socket.create_connection(("127.0.0.1", self.port), timeout=10)
        got = b""
        try:
            sock.sendall(pgcluster.SSL_REQUEST + pgcluster._startup("reader", "orders"))
            answer = sock.recv(1)
            if answer == b"S":
                ctx = pgcluster.ssl.SSLContext(pgcluster.ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False
                ctx.verify_mode = pgcluster.ssl.CERT_NONE
                sock = ctx.wrap_socket(sock)
            while len(got) < 4096:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                got += chunk
        except OSError:
            pass
        finally:
            sock.close()
        check("SSLRequest followed by plaintext in one write is refused (08P01)",
              got.startswith(b"E") and b"C08P01" in got and b"unencrypted data" in got, got[:200])

    def test_replication(self):
        token, _ = self.mint(["pg.db in replication", "pg.role in repl"])
        extra = {"replication": "true"}
        if self.path == "pam":
            return
        self.expect_denied("replication refused while s2sauth.allow_replication is off",
                           "forbidden", user="repl", db="postgres", token=token, extra=extra)
        self.cluster.sql("alter system set s2sauth.allow_replication = on")
        self.cluster.reload()
        r = raw_connect("127.0.0.1", self.port, "repl", "postgres", token, extra=extra)
        check("replication connection with a pg.db in replication token", r["outcome"] == "ok", r)
        rc, out = psql(self.port, "repl", "postgres", token, extra="replication=true")
        # psql in replication mode cannot run a normal select; a refusal would be rc 2
        check("psql replication=true authenticates", "authentication failed" not in out, (rc, out))
        orders, _ = self.good()
        self.expect_denied("orders token refused for a replication connection", "forbidden",
                           user="reader", db="postgres", token=orders, extra=extra)
        self.cluster.sql("alter system reset s2sauth.allow_replication")
        self.cluster.reload()

    def test_broken_configuration(self):
        token, _ = self.good()
        if self.path == "pam":
            t0 = time.time()
            rc, out = psql(self.port, "reader", "broken", token)
            check("pam: broken module configuration refuses quickly",
                  rc == 2 and time.time() - t0 < 5, (rc, out))
            t0 = time.time()
            rc, out = psql(self.port, "reader", "fifo", token)
            check("pam: a FIFO as the key ring refuses quickly",
                  rc == 2 and time.time() - t0 < 5, (rc, out))
            return
        # A reload that breaks the settings: every connection refused, quickly.
        self.cluster.sql("alter system set s2sauth.config = '/nonexistent/s2sauth.conf'")
        self.cluster.reload()
        t0 = time.time()
        rc, out = psql(self.port, "reader", "orders", token)
        check("after a bad reload every login is refused quickly",
              rc == 2 and time.time() - t0 < 5 and "authentication failed" in out, (rc, out))
        self.cluster.sql("alter system reset s2sauth.config")
        self.cluster.reload()
        self.expect_ok("fixed settings admit again after reload", token=token)

        # A FIFO named as a file must not block the backend in open().
        for setting in ("s2sauth.keyring", "s2sauth.config"):
            self.cluster.sql("alter system set %s = '%s'" % (setting, self.fifo))
            self.cluster.reload()
            t0 = time.time()
            rc, out = psql(self.port, "reader", "orders", token)
            check("a FIFO as %s refuses logins quickly" % setting,
                  rc == 2 and time.time() - t0 < 5 and "authentication failed" in out, (rc, out))
            self.cluster.sql("alter system reset %s" % setting)
            self.cluster.reload()
            self.expect_ok("admits again once %s is fixed" % setting, token=token)

        # A bad configuration at start-up: the server refuses to start, naming the setting.
        self.cluster.stop()
        auto = os.path.join(self.cluster.data, "postgresql.auto.conf")
        saved = open(auto).read()
        with open(auto, "a") as f:
            f.write("s2sauth.config = '/nonexistent/s2sauth.conf'\n")
        t0 = time.time()
        started, _ = self.cluster.start(check=False)
        log = self.cluster.log_text()
        check("server refuses to start with a bad s2sauth.config", not started, log[-500:])
        check("start-up failure names the setting", "s2sauth.config" in log, log[-500:])
        check("start-up failure is quick", time.time() - t0 < 15)
        with open(auto, "w") as f:
            f.write(saved)
        self.cluster.start()

    def test_pamtester(self):
        """The PAM module outside PostgreSQL: any PAM service, here pamtester."""
        if self.path != "pam":
            return
        generic = self.pam_service(None, "set=service=postgres", name="generic")
        badarg = self.pam_service(None, "no_such_option", name="badarg")
        token, _ = self.mint(["pg.role in reader", "client.ip in 127.0.0.1/32",
                              "time < " + rfc3339(600)])
        TOKENS.append(token)

        def pamtester(service, user, rhost, secret):
            r = subprocess.run(["timeout", "10", "pamtester", "-I", "rhost=" + rhost, service,
                                user, "authenticate"], input=secret + "\n",
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            return r.returncode, r.stdout.strip()

        rc, out = pamtester(generic, "reader", "127.0.0.1", token)
        check("pamtester: token admits reader", rc == 0 and "successfully" in out, (rc, out))
        rc, out = pamtester(generic, "writer", "127.0.0.1", token)
        check("pamtester: token refused for writer", rc == 1 and "Authentication failure" in out,
              (rc, out))
        rc, out = pamtester(generic, "reader", "127.0.0.2", token)
        check("pamtester: token refused from rhost 127.0.0.2",
              rc == 1 and "Authentication failure" in out, (rc, out))
        rc, out = pamtester(generic, "reader", "db.example", token)
        check("pamtester: a host name in PAM_RHOST does not satisfy client.ip",
              rc == 1 and "Authentication failure" in out, (rc, out))
        rc, out = pamtester(badarg, "reader", "127.0.0.1", token)
        check("pamtester: unknown module argument fails closed",
              rc == 1 and "Error in service module" in out, (rc, out))

    def test_reload(self):
        """pg_reload_conf() changes what new connections are checked against."""
        if self.path != "hook":
            return
        c = self.cluster
        token, _ = self.good(["service = postgres"])
        self.expect_ok("service caveat matches the configured service", token=token)
        c.sql("alter system set s2sauth.service = 'reports'")
        c.reload()
        self.expect_denied("after reload with s2sauth.service = reports, refused", "forbidden",
                           token=token)
        c.sql("alter system reset s2sauth.service")
        c.reload()
        self.expect_ok("after resetting s2sauth.service, admitted again", token=token)

        # Key rotation: a new key in the ring is used without a restart.
        new_key = os.urandom(32)
        ring = self.keys.keyring
        text = open(ring).read() + "k2 %s active\n" % pgcluster.b64url(new_key)
        tmp = ring + ".new"
        with open(tmp, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o600)
        pw = pgcluster.pwd.getpwnam(pgcluster.PG_USER)
        os.chown(tmp, pw.pw_uid, pw.pw_gid)
        os.rename(tmp, ring)
        m = pgcluster.Macaroon(location="s2sauth-test", identifier="s2s1:k2:rotated-1",
                               key=new_key)
        m.add_first_party_caveat("pg.db in orders")
        m.add_first_party_caveat("pg.role in reader")
        rotated = m.serialize()
        TOKENS.append(rotated)
        self.expect_ok("token from a key added to the ring, no restart", token=rotated)
        self.expect_ok("tokens of the old key still verify", token=token)

    def test_load_refused(self):
        """LOAD runs after authentication: the hook must refuse to be loaded so."""
        if self.path != "pam":  # the hook cluster has it preloaded already
            return
        try:
            self.cluster.sql("load '%s'" % self.hook)
            check("LOAD 's2sauth' is refused", False, "loaded")
        except subprocess.CalledProcessError as e:
            check("LOAD 's2sauth' is refused",
                  "must be loaded via shared_preload_libraries" in e.stdout, e.stdout)

    def test_log(self):
        log = self.cluster.log_text()
        if self.path == "hook":
            check("server log gives the reason of a refusal", "Reason: " in log, "")
            check("server log gives the token id", 'token id "t' in log, "")
        leaked = [t for t in TOKENS if len(t) > 20 and t[:40] in log]
        check("no token appears in the server log", not leaked, len(leaked))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--path", choices=("hook", "pam"), required=True)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: must run as root (setpriv to postgres, /etc/pam.d)")
        return SKIP
    suite = Suite(os.path.abspath(args.build), args.path)
    try:
        suite.setup()
        for name in ("basic", "bad_tokens", "client_address", "certificate_binding", "sizes",
                     "long_role", "non_ssl", "ssl_then_plaintext", "replication",
                     "broken_configuration", "reload", "pamtester", "load_refused", "log"):
            try:
                getattr(suite, "test_" + name)()
            except Exception as e:  # a crashed case is a failed case
                check(name + " raised", False, repr(e))
    finally:
        suite.teardown()
    print("%d failure(s)" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
