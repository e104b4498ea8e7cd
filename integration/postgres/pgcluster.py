"""pgcluster.py: a throw-away PostgreSQL 15 cluster, PKI and tokens for the s2sauth tests.

Used by the integration suite (test_postgres.py) and the benchmark
(integration/bench/postgres/run.sh).  Everything lives in one temporary
directory owned by the postgres user (initdb and postgres refuse root), the
server listens on 127.0.0.1 and 127.0.0.2 on a free port with SSL on, and
stop() always runs (the callers use try/finally).

Tokens are minted with pymacaroons from a key ring key: the identifier
"s2s1:<key-id>:<token-id>" names the key, as tokens minted by the core do.
"""
import base64
import hashlib
import os
import pwd
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
import time

from pymacaroons import Macaroon

PG_BIN = "/usr/lib/postgresql/15/bin"
PG_USER = "postgres"
KEY_ID = "k1"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres():
    """setpriv prefix that runs a command as the postgres user."""
    return ["setpriv", "--reuid=" + PG_USER, "--regid=" + PG_USER, "--init-groups", "--"]


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, **kw)


class Pki:
    """A CA, a server certificate and client certificates, made with the openssl CLI."""

    def __init__(self, directory):
        self.dir = directory
        self._openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                      "-nodes", "-keyout", self.path("ca.key"), "-out", self.path("ca.crt"),
                      "-days", "2", "-subj", "/CN=s2sauth test CA",
                      "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        self.issue("server", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:127.0.0.2",
                   "serverAuth")

    def path(self, name):
        return os.path.join(self.dir, name)

    def _openssl(self, *args):
        run(["openssl"] + list(args))

    def issue(self, name, subject, san, eku, spiffe=None):
        ext = self.path(name + ".ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=critical,CA:FALSE\n")
            f.write("keyUsage=critical,digitalSignature\n")
            f.write("extendedKeyUsage=%s\n" % eku)
            if spiffe:
                f.write("subjectAltName=URI:%s\n" % spiffe)
            elif san:
                f.write(san + "\n")
        self._openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                      "-keyout", self.path(name + ".key"), "-out", self.path(name + ".csr"),
                      "-subj", subject)
        self._openssl("x509", "-req", "-in", self.path(name + ".csr"), "-CA", self.path("ca.crt"),
                      "-CAkey", self.path("ca.key"), "-CAcreateserial", "-days", "2",
                      "-extfile", ext, "-out", self.path(name + ".crt"))
        os.chmod(self.path(name + ".key"), 0o600)
        return self.path(name + ".crt"), self.path(name + ".key")

    def x5t_s256(self, name):
        """base64url SHA-256 of the DER certificate (RFC 8705), for cert.sha256 caveats."""
        der = ssl.PEM_cert_to_DER_cert(open(self.path(name + ".crt")).read())
        return b64url(hashlib.sha256(der).digest())


class Keys:
    """A key ring with one active key, a revocation list and an s2sauth config file."""

    def __init__(self, directory, service="postgres"):
        self.dir = directory
        self.root_key = os.urandom(32)
        self.keyring = os.path.join(directory, "keyring")
        self.revocations = os.path.join(directory, "revoked")
        self.config = os.path.join(directory, "s2sauth.conf")
        with open(self.keyring, "w") as f:
            f.write("%s %s active\n" % (KEY_ID, b64url(self.root_key)))
        os.chmod(self.keyring, 0o600)
        open(self.revocations, "w").close()
        os.chmod(self.revocations, 0o644)
        with open(self.config, "w") as f:
            f.write("keyring %s\nrevocation_list %s\nservice %s\n"
                    % (self.keyring, self.revocations, service))
        os.chmod(self.config, 0o644)
        self.serial = 0

    def mint(self, caveats, token_id=None):
        """Returns (token, token_id)."""
        self.serial += 1
        token_id = token_id or "t%d-%s" % (self.serial, b64url(os.urandom(6)))
        m = Macaroon(location="s2sauth-test", identifier="s2s1:%s:%s" % (KEY_ID, token_id),
                     key=self.root_key)
        for c in caveats:
            m.add_first_party_caveat(c)
        return m.serialize(), token_id

    def revoke(self, token_id):
        with open(self.revocations, "a") as f:
            f.write(token_id + "\n")


def rfc3339(offset_seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset_seconds))


class Cluster:
    """initdb + pg_ctl in a temporary directory owned by postgres."""

    def __init__(self, prefix="s2s-pg-"):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        self.port = free_port()
        self.pki = Pki(self.dir)
        self.keys = Keys(self.dir)
        pw = pwd.getpwnam(PG_USER)
        for name in os.listdir(self.dir):
            os.chown(os.path.join(self.dir, name), pw.pw_uid, pw.pw_gid)
        os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        run(as_postgres() + [PG_BIN + "/initdb", "-D", self.data, "-U", PG_USER, "-A", "peer",
                             "--no-sync", "-E", "UTF8", "--locale=C"])
        self.running = False

    def conf(self, settings, hba_lines):
        """Rewrites postgresql.auto.conf-like overrides and pg_hba.conf."""
        base = {
            "listen_addresses": "'127.0.0.1,127.0.0.2'",
            "port": str(self.port),
            "unix_socket_directories": "'%s'" % self.dir,
            "ssl": "on",
            "ssl_cert_file": "'%s'" % self.pki.path("server.crt"),
            "ssl_key_file": "'%s'" % self.pki.path("server.key"),
            "ssl_ca_file": "'%s'" % self.pki.path("ca.crt"),
            "fsync": "off",
            "max_connections": "40",
            "max_wal_senders": "4",
            "authentication_timeout": "10s",
            "log_connections": "on",
            "log_line_prefix": "'%m [%p] '",
        }
        base.update(settings)
        with open(os.path.join(self.data, "s2sauth_test.conf"), "w") as f:
            for k, v in base.items():
                f.write("%s = %s\n" % (k, v))
        conf = os.path.join(self.data, "postgresql.conf")
        text = open(conf).read()
        if "include 's2sauth_test.conf'" not in text:
            with open(conf, "a") as f:
                f.write("\ninclude 's2sauth_test.conf'\n")
        self.hba(hba_lines)

    def hba(self, lines):
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write("local all %s peer\n" % PG_USER)
            for line in lines:
                f.write(line + "\n")

    def start(self, check=True):
        """Starts the server; returns (ok, output)."""
        r = subprocess.run(as_postgres() + [PG_BIN + "/pg_ctl", "-D", self.data, "-l", self.log,
                                            "-w", "-t", "20", "start"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.running = r.returncode == 0
        if check and not self.running:
            raise RuntimeError("server did not start:\n" + r.stdout + self.log_text()[-3000:])
        return self.running, r.stdout

    def stop(self):
        """Fast shutdown; immediate if a backend does not leave (a test failed)."""
        if not self.running:
            return
        for mode, wait in (("fast", "15"), ("immediate", "15")):
            r = subprocess.run(as_postgres() + [PG_BIN + "/pg_ctl", "-D", self.data, "-m", mode,
                                                "-w", "-t", wait, "stop"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if r.returncode == 0:
                break
        self.running = False

    def reload(self):
        self.sql("select pg_reload_conf()")
        time.sleep(0.3)

    def sql(self, query, db="postgres"):
        """Runs SQL as the superuser over the Unix socket (peer authentication)."""
        r = run(as_postgres() + [PG_BIN + "/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                                 "-h", self.dir, "-p", str(self.port), "-d", db, "-c", query])
        return r.stdout.strip()

    def log_text(self):
        try:
            return open(self.log, errors="replace").read()
        except OSError:
            return ""

    def destroy(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------
# A minimal protocol-3 client, to see exactly what the server sends:
# whether it asked for a password, and the SQLSTATE of an ErrorResponse
# (libpq reports connection failures as text only).

SSL_REQUEST = struct.pack("!ii", 8, 80877103)


def _startup(user, db, extra=None):
    params = b"user\0" + user.encode() + b"\0database\0" + db.encode() + b"\0"
    for k, v in (extra or {}).items():
        params += k.encode() + b"\0" + v.encode() + b"\0"
    params += b"\0"
    return struct.pack("!ii", 8 + len(params), 196608) + params


def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def _error_fields(body):
    fields = {}
    for part in body.split(b"\0"):
        if part:
            fields[chr(part[0])] = part[1:].decode(errors="replace")
    return fields


def raw_connect(host, port, user, db, token, use_ssl=True, cert=None, extra=None, timeout=10,
                source=None):
    """Returns a dict: outcome ('ok' | 'error' | 'closed'), sqlstate, message,
    asked_password (the server sent AuthenticationCleartextPassword).
    `source` binds the client address (Linux answers 127.0.0.2 from 127.0.0.1
    unless the client binds)."""
    result = {"outcome": None, "sqlstate": None, "message": None, "asked_password": False}
    sock = socket.create_connection((host, port), timeout=timeout,
                                    source_address=(source, 0) if source else None)
    try:
        if use_ssl:
            sock.sendall(SSL_REQUEST)
            if _recv_exact(sock, 1) != b"S":
                raise RuntimeError("server refused SSL")
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            if cert:
                ctx.load_cert_chain(cert[0], cert[1])
            sock = ctx.wrap_socket(sock)
        sock.sendall(_startup(user, db, extra))
        while True:
            mtype = _recv_exact(sock, 1)
            (length,) = struct.unpack("!i", _recv_exact(sock, 4))
            body = _recv_exact(sock, length - 4)
            if mtype == b"R":
                (code,) = struct.unpack("!i", body[:4])
                if code == 3:
                    result["asked_password"] = True
                    if token is None:
                        raise RuntimeError("password asked but no token")
                    payload = token.encode() + b"\0"
                    sock.sendall(b"p" + struct.pack("!i", 4 + len(payload)) + payload)
                elif code != 0:
                    raise RuntimeError("unexpected authentication request %d" % code)
            elif mtype == b"E":
                fields = _error_fields(body)
                result.update(outcome="error", sqlstate=fields.get("C"), message=fields.get("M"))
                return result
            elif mtype == b"Z":
                result["outcome"] = "ok"
                sock.sendall(b"X\0\0\0\4")  # Terminate
                return result
    except (ConnectionError, ssl.SSLError, OSError) as e:
        if result["outcome"] is None:
            result["outcome"] = "closed"
            result["message"] = str(e)
        return result
    finally:
        sock.close()
