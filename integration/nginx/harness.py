"""harness.py: a throw-away nginx world on loopback for the s2sauth module.

Starts Debian's /usr/sbin/nginx (master + workers as nobody) with
`load_module <the module built in this tree>` from a temporary prefix, an
upstream that echoes the request headers it receives as JSON, a test CA with
client certificates, a key ring, and mints tokens with pymacaroons against
that key ring (the root key of an s2s identifier "s2s1:<key-id>:<token-id>"
is the raw key ring key).  Everything binds 127.0.0.1 and is stopped even when
a test fails.  Requests are made with curl, or with raw sockets where the exact
bytes of a header matter.
"""

import base64
import hashlib
import http.server
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

from pymacaroons import Macaroon

NGINX = os.environ.get("S2S_NGINX", "/usr/sbin/nginx")
MODULE = os.environ.get("S2S_NGINX_MODULE", "")
# sanitizer runtimes to preload into nginx when the module is instrumented
PRELOAD = os.environ.get("S2S_NGINX_PRELOAD", "")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw)


# --------------------------------------------------------------------------
# Upstream: echoes what nginx sends it


class EchoHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.seen.append(self.path)
        body = json.dumps({"path": self.path, "method": self.command,
                           "headers": [[k, v] for k, v in self.headers.items()]}
                          ).encode()
        self.send_response(200)
        accel = self.headers.get("X-Want-Accel")
        if accel:
            self.send_header("X-Accel-Redirect", accel)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer

    def log_message(self, *args):
        pass


class Echo:
    def __init__(self):
        self.port = free_port()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), EchoHandler)
        self.httpd.seen = []
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def seen(self):
        return self.httpd.seen

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# --------------------------------------------------------------------------
# Keys, certificates, tokens


class Pki:
    """A test CA, a server certificate and client certificates."""

    def __init__(self, d):
        self.d = d
        os.makedirs(d, exist_ok=True)
        self.ca = self._ca("ca", "s2sauth test CA")
        self.other_ca = self._ca("other-ca", "another CA")
        self.server = self._leaf("server", self.ca, "DNS:a.test,DNS:mtls.test,DNS:strict.test,"
                                 "DNS:public.test", "serverAuth")
        self.client_a = self._leaf("client-a", self.ca, "URI:spiffe://test.example/svc-a",
                                   "clientAuth")
        self.client_b = self._leaf("client-b", self.ca, "URI:spiffe://test.example/svc-b",
                                   "clientAuth")
        self.client_x = self._leaf("client-x", self.other_ca, "URI:spiffe://evil.example/x",
                                   "clientAuth")

    def _ca(self, name, cn):
        key, pem = f"{self.d}/{name}.key", f"{self.d}/{name}.pem"
        r = run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", pem,
                 "-days", "2", "-subj", f"/CN={cn}",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        assert r.returncode == 0, r.stderr
        return (pem, key)

    def _leaf(self, name, ca, san, eku):
        key, csr, pem = (f"{self.d}/{name}.key", f"{self.d}/{name}.csr",
                         f"{self.d}/{name}.pem")
        ext = f"{self.d}/{name}.ext"
        with open(ext, "w") as f:
            f.write("basicConstraints=critical,CA:FALSE\n"
                    "keyUsage=critical,digitalSignature\n"
                    f"extendedKeyUsage={eku}\nsubjectAltName={san}\n")
        r = run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
                 "-subj", f"/CN={name}"])
        assert r.returncode == 0, r.stderr
        r = run(["openssl", "x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1],
                 "-CAcreateserial", "-out", pem, "-days", "2", "-extfile", ext])
        assert r.returncode == 0, r.stderr
        return (pem, key)

    @staticmethod
    def x5t_s256(cert):
        with open(cert[0]) as f:
            der = ssl.PEM_cert_to_DER_cert(f.read())
        return b64url(hashlib.sha256(der).digest())


class Keys:
    """A key ring file and a minter for it."""

    def __init__(self, path):
        self.path = path
        self.keys = {}

    def add(self, key_id):
        self.keys[key_id] = os.urandom(32)

    def write(self, key_ids=None):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            for kid in (key_ids or self.keys):
                f.write(f"{kid} {b64url(self.keys[kid])} active\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def mint(self, caveats=(), key_id="k1", token_id=None, key=None):
        token_id = token_id or b64url(os.urandom(9))
        m = Macaroon(location="", identifier=f"s2s1:{key_id}:{token_id}",
                     key=key if key is not None else self.keys[key_id])
        for c in caveats:
            m.add_first_party_caveat(c)
        return m.serialize(), token_id


# --------------------------------------------------------------------------
# nginx


class Nginx:
    """nginx from a temporary prefix; `conf` is written by the caller."""

    def __init__(self, d):
        self.d = d
        self.conf = f"{d}/nginx.conf"
        self.proc = None

    def cmd(self, *args):
        return [NGINX, "-p", self.d + "/", "-c", self.conf] + list(args)

    def env(self):
        env = dict(os.environ)
        if PRELOAD:
            env["LD_PRELOAD"] = PRELOAD
            # abort (a worker "exited on signal", which the tests look for)
            # on any error; no leak report: nginx frees its pools by exiting
            env["ASAN_OPTIONS"] = (f"detect_leaks=0:abort_on_error=1:"
                                   f"log_path={self.d}/asan")
            env["UBSAN_OPTIONS"] = f"print_stacktrace=1:halt_on_error=1:log_path={self.d}/ubsan"
        return env

    def test(self):
        return run(self.cmd("-t"), env=self.env())

    def start(self, ports):
        r = self.test()
        if r.returncode != 0:
            raise RuntimeError("nginx -t failed:\n" + r.stderr)
        self.proc = subprocess.Popen(self.cmd("-g", "daemon off;"), env=self.env(),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 10
        for port in ports:
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if self.proc.poll() is not None:
                        raise RuntimeError("nginx exited:\n" + self.proc.stderr.read().decode())
                    if time.time() > deadline:
                        raise RuntimeError(f"nginx is not listening on {port}")
                    time.sleep(0.05)

    def reload(self):
        r = run(self.cmd("-s", "reload"), env=self.env())
        assert r.returncode == 0, r.stderr
        return r

    def worker_pids(self):
        out = run(["ps", "-o", "pid=,args=", "--ppid", str(self.proc.pid)]).stdout
        return [int(line.split()[0]) for line in out.splitlines() if "worker process" in line]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()

    def error_log(self):
        with open(f"{self.d}/error.log", errors="replace") as f:
            return f.read()

    def access_log(self):
        with open(f"{self.d}/access.log", errors="replace") as f:
            return f.read()


def make_prefix():
    d = tempfile.mkdtemp(prefix="s2s-nginx-")
    # workers run as nobody: the prefix must be traversable, the key ring not
    os.chmod(d, 0o755)
    for sub in ("tmp", "www"):
        os.makedirs(f"{d}/{sub}", exist_ok=True)
    return d


def temp_paths(d):
    return "\n".join(f"    {name}_temp_path {d}/tmp/{name};"
                     for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))


def sanitizer_reports(d):
    """What ASan/UBSan wrote in an instrumented run, if anything."""
    import glob
    text = ""
    for path in sorted(glob.glob(f"{d}/asan*") + glob.glob(f"{d}/ubsan*")):
        with open(path, errors="replace") as f:
            text += f"--- {path}\n{f.read()}"
    return text


def remove_prefix(d):
    shutil.rmtree(d, ignore_errors=True)


# --------------------------------------------------------------------------
# Clients


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (name, value)
        self.body = body

    def header(self, name):
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return values[0] if values else None

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<Response {self.status} {self.body[:200]!r}>"


def curl(url, headers=(), method=None, cert=None, interface=None, host=None, data=None,
         cookie=None, resolve=None, timeout=10):
    """One request with curl; returns a Response."""
    args = ["curl", "-s", "-k", "--path-as-is", "--max-time", str(timeout),
            "-D", "-"]
    # headers and body on stdout: split on the first blank line
    if method:
        args += ["-X", method]
    if host:
        args += ["-H", f"Host: {host}"]
    for h in headers:
        args += ["-H", h]
    if cert:
        args += ["--cert", cert[0], "--key", cert[1]]
    if interface:
        args += ["--interface", interface]
    if data is not None:
        args += ["--data-binary", data]
    if cookie:
        args += ["--cookie", cookie]
    if resolve:
        args += ["--resolve", resolve]
    args.append(url)
    r = subprocess.run(args, capture_output=True, timeout=timeout + 5)
    if r.returncode != 0:
        return Response(0, [], r.stderr.decode(errors="replace"))
    return parse_http(r.stdout)


def parse_http(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0] else 0
    headers = []
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers.append((k.strip(), v.strip()))
    return Response(status, headers, body.decode(errors="replace"))


def raw_request(port, request, tls_host=None, timeout=10):
    """Sends exact request bytes (HTTP/1.0 style: the server closes)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if tls_host is not None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        sock = ctx.wrap_socket(sock, server_hostname=tls_host or None)
    try:
        sock.sendall(request)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        sock.close()
    return parse_http(b"".join(chunks))
