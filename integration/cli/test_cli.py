#!/usr/bin/python3
"""End-to-end tests of the s2sauth command-line tool.

Usage: /usr/bin/python3 test_cli.py PATH/TO/s2sauth [unittest arguments...]

Every test runs the real binary in a fresh temporary directory and checks the
exact outcome: the exit status (0 allow or success, 1 deny, 2 usage or
configuration error), what is printed on stdout (parsed when it is JSON) and
what is said on stderr.  The interop cases mint, attenuate, discharge and
verify with pymacaroons (Debian's python3-pymacaroons, importable only by
/usr/bin/python3) on one side and the CLI on the other.
"""

import base64
import datetime
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest

from pymacaroons import Macaroon, Verifier, MACAROON_V1, MACAROON_V2
from pymacaroons.serializers import JsonSerializer

CLI = None  # set from argv in main

CTX_KEYS = ["service", "client.ip", "http.method", "http.path", "http.host", "redis.cmd",
            "redis.key", "redis.channel", "redis.user", "pg.db", "pg.role"]


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def read_text(path):
    with open(path) as f:
        return f.read()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def rfc3339(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def flip_last_bit(token):
    """Flips a bit in the last byte of a binary (V1 or V2) token: the signature."""
    raw = bytearray(b64url_decode(token))
    # V1 ends its signature packet with '\n'; V2 ends with the raw signature.
    raw[-2 if raw[-1] == 0x0a else -1] ^= 0x01
    return b64url_encode(bytes(raw))


class Run:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return "rc=%d stdout=%r stderr=%r" % (self.rc, self.out, self.err)


class CliCase(unittest.TestCase):
    """A temporary directory with a key ring, a raw root key and a third-party key."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="s2s-cli-")
        self.ring = self.path("ring")
        self.root_key = self.write_key("root.key", os.urandom(32))
        self.tp_key = self.write_key("auth.key", os.urandom(32))

    def tearDown(self):
        shutil.rmtree(self.dir)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write_key(self, name, raw, mode=0o600):
        p = self.path(name)
        with open(p, "wb") as f:
            f.write(raw)
        os.chmod(p, mode)
        return p

    def run_cli(self, *args, stdin=None):
        proc = subprocess.run([CLI] + list(args), input=stdin, capture_output=True, text=True,
                              cwd=self.dir, timeout=30)
        return Run(proc)

    def ok(self, *args, stdin=None):
        r = self.run_cli(*args, stdin=stdin)
        self.assertEqual(r.rc, 0, r)
        return r.out.strip()

    def usage(self, *args, stdin=None, says=None):
        r = self.run_cli(*args, stdin=stdin)
        self.assertEqual(r.rc, 2, r)
        self.assertEqual(r.out, "", r)
        if says is not None:
            for text in ([says] if isinstance(says, str) else says):
                self.assertIn(text, r.err)
        return r

    def keygen(self, *extra, ring=None):
        return self.ok("keygen", "--keyring", ring or self.ring, *extra)

    def mint(self, *extra, ring=None):
        if ring is None and not os.path.exists(self.ring):
            self.keygen()
        return self.ok("mint", "--keyring", ring or self.ring, *extra)

    def verify(self, token, *extra, source=None, stdin=False):
        """Verifies with --json and returns (exit status, parsed decision)."""
        source = list(source or ["--keyring", self.ring])
        args = ["verify", "--json"] + source + list(extra) + ["-" if stdin else token]
        r = self.run_cli(*args, stdin=token if stdin else None)
        self.assertIn(r.rc, (0, 1), r)
        d = r.json()
        self.assertEqual(d["allowed"], r.rc == 0, r)
        return r.rc, d

    def assert_allow(self, token, *extra, source=None):
        rc, d = self.verify(token, *extra, source=source)
        self.assertEqual((rc, d["reason"]), (0, "ok"), d)
        self.assertEqual(d["failed_caveat"], "")
        return d

    def assert_deny(self, token, reason, *extra, source=None, caveat=None):
        rc, d = self.verify(token, *extra, source=source)
        self.assertEqual((rc, d["reason"]), (1, reason), d)
        if caveat is not None:
            self.assertEqual(d["failed_caveat"], caveat)
        return d

    def inspect_json(self, token):
        return json.loads(self.ok("inspect", "--json", token))


# --------------------------------------------------------------------------
# help and usage


COMMANDS = ["keygen", "mint", "attenuate", "discharge", "inspect", "verify", "revoke", "cert"]


class TestHelp(CliCase):
    def test_top_level_help_lists_every_command(self):
        for flag in ("--help", "-h"):
            r = self.run_cli(flag)
            self.assertEqual(r.rc, 0, r)
            for cmd in COMMANDS:
                self.assertIn("  " + cmd + " ", r.out)

    def test_no_arguments_is_usage_error_on_stderr(self):
        r = self.run_cli()
        self.assertEqual(r.rc, 2)
        self.assertEqual(r.out, "")
        self.assertIn("usage: s2sauth COMMAND", r.err)

    def test_version(self):
        r = self.run_cli("--version")
        self.assertEqual(r.rc, 0, r)
        self.assertRegex(r.out, r"^s2sauth \d+\.\d+\.\d+ \(ABI 1\)\n$")

    def test_unknown_command(self):
        self.usage("frobnicate", says="unknown command 'frobnicate'")

    def test_every_command_help_exits_0(self):
        for cmd in COMMANDS:
            with self.subTest(cmd=cmd):
                r = self.run_cli(cmd, "--help")
                self.assertEqual(r.rc, 0, r)
                self.assertTrue(r.out.startswith("usage: s2sauth " + cmd), r.out)
                self.assertEqual(r.err, "")

    def test_help_mentions_each_option(self):
        expected = {
            "keygen": ["--keyring", "--key-id", "--verify-only"],
            "mint": ["--keyring", "--key-id", "--root-key-file", "--identifier", "--location",
                     "--caveat", "--identity", "--ttl", "--bind-cert", "--format"],
            "attenuate": ["--third-party", "--third-party-key", "--caveat-id", "--caveat",
                          "--format"],
            "discharge": ["--key-file", "--location", "--caveat", "--ttl"],
            "inspect": ["--json"],
            "verify": ["--config", "--keyring", "--root-key-file", "--revocation-list",
                       "--service", "--ctx", "--cert", "--time", "--json"],
            "revoke": ["--revocation-list", "--token"],
        }
        for cmd, options in expected.items():
            out = self.ok(cmd, "--help")
            for opt in options:
                with self.subTest(cmd=cmd, opt=opt):
                    self.assertIn(opt, out)

    def test_unknown_option_exits_2(self):
        for cmd in COMMANDS[:-1]:
            with self.subTest(cmd=cmd):
                r = self.usage(cmd, "--no-such-option", "x")
                self.assertIn("unrecognized option '--no-such-option'", r.err)
                self.assertIn(cmd + ": unknown option", r.err)

    def test_missing_option_argument_exits_2(self):
        for args in (["keygen", "--keyring"], ["mint", "--ttl"], ["verify", "--ctx"],
                     ["revoke", "--revocation-list"], ["attenuate", "--caveat"],
                     ["discharge", "--key-file"]):
            with self.subTest(args=args):
                r = self.usage(*args)
                self.assertIn("requires an argument", r.err)

    def test_cert_without_subcommand(self):
        r = self.usage("cert")
        self.assertIn("usage: s2sauth cert inspect", r.err)
        self.usage("cert", "list", says="usage: s2sauth cert inspect")

    def test_missing_token_arguments(self):
        self.keygen()
        for cmd in ("inspect", "attenuate", "verify"):
            with self.subTest(cmd=cmd):
                self.usage(cmd, says="give one TOKEN")
        self.usage("verify", "--keyring", self.ring, "a", "b", says="give one TOKEN")
        self.usage("discharge", "--key-file", self.tp_key, "--location", "x",
                   says="give one TOKEN")
        for cmd in ("inspect", "attenuate", "verify"):
            with self.subTest(cmd=cmd, stdin="empty"):
                self.usage(cmd, "-", stdin="\n", says="empty token")


# --------------------------------------------------------------------------
# keygen


class TestKeygen(CliCase):
    def ring_lines(self, ring=None):
        with open(ring or self.ring) as f:
            return [line.split() for line in f if line.strip() and not line.startswith("#")]

    def test_creates_ring_with_mode_0600(self):
        old = os.umask(0)
        try:
            key_id = self.keygen()
        finally:
            os.umask(old)
        self.assertRegex(key_id, r"^k\d{14}(-\d+)?$")
        self.assertEqual(stat.S_IMODE(os.stat(self.ring).st_mode), 0o600)
        lines = self.ring_lines()
        self.assertEqual(len(lines), 1)
        self.assertEqual(lines[0][0], key_id)
        self.assertEqual(len(b64url_decode(lines[0][1])), 32)
        self.assertEqual(lines[0][2], "active")

    def test_appends_and_keeps_old_keys(self):
        first = self.keygen()
        token = self.mint()
        second = self.keygen()
        self.assertNotEqual(first, second)  # same second: suffixed
        lines = self.ring_lines()
        self.assertEqual([l[0] for l in lines], [first, second])
        self.assertEqual(stat.S_IMODE(os.stat(self.ring).st_mode), 0o600)
        # The old key still verifies; the newest active key mints.
        self.assertEqual(self.assert_allow(token)["key_id"], first)
        self.assertEqual(self.inspect_json(self.mint())[0]["key_id"], second)

    def test_custom_key_id(self):
        self.assertEqual(self.keygen("--key-id", "orders-2026_1"), "orders-2026_1")
        self.assertEqual(self.ring_lines()[0][0], "orders-2026_1")
        self.assertEqual(self.inspect_json(self.mint())[0]["key_id"], "orders-2026_1")

    def test_verify_only_key(self):
        self.keygen("--key-id", "active1")
        self.assertEqual(self.keygen("--key-id", "old", "--verify-only"), "old")
        self.assertEqual([(l[0], l[2]) for l in self.ring_lines()],
                         [("active1", "active"), ("old", "verify-only")])
        # The verify-only key is newer but never mints.
        self.assertEqual(self.inspect_json(self.mint())[0]["key_id"], "active1")

    def test_bad_and_duplicate_key_ids(self):
        self.keygen("--key-id", "a")
        before = read_text(self.ring)
        self.usage("keygen", "--keyring", self.ring, "--key-id", "bad id", says="invalid key id")
        self.usage("keygen", "--keyring", self.ring, "--key-id", "x" * 65, says="invalid key id")
        self.usage("keygen", "--keyring", self.ring, "--key-id", "a",
                   says="duplicate key id (a)")
        self.assertEqual(read_text(self.ring), before)

    def test_requires_keyring_and_no_extra_arguments(self):
        self.usage("keygen", says="--keyring FILE is required")
        self.usage("keygen", "--keyring", self.ring, "extra", says="--keyring FILE is required")
        self.assertFalse(os.path.exists(self.ring))

    def test_refuses_unsafe_ring_modes(self):
        self.keygen()
        secret = self.ring_lines()[0][1]
        for mode in (0o644, 0o604, 0o620, 0o602, 0o666):
            with self.subTest(mode=oct(mode)):
                os.chmod(self.ring, mode)
                before = read_text(self.ring)
                r = self.usage("keygen", "--keyring", self.ring)
                self.assertIn("ring has mode %04o" % mode, r.err)
                self.assertIn("chmod 600 " + self.ring, r.err)
                self.assertNotIn(secret, r.err)
                self.assertEqual(read_text(self.ring), before)
                self.assertEqual(stat.S_IMODE(os.stat(self.ring).st_mode), mode)

    def test_group_readable_ring_is_accepted(self):
        self.keygen()
        os.chmod(self.ring, 0o640)
        self.keygen()
        self.assertEqual(len(self.ring_lines()), 2)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to own files as another user")
    def test_keeps_owner_and_group(self):
        # root adds a key to a ring a service reads as its own user.
        self.keygen()
        os.chown(self.ring, 65534, 65534)
        self.keygen()
        st = os.stat(self.ring)
        self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)), (65534, 65534, 0o600))
        self.assertEqual(len(self.ring_lines()), 2)

    def test_writes_through_a_symlink(self):
        real = self.path("real-ring")
        self.keygen(ring=real)
        os.symlink("real-ring", self.ring)
        self.keygen()
        self.assertTrue(os.path.islink(self.ring))
        self.assertEqual(len(self.ring_lines(real)), 2)
        self.assertEqual(stat.S_IMODE(os.stat(real).st_mode), 0o600)

    def test_unwritable_location(self):
        self.usage("keygen", "--keyring", self.path("no/such/dir/ring"))

    def test_malformed_ring(self):
        with open(self.ring, "w") as f:
            f.write("k1 notbase64 active\n")
        os.chmod(self.ring, 0o600)
        r = self.usage("keygen", "--keyring", self.ring)
        self.assertIn(self.ring, r.err)


# --------------------------------------------------------------------------
# mint, inspect, attenuate


class TestMint(CliCase):
    def test_formats(self):
        self.keygen()
        v2 = self.mint("--caveat", "service = a")
        self.assertTrue(v2.startswith("Ag"), v2)
        self.assertEqual(self.mint("--format", "v2", "--caveat", "service = a")[:2], "Ag")
        v1 = self.mint("--format", "v1", "--caveat", "service = a")
        self.assertTrue(v1.startswith("MD"), v1)
        self.assertIn(b"cid service = a\n", b64url_decode(v1))
        v2j = json.loads(self.mint("--format", "v2j", "--caveat", "service = a"))
        self.assertEqual(v2j["c"], [{"i": "service = a"}])
        self.assertTrue(v2j["i"].startswith("s2s1:"))
        self.assertEqual(len(b64url_decode(v2j["s64"])), 32)
        self.assertTrue(json.loads(self.mint("--format", "json"))["i"].startswith("s2s1:"))
        for token in (v1, v2, json.dumps(v2j)):
            self.assert_allow(token, "--ctx", "service=a")

    def test_caveat_options_in_order(self):
        before = int(time.time())
        token = self.mint("--identity", "alice", "--caveat", "service = orders",
                          "--caveat", "http.method in GET,HEAD", "--ttl", "15m",
                          "--location", "https://orders.internal")
        after = int(time.time())
        m = self.inspect_json(token)[0]
        self.assertEqual(m["role"], "root")
        self.assertEqual(m["location"], "https://orders.internal")
        cavs = [c["caveat"] for c in m["caveats"]]
        self.assertEqual(cavs[:3], ["identity = alice", "service = orders",
                                    "http.method in GET,HEAD"])
        self.assertEqual(len(cavs), 4)
        self.assertIn(cavs[3], ["time < " + rfc3339(t + 900) for t in range(before, after + 1)])
        d = self.assert_allow(token, "--ctx", "service=orders", "--ctx", "http.method=HEAD")
        self.assertEqual(d["identity"], "alice")
        self.assertEqual(d["token_id"], m["token_id"])

    def test_ttl_units(self):
        for ttl, secs in (("300", 300), ("90s", 90), ("15m", 900), ("2h", 7200), ("7d", 604800)):
            with self.subTest(ttl=ttl):
                now = int(time.time())
                cav = self.inspect_json(self.mint("--ttl", ttl))[0]["caveats"][0]["caveat"]
                t = datetime.datetime.strptime(cav[len("time < "):], "%Y-%m-%dT%H:%M:%SZ")
                expiry = int(t.replace(tzinfo=datetime.timezone.utc).timestamp())
                self.assertLessEqual(abs(expiry - now - secs), 2)

    def test_bad_ttl_and_format(self):
        self.keygen()
        for ttl in ("0", "0s", "-5", "5x", "m", "1h30m", "", "9999999999999", " 5"):
            with self.subTest(ttl=ttl):
                self.usage("mint", "--keyring", self.ring, "--ttl", ttl, says="--ttl takes")
        self.usage("mint", "--keyring", self.ring, "--format", "v3",
                   says="--format takes v1, v2 or v2j")

    def test_ttl_past_year_9999_is_refused(self):
        # The caveat language ends at 9999-12-31T23:59:59Z: a longer TTL would
        # mint a token that no verifier accepts.
        self.keygen()
        self.usage("mint", "--keyring", self.ring, "--ttl", "99999999999d",
                   says="--ttl ends after 9999-12-31T23:59:59Z")
        self.usage("mint", "--keyring", self.ring, "--ttl", "3000000d",
                   says="--ttl ends after 9999-12-31T23:59:59Z")
        self.assert_allow(self.mint("--ttl", "2900000d"))

    def test_caveat_text_is_not_judged_at_mint(self):
        # mint also serves verifiers elsewhere, whose caveat language may
        # differ: any caveat text is minted, and s2sauth verify judges it.
        token = self.mint("--caveat", "bad\ncaveat")
        self.assert_deny(token, "caveat_malformed", caveat="bad\\x0acaveat")

    def test_empty_option_values_are_errors(self):
        # `--ttl "$TTL"` with TTL unset must not mint a token without expiry.
        self.keygen()
        self.usage("mint", "--keyring", self.ring, "--ttl", "", says="--ttl takes")
        self.usage("mint", "--keyring", self.ring, "--identity", "",
                   says="--identity takes a non-empty name")
        self.usage("mint", "--keyring", self.ring, "--bind-cert", "", says="cannot read")
        token = self.mint()
        for opt in ("--ttl", "--identity", "--bind-cert"):
            with self.subTest(opt=opt):
                self.usage("attenuate", opt, "", token)
                self.usage("discharge", "--key-file", self.tp_key, "--location", "x", opt, "",
                           token)

    def test_identity_option_is_single_valued(self):
        # The last --identity wins; two identities need two --caveat options.
        token = self.mint("--identity", "a", "--identity", "b")
        self.assertEqual([c["caveat"] for c in self.inspect_json(token)[0]["caveats"]],
                         ["identity = b"])

    def test_key_selection(self):
        self.keygen("--key-id", "k1")
        self.keygen("--key-id", "k2")
        self.assertEqual(self.inspect_json(self.mint())[0]["key_id"], "k2")
        self.assertEqual(self.inspect_json(self.mint("--key-id", "k1"))[0]["key_id"], "k1")
        self.usage("mint", "--keyring", self.ring, "--key-id", "nope")

    def test_verify_only_key_cannot_mint(self):
        self.keygen("--key-id", "k1")
        self.keygen("--key-id", "old", "--verify-only")
        self.usage("mint", "--keyring", self.ring, "--key-id", "old",
                   says=["key is verify-only (old)", "mint with an active key"])
        only = self.path("only")
        self.keygen("--verify-only", ring=only)
        self.usage("mint", "--keyring", only, says="no active key in the key ring")

    def test_each_token_has_a_fresh_token_id(self):
        ids = {self.inspect_json(self.mint())[0]["token_id"] for _ in range(5)}
        self.assertEqual(len(ids), 5)
        for tid in ids:
            self.assertRegex(tid, r"^[A-Za-z0-9_-]{16,64}$")

    def test_key_source_usage_errors(self):
        self.keygen()
        self.usage("mint", says="exactly one of --keyring and --root-key-file")
        self.usage("mint", "--keyring", self.ring, "--root-key-file", self.root_key,
                   says="exactly one of --keyring and --root-key-file")
        self.usage("mint", "--keyring", self.ring, "--identifier", "x",
                   says="--identifier goes with --root-key-file")
        self.usage("mint", "--root-key-file", self.root_key,
                   says="--root-key-file needs --identifier")
        self.usage("mint", "--root-key-file", self.path("missing"), "--identifier", "x",
                   says="cannot read root key file " + self.path("missing"))
        empty = self.write_key("empty", b"")
        self.usage("mint", "--root-key-file", empty, "--identifier", "x",
                   says="cannot read root key file")
        self.usage("mint", "--keyring", self.ring, "extra", says="unexpected argument")
        self.usage("mint", "--keyring", self.path("missing-ring"))
        os.chmod(self.ring, 0o644)
        self.usage("mint", "--keyring", self.ring, says="mode 0644")

    def test_root_key_file_with_identifier(self):
        self.keygen()
        for fmt in ("v1", "v2", "v2j"):
            with self.subTest(fmt=fmt):
                token = self.ok("mint", "--root-key-file", self.root_key, "--identifier",
                                "order-42", "--location", "https://x", "--caveat",
                                "service = a", "--format", fmt)
                m = self.inspect_json(token)[0]
                self.assertEqual(m["identifier"], "order-42")
                self.assertNotIn("key_id", m)
                self.assertEqual(m["location"], "https://x")
                d = self.assert_allow(token, "--ctx", "service=a",
                                      source=["--root-key-file", self.root_key])
                self.assertEqual(d["token_id"], "order-42")
                # The key ring knows nothing about a foreign identifier.
                self.assert_deny(token, "unknown_key", "--ctx", "service=a")


class TestInspect(CliCase):
    def test_human(self):
        self.keygen("--key-id", "k1")
        token = self.mint("--location", "https://o", "--identity", "bob", "--ttl", "1h",
                          "--caveat", "time > 2000-01-01T00:00:00Z")
        tid = self.inspect_json(token)[0]["token_id"]
        out = self.ok("inspect", token)
        lines = out.splitlines()
        self.assertEqual(lines[0], "macaroon (root)")
        self.assertIn("  location:   https://o", lines)
        self.assertIn("  identifier: s2s1:k1:" + tid, lines)
        self.assertIn("  key id:     k1", lines)
        self.assertIn("  token id:   " + tid, lines)
        self.assertIn("  caveats:    3", lines)
        self.assertIn("    - identity = bob", lines)
        self.assertRegex(out, r"    - time < \S+Z  \(expires in 3[56]\d\ds\)")
        self.assertIn("    - time > 2000-01-01T00:00:00Z", lines)
        self.assertRegex(out, r"  signature:  [0-9a-f]{64}\n?")

    def test_human_notes_expired_and_future(self):
        token = self.mint("--caveat", "time < 2001-01-01T00:00:00Z",
                          "--caveat", "time > 2999-01-01T00:00:00Z")
        out = self.ok("inspect", token)
        self.assertIn("    - time < 2001-01-01T00:00:00Z  (expired)", out)
        self.assertRegex(out, r"    - time > 2999-01-01T00:00:00Z  \(valid in \d+s\)")

    def test_json(self):
        self.keygen("--key-id", "k1")
        token = self.mint("--location", "loc", "--caveat", "service = a", "--format", "v1")
        doc = self.inspect_json(token)
        self.assertIsInstance(doc, list)
        self.assertEqual(len(doc), 1)
        m = doc[0]
        self.assertEqual(set(m), {"role", "location", "identifier", "key_id", "token_id",
                                  "caveats", "signature"})
        self.assertEqual(m["role"], "root")
        self.assertEqual(m["identifier"], "s2s1:k1:" + m["token_id"])
        self.assertEqual(m["caveats"], [{"caveat": "service = a"}])
        self.assertRegex(m["signature"], r"^[0-9a-f]{64}$")

    def test_same_token_any_format_same_inspection(self):
        v2j = self.mint("--format", "v2j", "--caveat", "service = a")
        m = self.inspect_json(v2j)[0]
        pm = Macaroon.deserialize(v2j, serializer=JsonSerializer())
        self.assertEqual(m["signature"], pm.signature)
        self.assertEqual(self.inspect_json(pm.serialize())[0], m)

    def test_stdin(self):
        token = self.mint("--caveat", "service = a")
        self.assertEqual(self.ok("inspect", "-", stdin=token + "\n"), self.ok("inspect", token))
        self.assertEqual(self.ok("inspect", "--json", "-", stdin=token + "\r\n \t"),
                         self.ok("inspect", "--json", token))

    def test_malformed(self):
        for bad in ("garbage!", "MDA", "{}", "[]", "Ag", "AgEA"):
            with self.subTest(token=bad):
                self.usage("inspect", bad, says="inspect: malformed")

    def test_json_keeps_utf8(self):
        token = self.mint("--identity", "jos\u00e9")
        m = self.inspect_json(token)[0]
        self.assertEqual(m["caveats"], [{"caveat": "identity = jos\u00e9"}])
        self.assertEqual(self.assert_allow(token)["identity"], "jos\u00e9")
        self.assertIn("identity = jos\\xc3\\xa9", self.ok("inspect", token))

    def test_json_escapes_binary_identifier(self):
        raw_id = "bin\x01\x7f\u00e9\t\"\\"
        token = self.ok("mint", "--root-key-file", self.root_key, "--identifier", raw_id)
        self.assertEqual(self.inspect_json(token)[0]["identifier"], raw_id)
        # Bytes that are not UTF-8 (a lone 0xff, a surrogate, an overlong '/')
        # become U+FFFD; the output stays valid JSON.
        token = self.ok("mint", "--root-key-file", self.root_key, "--identifier",
                        b"a\xffb\xed\xa0\x80c\xc0\xafd")
        self.assertEqual(self.inspect_json(token)[0]["identifier"],
                         "a\ufffdb\ufffd\ufffd\ufffdc\ufffd\ufffdd")
        self.assertIn("identifier: a\\xffb", self.ok("inspect", token))


class TestAttenuate(CliCase):
    def test_keeps_format_and_adds_caveats(self):
        self.keygen()
        for fmt, prefix in (("v1", "MD"), ("v2", "Ag"), ("v2j", "{")):
            with self.subTest(fmt=fmt):
                token = self.mint("--format", fmt, "--caveat", "service = a")
                narrowed = self.ok("attenuate", "--caveat", "http.method in GET",
                                   "--identity", "carol", token)
                self.assertTrue(narrowed.startswith(prefix), narrowed)
                before, after = self.inspect_json(token)[0], self.inspect_json(narrowed)[0]
                self.assertEqual(after["token_id"], before["token_id"])
                self.assertEqual([c["caveat"] for c in after["caveats"]],
                                 ["service = a", "identity = carol", "http.method in GET"])
                self.assertNotEqual(after["signature"], before["signature"])
                # Both restrictions hold on the result; the original is unchanged.
                d = self.assert_allow(narrowed, "--ctx", "service=a", "--ctx", "http.method=GET")
                self.assertEqual(d["identity"], "carol")
                self.assert_deny(narrowed, "caveat_unsatisfied", "--ctx", "service=a",
                                 "--ctx", "http.method=POST", caveat="http.method in GET")
                self.assert_deny(narrowed, "context_missing", "--ctx", "service=a",
                                 caveat="http.method in GET")
                self.assert_allow(token, "--ctx", "service=a", "--ctx", "http.method=POST")

    def test_format_override_and_stdin(self):
        token = self.mint("--format", "v1")
        out = self.ok("attenuate", "--format", "v2j", "--ttl", "1h", "-", stdin=token + "\n")
        self.assertIn("time < ", json.loads(out)["c"][0]["i"])
        self.assert_allow(out)
        self.usage("attenuate", "--format", "v9", token, says="--format takes")

    def test_ttl_shortens(self):
        token = self.mint("--ttl", "7d")
        short = self.ok("attenuate", "--ttl", "60", token)
        later = rfc3339(int(time.time()) + 3600)
        self.assert_allow(token, "--time", later)
        self.assert_deny(short, "expired", "--time", later)

    def test_cannot_widen_by_dropping_caveats(self):
        token = self.mint("--format", "v2j", "--caveat", "service = a")
        doc = json.loads(self.ok("attenuate", "--caveat", "pg.db in x", token))
        doc["c"] = doc["c"][:1]
        self.assert_deny(json.dumps(doc), "bad_signature", "--ctx", "service=a")

    def test_errors(self):
        self.keygen()
        self.usage("attenuate", "garbage!", says="attenuate: malformed")
        token = self.mint()
        # A caveat over the verifier's 4 KiB limit is minted, and refused at verify.
        big = self.ok("attenuate", "--caveat", "service = " + "x" * 5000, token)
        self.assert_deny(big, "too_large")
        self.usage("attenuate", "--ttl", "soon", token, says="--ttl takes")
        self.usage("attenuate", "--third-party", "https://a", token,
                   says="--third-party needs --third-party-key and --caveat-id")
        self.usage("attenuate", "--third-party", "https://a", "--caveat-id", "c",
                   "--third-party-key", self.path("nope"), token,
                   says="cannot read third-party key file")


# --------------------------------------------------------------------------
# verify


# One caveat per context key: a value that meets it and one that does not.
CTX_CASES = [
    ("service", "service = orders", "orders", "orders2"),
    ("client.ip", "client.ip in 10.0.0.0/8,2001:db8::/32", "10.1.2.3", "11.0.0.1"),
    ("client.ip", "client.ip in 10.0.0.0/8,2001:db8::/32", "2001:db8::7", "2001:db9::1"),
    ("http.method", "http.method in GET,HEAD", "GET", "POST"),
    ("http.path", "http.path prefix /v1/orders", "/v1/orders/7", "/v1/ordersX"),
    ("http.host", "http.host = api.internal", "api.internal", "api.internal.evil"),
    ("redis.cmd", "redis.cmd in get,set", "GET", "DEL"),
    ("redis.key", "redis.key prefix orders:", "orders:1", "users:1"),
    ("redis.channel", "redis.channel prefix news.", "news.eu", "chat.eu"),
    ("redis.user", "redis.user = app", "app", "admin"),
    ("pg.db", "pg.db in shop", "shop", "shop2"),
    ("pg.role", "pg.role in reader,writer", "writer", "admin"),
]


class TestVerify(CliCase):
    def test_allow_output(self):
        self.keygen("--key-id", "k1")
        token = self.mint("--identity", "alice", "--caveat", "service = a")
        tid = self.inspect_json(token)[0]["token_id"]
        r = self.run_cli("verify", "--keyring", self.ring, "--ctx", "service=a", token)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.out, "allow: ok (allowed)\n  identity:  alice\n  token id:  %s\n"
                         "  key id:    k1\n" % tid)
        self.assertEqual(r.err, "")
        rc, d = self.verify(token, "--ctx", "service=a")
        self.assertEqual(d, {"allowed": True, "reason": "ok", "detail": "allowed",
                             "identity": "alice", "token_id": tid, "key_id": "k1",
                             "spiffe_id": "", "failed_caveat": ""})

    def test_deny_output(self):
        token = self.mint("--caveat", "service = a")
        r = self.run_cli("verify", "--keyring", self.ring, "--ctx", "service=b", token)
        self.assertEqual(r.rc, 1, r)
        self.assertTrue(r.out.startswith("deny: caveat_unsatisfied ("), r.out)
        self.assertIn("\n  caveat:    service = a\n", r.out)
        self.assertEqual(r.err, "")

    def test_stdin(self):
        token = self.mint("--caveat", "service = a")
        self.verify(token, "--ctx", "service=a", stdin=True)
        rc, d = self.verify(token + "\n", "--ctx", "service=a", stdin=True)
        self.assertEqual((rc, d["reason"]), (0, "ok"))
        rc, d = self.verify(token, "--ctx", "service=b", stdin=True)
        self.assertEqual((rc, d["reason"]), (1, "caveat_unsatisfied"))

    def test_each_context_key(self):
        self.assertEqual({case[0] for case in CTX_CASES}, set(CTX_KEYS))
        help_text = self.ok("verify", "--help")
        for key in CTX_KEYS:
            self.assertIn(key, help_text)
        for key, caveat, good, bad in CTX_CASES:
            with self.subTest(caveat=caveat, good=good):
                token = self.mint("--caveat", caveat)
                self.assert_allow(token, "--ctx", "%s=%s" % (key, good))
                self.assert_deny(token, "caveat_unsatisfied", "--ctx", "%s=%s" % (key, bad),
                                 caveat=caveat)
                self.assert_deny(token, "context_missing", caveat=caveat)
                other = "pg.db" if key != "pg.db" else "pg.role"
                self.assert_deny(token, "context_missing", "--ctx", other + "=x", caveat=caveat)

    def test_multi_valued_redis_key(self):
        token = self.mint("--caveat", "redis.key prefix a:,b:")
        self.assert_allow(token, "--ctx", "redis.key=a:1", "--ctx", "redis.key=b:2")
        self.assert_deny(token, "caveat_unsatisfied", "--ctx", "redis.key=a:1",
                         "--ctx", "redis.key=c:3")

    def test_service_option_sets_service(self):
        token = self.mint("--caveat", "service = orders")
        self.assert_allow(token, "--service", "orders")
        self.assert_deny(token, "caveat_unsatisfied", "--service", "billing")
        # An explicit --ctx service wins over the configured one.
        self.assert_allow(token, "--service", "billing", "--ctx", "service=orders")

    def test_bad_ctx(self):
        token = self.mint()
        for arg in ("nokey", "color=red", "=x", "Service=a"):
            with self.subTest(ctx=arg):
                self.usage("verify", "--keyring", self.ring, "--ctx", arg, token,
                           says="--ctx takes KEY=VALUE with a known key: " + arg)

    def test_time_option(self):
        token = self.mint("--caveat", "time > 2030-01-01T00:00:00Z",
                          "--caveat", "time < 2030-02-01T00:00:00Z")
        self.assert_deny(token, "not_yet_valid", "--time", "2029-12-31T23:59:59Z",
                         caveat="time > 2030-01-01T00:00:00Z")
        self.assert_allow(token, "--time", "2030-01-15T12:00:00Z")
        # `time < T` means expired at and after T.
        self.assert_deny(token, "expired", "--time", "2030-02-01T00:00:00Z",
                         caveat="time < 2030-02-01T00:00:00Z")
        self.assert_allow(token, "--time", "2030-01-31T23:59:59Z")
        leap = self.mint("--caveat", "time < 2028-03-01T00:00:00Z")
        self.assert_allow(leap, "--time", "2028-02-29T23:59:59Z")
        for bad in ("yesterday", "2030-01-15", "2030-01-15T12:00:00", "2030-01-15 12:00:00Z",
                    "2030-01-15T12:00:00+01:00", "2030-01-15T12:00:00Zjunk",
                    "2030-02-30T00:00:00Z", "2030-1-5T1:2:3Z", " 2030-01-15T12:00:00Z",
                    "2030-01-15T24:00:00Z", "2030-01-15T23:59:60Z", ""):
            with self.subTest(time=bad):
                self.usage("verify", "--keyring", self.ring, "--time", bad, token,
                           says="--time takes YYYY-MM-DDTHH:MM:SSZ")

    def test_deny_reasons(self):
        self.keygen("--key-id", "k1")
        rl = self.path("revoked")
        token = self.mint("--caveat", "service = a")
        revoked = self.mint()
        self.ok("revoke", "--revocation-list", rl, "--token", revoked)
        cases = [
            ("revoked", revoked, ["--revocation-list", rl], ""),
            ("expired", self.mint("--caveat", "time < 2020-01-01T00:00:00Z"), [],
             "time < 2020-01-01T00:00:00Z"),
            ("not_yet_valid", self.mint("--caveat", "time > 2999-01-01T00:00:00Z"), [],
             "time > 2999-01-01T00:00:00Z"),
            ("bad_signature", flip_last_bit(token), ["--ctx", "service=a"], ""),
            ("bad_signature", flip_last_bit(self.mint("--format", "v1")), [], ""),
            ("caveat_unsatisfied", token, ["--ctx", "service=b"], "service = a"),
            ("context_missing", token, [], "service = a"),
            ("caveat_unknown", self.mint("--caveat", "color = red"), [], "color = red"),
            ("caveat_unknown", self.mint("--caveat", "service ~ a"), [], "service ~ a"),
            ("caveat_malformed", self.mint("--caveat", "time < tomorrow"), [],
             "time < tomorrow"),
            ("identity_conflict", self.mint("--identity", "a", "--caveat", "identity = b"), [],
             None),
            ("malformed", "MDA", [], ""),
            ("malformed", "AgEA", [], ""),
            ("malformed", "{\"i\":\"x\"}", [], ""),
            ("malformed", "not a token", [], ""),
            ("malformed", token + "AA", ["--ctx", "service=a"], ""),
        ]
        # A tampered caveat (signature kept) in V2 JSON.
        doc = json.loads(self.mint("--format", "v2j", "--caveat", "service = a"))
        doc["c"][0]["i"] = "service = b"
        cases.append(("bad_signature", json.dumps(doc), ["--ctx", "service=b"], ""))
        # Signed by another ring's key with the same key id.
        other = self.path("other-ring")
        self.keygen("--key-id", "k1", ring=other)
        cases.append(("bad_signature", self.mint(ring=other), [], ""))
        # A key id this ring does not have.
        self.keygen("--key-id", "k9", ring=self.path("ring9"))
        cases.append(("unknown_key", self.mint(ring=self.path("ring9")), [], ""))
        for reason, tok, extra, caveat in cases:
            with self.subTest(reason=reason, token=tok[:40]):
                d = self.assert_deny(tok, reason, *extra, caveat=caveat)
                self.assertNotEqual(d["detail"], "")
                self.assertNotIn(tok, json.dumps(d))

    def test_too_large(self):
        token = self.mint("--format", "v2j")
        doc = json.loads(token)
        doc["l"] = "x" * 70000
        rc, d = self.verify(json.dumps(doc), stdin=True)
        self.assertEqual((rc, d["reason"]), (1, "too_large"))

    def test_key_sources(self):
        token = self.mint("--caveat", "service = a")
        self.usage("verify", token, says="no verification key")
        self.usage("verify", "--keyring", self.path("missing"), token,
                   says=["cannot open file", self.path("missing")])
        conf = self.path("s2s.conf")
        with open(conf, "w") as f:
            f.write("# test\nkeyring %s\nservice a\n" % self.ring)
        self.assert_allow(token, source=["--config", conf])
        # Options add to the configuration file.
        rl = self.path("rl")
        self.ok("revoke", "--revocation-list", rl, "--token", token)
        self.assert_deny(token, "revoked", source=["--config", conf, "--revocation-list", rl])

    def test_empty_option_values_are_errors(self):
        # `--config "$CONF"` with CONF unset must not verify without the file.
        token = self.mint()
        cases = [("--config", "cannot open file"), ("--time", "--time takes"),
                 ("--cert", "cannot read"), ("--revocation-list", "a value is required"),
                 ("--service", "a value is required")]
        for opt, says in cases:
            with self.subTest(opt=opt):
                self.usage("verify", "--keyring", self.ring, opt, "", token, says=says)
        for opt in ("--keyring", "--root-key-file"):
            with self.subTest(opt=opt):
                self.usage("verify", opt, "", token, says="a value is required")

    def test_root_key_file_mode(self):
        token = self.ok("mint", "--root-key-file", self.root_key, "--identifier", "i")
        self.assert_allow(token, source=["--root-key-file", self.root_key])
        os.chmod(self.root_key, 0o644)
        self.usage("verify", "--root-key-file", self.root_key, token,
                   says=["root.key has mode 0644", "chmod 600"])

    def test_bad_configuration(self):
        token = self.mint()
        cases = [
            ("bogus 1\n", ["unknown directive \"bogus\"", ":1)"]),
            ("keyring %s\nmax_caveats lots\n" % self.ring, [":2"]),
            ("keyring %s\nkeyring %s\n" % (self.ring, self.ring), [":2"]),
            ("service\n", [":1"]),
            ("keyring %s\n" % self.path("missing-ring"), ["missing-ring"]),
        ]
        for i, (text, says) in enumerate(cases):
            with self.subTest(config=text):
                conf = self.path("bad%d.conf" % i)
                with open(conf, "w") as f:
                    f.write(text)
                r = self.usage("verify", "--config", conf, token, says=says)
                self.assertTrue(r.err.startswith("s2sauth: verify: "), r.err)
        self.usage("verify", "--config", self.path("none.conf"), token,
                   says=["cannot open file", "none.conf"])
        self.usage("verify", "--keyring", self.ring, "--revocation-list", self.path("none.rl"),
                   token, says=["cannot open file", "none.rl"])
        os.chmod(self.ring, 0o666)
        self.usage("verify", "--keyring", self.ring, token, says="ring has mode 0666")


class TestRevoke(CliCase):
    def test_by_token_id_then_verify_says_revoked(self):
        self.keygen()
        token = self.mint()
        tid = self.inspect_json(token)[0]["token_id"]
        rl = self.path("revoked.txt")
        self.assertEqual(self.ok("revoke", "--revocation-list", rl, tid), "revoked " + tid)
        with open(rl) as f:
            self.assertIn(tid, f.read().split())
        d = self.assert_deny(token, "revoked", "--revocation-list", rl)
        self.assertEqual(d["token_id"], tid)
        # Another token is unaffected; an attenuated copy is revoked too.
        self.assert_allow(self.mint(), "--revocation-list", rl)
        self.assert_deny(self.ok("attenuate", "--ttl", "1h", token), "revoked",
                         "--revocation-list", rl)

    def test_by_token_from_stdin(self):
        token = self.mint("--format", "v2j")
        rl = self.path("rl")
        tid = self.inspect_json(token)[0]["token_id"]
        self.assertEqual(self.ok("revoke", "--revocation-list", rl, "--token", "-",
                                 stdin=token + "\n"), "revoked " + tid)
        self.assert_deny(token, "revoked", "--revocation-list", rl)

    def test_appends(self):
        rl = self.path("rl")
        t1, t2 = self.mint(), self.mint()
        self.ok("revoke", "--revocation-list", rl, "--token", t1)
        self.ok("revoke", "--revocation-list", rl, "--token", t2)
        self.assert_deny(t1, "revoked", "--revocation-list", rl)
        self.assert_deny(t2, "revoked", "--revocation-list", rl)

    def test_foreign_token(self):
        # A token minted elsewhere is revoked by the id the verifier gives it:
        # its identifier when short printable ASCII, else a digest of it.
        rl = self.path("rl")
        self.ok("revoke", "--revocation-list", rl, "unrelated")
        src = ["--root-key-file", self.root_key, "--revocation-list", rl]
        for ident in ("order-42", "has space", "x" * 300):
            with self.subTest(identifier=ident[:20]):
                token = self.ok("mint", "--root-key-file", self.root_key, "--identifier", ident)
                expected = self.assert_allow(token, source=src)["token_id"]
                if len(ident) > 256 or " " in ident:
                    self.assertRegex(expected, r"^sha256:[A-Za-z0-9_-]{43}$")
                else:
                    self.assertEqual(expected, ident)
                self.assertEqual(self.ok("revoke", "--revocation-list", rl, "--token", token),
                                 "revoked " + expected)
                self.assert_deny(token, "revoked", source=src)

    def test_errors(self):
        rl = self.path("rl")
        self.usage("revoke", "--revocation-list", rl, says="give exactly one token id")
        self.usage("revoke", "--revocation-list", rl, "a", "b", says="give exactly one token id")
        self.usage("revoke", "abc", says="--revocation-list FILE is required")
        self.usage("revoke", "--revocation-list", rl, "bad id", says="invalid token id")
        self.usage("revoke", "--revocation-list", rl, "--token", "MDA", "abc",
                   says="not both")
        self.usage("revoke", "--revocation-list", rl, "--token", "garbage!",
                   says="revoke: malformed")
        self.usage("revoke", "--revocation-list", self.path("no/dir/rl"), "abc")
        self.assertFalse(os.path.exists(rl))


# --------------------------------------------------------------------------
# certificates: cert inspect, --bind-cert and verify --cert


LEAF_EXT = """basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
subjectAltName=URI:spiffe://example.org/svc/%s
"""


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True,
                   timeout=60)


class TestCert(CliCase):
    @classmethod
    def setUpClass(cls):
        # A CA and two client leaves, made once with the openssl tool.
        cls.pki = tempfile.mkdtemp(prefix="s2s-cli-pki-")
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-subj",
                "/CN=test-ca", "-days", "2", "-addext", "basicConstraints=critical,CA:true",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=cls.pki)
        for name in ("a", "b"):
            with open(os.path.join(cls.pki, name + ".ext"), "w") as f:
                f.write(LEAF_EXT % name)
            openssl("req", *ec, "-keyout", name + ".key", "-out", name + ".csr", "-subj",
                    "/CN=client-" + name, cwd=cls.pki)
            openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                    "-CAcreateserial", "-days", "1", "-extfile", name + ".ext", "-out",
                    name + ".pem", cwd=cls.pki)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.pki)

    def pem(self, name):
        return os.path.join(self.pki, name + ".pem")

    def x5t(self, name):
        der = subprocess.run(["openssl", "x509", "-in", self.pem(name), "-outform", "DER"],
                             check=True, capture_output=True).stdout
        return b64url_encode(hashlib.sha256(der).digest())

    def config(self):
        conf = self.path("mtls.conf")
        with open(conf, "w") as f:
            f.write("keyring %s\ntrust_bundle %s\n" % (self.ring, self.pem("ca")))
        return ["--config", conf]

    def test_cert_inspect(self):
        out = self.ok("cert", "inspect", self.pem("a"))
        self.assertIn("subject:      CN=client-a\n", out + "\n")
        self.assertIn("issuer:       CN=test-ca", out)
        self.assertIn("spiffe id:    spiffe://example.org/svc/a", out)
        self.assertIn("x5t#S256:     " + self.x5t("a"), out)
        self.assertIn("(valid now)", out)

    def test_cert_inspect_errors_exit_2(self):
        self.usage("cert", "inspect", self.path("missing.pem"), says="missing.pem")
        junk = self.write_key("junk.pem", b"not a certificate\n")
        self.usage("cert", "inspect", junk, says="junk.pem")
        self.usage("cert", "inspect", self.pem("a"), self.pem("b"), says="usage:")

    def test_bound_token(self):
        token = self.mint("--bind-cert", self.pem("a"), "--caveat", "service = a")
        caveat = "cert.sha256 = " + self.x5t("a")
        self.assertEqual(self.inspect_json(token)[0]["caveats"], [{"caveat": "service = a"},
                                                            {"caveat": caveat}])
        src = self.config()
        d = self.assert_allow(token, "--ctx", "service=a", "--cert", self.pem("a"), source=src)
        self.assertEqual(d["spiffe_id"], "spiffe://example.org/svc/a")
        self.assert_deny(token, "cert_mismatch", "--ctx", "service=a", "--cert", self.pem("b"),
                         source=src, caveat=caveat)
        self.assert_deny(token, "cert_required", "--ctx", "service=a", source=src,
                         caveat=caveat)
        # Without a trust bundle the certificate is not verified.
        self.assert_deny(token, "cert_untrusted", "--ctx", "service=a", "--cert", self.pem("a"),
                         caveat=caveat)

    def test_attenuate_binds(self):
        token = self.ok("attenuate", "--bind-cert", self.pem("b"), self.mint())
        self.assert_allow(token, "--cert", self.pem("b"), source=self.config())
        self.assert_deny(token, "cert_mismatch", "--cert", self.pem("a"), source=self.config())

    def test_spiffe_caveat(self):
        token = self.mint("--caveat", "spiffe.id prefix spiffe://example.org/svc")
        self.assert_allow(token, "--cert", self.pem("b"), source=self.config())
        token = self.mint("--caveat", "spiffe.id = spiffe://example.org/svc/a")
        self.assert_deny(token, "cert_mismatch", "--cert", self.pem("b"), source=self.config())

    def test_bad_cert_files(self):
        self.keygen()
        self.usage("mint", "--keyring", self.ring, "--bind-cert", self.path("missing.pem"),
                   says="missing.pem")
        junk = self.write_key("junk.pem", b"junk\n")
        self.usage("mint", "--keyring", self.ring, "--bind-cert", junk,
                   says="no PEM certificate found")
        token = self.mint()
        self.usage("verify", "--keyring", self.ring, "--cert", self.path("missing.pem"), token,
                   says="cannot read")
        self.usage("verify", "--keyring", self.ring, "--cert", junk, token,
                   says="no PEM certificate found")


# --------------------------------------------------------------------------
# interop with pymacaroons


def py_verifier(*exact, general=None):
    v = Verifier()
    for c in exact:
        v.satisfy_exact(c)
    if general is not None:
        v.satisfy_general(general)
    return v


def time_not_expired(caveat):
    if not caveat.startswith("time < "):
        return False
    t = datetime.datetime.strptime(caveat[len("time < "):], "%Y-%m-%dT%H:%M:%SZ")
    return t.replace(tzinfo=datetime.timezone.utc).timestamp() > time.time()


class TestPymacaroonsInterop(CliCase):
    def py_mint(self, version, caveats, identifier="py-id-1", location="https://py"):
        key = read_bytes(self.root_key)
        m = Macaroon(location=location, identifier=identifier, key=key, version=version)
        for c in caveats:
            m.add_first_party_caveat(c)
        return m

    def encodings(self, caveats, **kw):
        v1 = self.py_mint(MACAROON_V1, caveats, **kw).serialize()
        v2m = self.py_mint(MACAROON_V2, caveats, **kw)
        return {"v1": v1, "v2": v2m.serialize(),
                "v2j": v2m.serialize(serializer=JsonSerializer())}

    def test_pymacaroons_mints_s2sauth_verifies(self):
        src = ["--root-key-file", self.root_key]
        caveats = ["service = orders", "http.method in GET", "time < 2999-01-01T00:00:00Z"]
        for fmt, token in self.encodings(caveats).items():
            with self.subTest(fmt=fmt):
                d = self.assert_allow(token, "--ctx", "service=orders",
                                      "--ctx", "http.method=GET", source=src)
                self.assertEqual(d["token_id"], "py-id-1")
                self.assertEqual(d["key_id"], "")
                self.assert_deny(token, "caveat_unsatisfied", "--ctx", "service=orders",
                                 "--ctx", "http.method=PUT", source=src,
                                 caveat="http.method in GET")
                self.assert_deny(token, "expired", "--ctx", "service=orders", "--ctx",
                                 "http.method=GET", "--time", "2999-01-01T00:00:00Z",
                                 source=src, caveat="time < 2999-01-01T00:00:00Z")
                other = self.write_key("other.key", os.urandom(32))
                self.assert_deny(token, "bad_signature", "--ctx", "service=orders",
                                 "--ctx", "http.method=GET", source=["--root-key-file", other])
                # s2sauth reads what pymacaroons wrote, field for field.
                m = self.inspect_json(token)[0]
                self.assertEqual(m["identifier"], "py-id-1")
                self.assertEqual(m["location"], "https://py")
                self.assertEqual([c["caveat"] for c in m["caveats"]], caveats)

    def test_pymacaroons_caveats_s2sauth_does_not_know(self):
        src = ["--root-key-file", self.root_key]
        for fmt, token in self.encodings(["account = 3735928559"]).items():
            with self.subTest(fmt=fmt):
                self.assert_deny(token, "caveat_unknown", source=src,
                                 caveat="account = 3735928559")

    def test_s2sauth_attenuates_pymacaroons_token(self):
        src = ["--root-key-file", self.root_key]
        for fmt, token in self.encodings(["service = orders"]).items():
            with self.subTest(fmt=fmt):
                narrowed = self.ok("attenuate", "--caveat", "pg.role in reader", token)
                self.assert_allow(narrowed, "--ctx", "service=orders", "--ctx",
                                  "pg.role=reader", source=src)
                self.assert_deny(narrowed, "caveat_unsatisfied", "--ctx", "service=orders",
                                 "--ctx", "pg.role=writer", source=src)

    def s2s_token(self, fmt, *caveats):
        return self.ok("mint", "--root-key-file", self.root_key, "--identifier", "s2s-id",
                       "--location", "https://s2s", "--format", fmt, *caveats)

    @staticmethod
    def py_load(token):
        if token.startswith("{"):
            return Macaroon.deserialize(token, serializer=JsonSerializer())
        return Macaroon.deserialize(token)

    def test_s2sauth_mints_pymacaroons_verifies(self):
        key = read_bytes(self.root_key)
        for fmt in ("v1", "v2", "v2j"):
            with self.subTest(fmt=fmt):
                token = self.s2s_token(fmt, "--caveat", "service = orders", "--ttl", "1h")
                token = self.ok("attenuate", "--caveat", "http.method in GET", token)
                m = self.py_load(token)
                ident = m.identifier
                self.assertEqual(ident if isinstance(ident, bytes) else ident.encode(), b"s2s-id")
                self.assertEqual(m.location, "https://s2s")
                self.assertEqual(m.signature, self.inspect_json(token)[0]["signature"])
                v = py_verifier("service = orders", "http.method in GET",
                                general=time_not_expired)
                self.assertTrue(v.verify(m, key))
                # An unmet caveat fails in pymacaroons too.
                with self.assertRaises(Exception):
                    py_verifier("service = orders", general=time_not_expired).verify(m, key)
                # So does a wrong key.
                with self.assertRaises(Exception):
                    v.verify(m, os.urandom(32))

    def test_tampered_fails_in_pymacaroons(self):
        key = read_bytes(self.root_key)
        doc = json.loads(self.s2s_token("v2j", "--caveat", "service = orders"))
        doc["c"][0]["i"] = "service = billing"
        m = Macaroon.deserialize(json.dumps(doc), serializer=JsonSerializer())
        with self.assertRaises(Exception):
            py_verifier("service = billing").verify(m, key)
        for fmt in ("v1", "v2"):
            with self.subTest(fmt=fmt):
                m = self.py_load(flip_last_bit(self.s2s_token(fmt, "--caveat", "service = a")))
                with self.assertRaises(Exception):
                    py_verifier("service = a").verify(m, key)

    def test_same_inputs_same_signature(self):
        caveats = ["service = orders", "pg.db in shop"]
        py = self.py_mint(MACAROON_V2, caveats, identifier="s2s-id", location="https://s2s")
        ours = self.s2s_token("v2", "--caveat", caveats[0], "--caveat", caveats[1])
        self.assertEqual(ours, py.serialize())


# --------------------------------------------------------------------------
# third-party caveats and discharges


def split_v2_stack(token):
    """Splits a concatenated V2 binary stack into the base64url of each macaroon."""
    raw = b64url_decode(token)
    out, pos = [], 0

    def varint(p):
        shift = n = 0
        while True:
            b = raw[p]
            p += 1
            n |= (b & 0x7f) << shift
            shift += 7
            if not b & 0x80:
                return n, p

    while pos < len(raw):
        start = pos
        assert raw[pos] == 2
        pos += 1
        sections = 0
        while True:
            field = raw[pos]
            pos += 1
            if field == 0:  # end of a section
                sections += 1
                # header, caveats (each ended by EOS), then the empty caveat list end
                if sections >= 2 and raw[pos] == 6:
                    pos += 1
                    n, pos = varint(pos)
                    pos += n
                    break
                continue
            n, pos = varint(pos)
            pos += n
        out.append(b64url_encode(raw[start:pos]))
    return out


class TestThirdParty(CliCase):
    LOC = "https://auth.internal"

    def root_with_tp(self, *extra, cid="user-is-bob", key=None):
        token = self.mint("--caveat", "service = a", *extra)
        return self.ok("attenuate", "--third-party", self.LOC, "--third-party-key",
                       key or self.tp_key, "--caveat-id", cid, token)

    def discharge(self, token, *extra, key=None, location=None):
        return self.ok("discharge", "--key-file", key or self.tp_key, "--location",
                       location or self.LOC, *extra, token)

    def test_attenuate_adds_third_party_caveat(self):
        token = self.root_with_tp()
        m = self.inspect_json(token)[0]
        self.assertEqual(m["caveats"][0], {"caveat": "service = a"})
        tp = m["caveats"][1]
        self.assertEqual(tp["third_party"], self.LOC)
        self.assertEqual(tp["caveat_id"], "user-is-bob")
        self.assertEqual(tp["vid_bytes"], 72)  # 24-byte nonce + 32-byte key + 16-byte tag
        self.assertIn("    - third party at %s: caveat id user-is-bob (vid 72 bytes)" % self.LOC,
                      self.ok("inspect", token))

    def test_discharge_inspect_and_verify(self):
        root = self.root_with_tp()
        stack = self.discharge(root, "--ttl", "1h", "--caveat", "service = a")
        self.assertTrue(stack.startswith("Ag"))
        doc = self.inspect_json(stack)
        self.assertEqual([m["role"] for m in doc], ["root", "discharge"])
        self.assertEqual(doc[0]["signature"], self.inspect_json(root)[0]["signature"])
        dis = doc[1]
        self.assertEqual(dis["location"], self.LOC)
        self.assertEqual(dis["identifier"], "user-is-bob")
        self.assertEqual(dis["caveats"][0], {"caveat": "service = a"})
        self.assertTrue(dis["caveats"][1]["caveat"].startswith("time < "))
        self.assertEqual(dis["discharges"], {"macaroon": 0, "caveat": 1})
        self.assertNotIn("discharges", doc[0])
        human = self.ok("inspect", stack)
        self.assertTrue(human.startswith("macaroon (root)\n"))
        self.assertIn("\ndischarge 1: for caveat id user-is-bob (caveat 2 of the root)\n"
                      "  location:   %s\n  identifier: user-is-bob\n" % self.LOC, human)
        d = self.assert_allow(stack, "--ctx", "service=a")
        self.assertEqual(d["token_id"], doc[0]["token_id"])
        rc, d = self.verify(stack, "--ctx", "service=a", stdin=True)
        self.assertEqual(rc, 0)
        # The discharge's own caveats are checked against the same context.
        stack = self.discharge(root, "--caveat", "pg.db in shop")
        self.assert_allow(stack, "--ctx", "service=a", "--ctx", "pg.db=shop")
        self.assert_deny(stack, "context_missing", "--ctx", "service=a", caveat="pg.db in shop")
        self.assert_deny(stack, "caveat_unsatisfied", "--ctx", "service=a", "--ctx", "pg.db=x",
                         caveat="pg.db in shop")

    def test_third_party_asserts_identity(self):
        # Bob, who trusts the third party, learns the principal from the token.
        stack = self.discharge(self.root_with_tp(), "--identity", "bob")
        self.assertEqual(self.assert_allow(stack, "--ctx", "service=a")["identity"], "bob")
        stack = self.discharge(self.root_with_tp("--identity", "alice"), "--identity", "bob")
        self.assert_deny(stack, "identity_conflict", "--ctx", "service=a",
                         caveat="identity = bob")

    def test_root_alone_is_discharge_missing(self):
        self.assert_deny(self.root_with_tp(), "discharge_missing", "--ctx", "service=a")

    def test_expired_discharge(self):
        stack = self.discharge(self.root_with_tp(), "--caveat", "time < 2020-01-01T00:00:00Z")
        self.assert_deny(stack, "expired", "--ctx", "service=a",
                         caveat="time < 2020-01-01T00:00:00Z")
        stack = self.discharge(self.root_with_tp(), "--ttl", "1h")
        self.assert_deny(stack, "expired", "--ctx", "service=a",
                         "--time", rfc3339(int(time.time()) + 7200))

    def test_discharge_with_wrong_key(self):
        wrong = self.write_key("wrong.key", os.urandom(32))
        stack = self.discharge(self.root_with_tp(), key=wrong)
        self.assert_deny(stack, "discharge_invalid", "--ctx", "service=a")

    def test_discharge_of_another_root(self):
        root1, root2 = self.root_with_tp(), self.root_with_tp()
        d1 = split_v2_stack(self.discharge(root1))[1]
        mixed = b64url_encode(b64url_decode(root2) + b64url_decode(d1))
        self.assert_deny(mixed, "discharge_invalid", "--ctx", "service=a")

    def test_discharge_for_root_in_other_formats(self):
        for fmt in ("v1", "v2j"):
            with self.subTest(fmt=fmt):
                root = self.root_with_tp("--format", fmt)
                stack = self.discharge(root)
                self.assert_allow(stack, "--ctx", "service=a")
                # The root and its discharge as a V2 JSON array.
                parts = split_v2_stack(stack)
                arr = "[" + ",".join(Macaroon.deserialize(p).serialize(
                    serializer=JsonSerializer()) for p in parts) + "]"
                self.assert_allow(arr, "--ctx", "service=a")

    def test_two_third_parties_discharged_in_turn(self):
        other_key = self.write_key("other-tp.key", os.urandom(32))
        root = self.root_with_tp()
        root = self.ok("attenuate", "--third-party", "https://second", "--third-party-key",
                       other_key, "--caveat-id", "second-cid", root)
        first = self.discharge(root)
        self.assert_deny(first, "discharge_missing", "--ctx", "service=a")
        both = self.discharge(first, key=other_key, location="https://second")
        self.assertEqual([m["identifier"] for m in self.inspect_json(both)],
                         [self.inspect_json(root)[0]["identifier"], "user-is-bob", "second-cid"])
        self.assert_allow(both, "--ctx", "service=a")
        self.assertEqual([m.get("discharges") for m in self.inspect_json(both)],
                         [None, {"macaroon": 0, "caveat": 1}, {"macaroon": 0, "caveat": 2}])

    def test_nested_third_party_caveat(self):
        # The first third party's discharge (made and bound by pymacaroons)
        # itself asks a second third party; `s2sauth discharge` finds that
        # nested caveat in the stack, and both discharges bind to the root.
        second_key = self.write_key("second.key", os.urandom(32))
        tp = read_bytes(self.tp_key)
        src = ["--root-key-file", self.root_key]
        root = self.ok("mint", "--root-key-file", self.root_key, "--identifier", "r",
                       "--caveat", "service = a")
        root = self.ok("attenuate", "--third-party", self.LOC, "--third-party-key",
                       self.tp_key, "--caveat-id", "first-cid", root)
        pm = Macaroon.deserialize(root)
        d1 = Macaroon(location=self.LOC, identifier="first-cid", key=tp, version=MACAROON_V2)
        d1.add_third_party_caveat("https://second", read_bytes(second_key), "nested-cid")
        stack = b64url_encode(b64url_decode(root) +
                              b64url_decode(pm.prepare_for_request(d1).serialize()))
        self.assert_deny(stack, "discharge_missing", "--ctx", "service=a", source=src)
        full = self.discharge(stack, "--caveat", "pg.db in shop", key=second_key,
                              location="https://second")
        self.assert_allow(full, "--ctx", "service=a", "--ctx", "pg.db=shop", source=src)
        self.assert_deny(full, "caveat_unsatisfied", "--ctx", "service=a", "--ctx", "pg.db=x",
                         source=src, caveat="pg.db in shop")
        doc = self.inspect_json(full)
        self.assertEqual([m.get("discharges") for m in doc],
                         [None, {"macaroon": 0, "caveat": 1}, {"macaroon": 1, "caveat": 0}])
        self.assertIn("discharge 2: for caveat id nested-cid (caveat 1 of discharge 1)",
                      self.ok("inspect", full))

    def test_unasked_discharge_is_shown_and_denied(self):
        root = self.root_with_tp()
        extra = self.root_with_tp(cid="other-cid")
        d_extra = split_v2_stack(self.discharge(extra))[1]
        stack = self.discharge(root)
        mixed = b64url_encode(b64url_decode(stack) + b64url_decode(d_extra))
        self.assertIn("discharge 2: no third-party caveat asks for it",
                      self.ok("inspect", mixed))
        self.assertIsNone(self.inspect_json(mixed)[2]["discharges"])
        self.assert_deny(mixed, "discharge_unused", "--ctx", "service=a")

    def test_discharging_twice_adds_nothing(self):
        stack = self.discharge(self.root_with_tp())
        self.usage("discharge", "--key-file", self.tp_key, "--location", self.LOC, stack,
                   says="no undischarged third-party caveat for " + self.LOC)

    def test_discharge_errors(self):
        root = self.root_with_tp()
        self.usage("discharge", "--key-file", self.tp_key, "--location", "https://elsewhere",
                   root, says="no undischarged third-party caveat for https://elsewhere")
        self.usage("discharge", "--location", self.LOC, root,
                   says="--key-file and --location are required")
        self.usage("discharge", "--key-file", self.tp_key, root,
                   says="--key-file and --location are required")
        self.usage("discharge", "--key-file", self.path("nope"), "--location", self.LOC, root,
                   says="cannot read key file")
        self.usage("discharge", "--key-file", self.tp_key, "--location", self.LOC, "garbage!",
                   says="discharge: malformed")
        self.usage("discharge", "--key-file", self.tp_key, "--location", self.LOC,
                   "--ttl", "never", root, says="--ttl takes")

    def test_discharge_from_stdin(self):
        root = self.root_with_tp()
        stack = self.ok("discharge", "--key-file", self.tp_key, "--location", self.LOC, "-",
                        stdin=root + "\n")
        self.assert_allow(stack, "--ctx", "service=a")

    # ---- interop -----------------------------------------------------------

    def test_pymacaroons_third_party_s2sauth_discharges(self):
        key = read_bytes(self.root_key)
        tp = read_bytes(self.tp_key)
        src = ["--root-key-file", self.root_key]
        for version, serializer in ((MACAROON_V2, None), (MACAROON_V2, JsonSerializer()),
                                    (MACAROON_V1, None)):
            with self.subTest(version=version, json=serializer is not None):
                m = Macaroon(location="https://py", identifier="py-root", key=key,
                             version=version)
                m.add_first_party_caveat("service = a")
                m.add_third_party_caveat(self.LOC, tp, "py-cid")
                token = m.serialize(serializer=serializer) if serializer else m.serialize()
                self.assert_deny(token, "discharge_missing", "--ctx", "service=a", source=src)
                stack = self.discharge(token, "--ttl", "1h")
                self.assert_allow(stack, "--ctx", "service=a", source=src)
                # pymacaroons verifies the s2sauth discharge too.
                parts = split_v2_stack(stack)
                root, dis = Macaroon.deserialize(parts[0]), Macaroon.deserialize(parts[1])
                self.assertTrue(py_verifier("service = a", general=time_not_expired).verify(
                    root, key, discharge_macaroons=[dis]))
                wrong = self.write_key("w.key", os.urandom(32))
                bad = self.discharge(token, key=wrong)
                self.assert_deny(bad, "discharge_invalid", "--ctx", "service=a", source=src)

    def test_s2sauth_third_party_pymacaroons_discharges(self):
        key = read_bytes(self.root_key)
        tp = read_bytes(self.tp_key)
        src = ["--root-key-file", self.root_key]
        for fmt in ("v1", "v2", "v2j"):
            with self.subTest(fmt=fmt):
                root = self.ok("mint", "--root-key-file", self.root_key, "--identifier",
                               "s2s-root", "--caveat", "service = a", "--format", fmt)
                root = self.ok("attenuate", "--third-party", self.LOC, "--third-party-key",
                               self.tp_key, "--caveat-id", "s2s-cid", root)
                pm = Macaroon.deserialize(root, serializer=JsonSerializer()) \
                    if fmt == "v2j" else Macaroon.deserialize(root)
                caveat = pm.third_party_caveats()[0]
                self.assertEqual(caveat.location, self.LOC)
                dis = Macaroon(location=self.LOC, identifier=caveat.caveat_id, key=tp,
                               version=MACAROON_V2)
                dis.add_first_party_caveat("http.method in GET")
                bound = pm.prepare_for_request(dis)
                # pymacaroons accepts the stack.
                self.assertTrue(py_verifier("service = a", "http.method in GET").verify(
                    pm, key, discharge_macaroons=[bound]))
                # s2sauth accepts it as a V2 JSON array of pymacaroons' JSON ...
                arr = "[%s,%s]" % (self.v2json(pm), bound.serialize(serializer=JsonSerializer()))
                self.assert_allow(arr, "--ctx", "service=a", "--ctx", "http.method=GET",
                                  source=src)
                self.assert_deny(arr, "caveat_unsatisfied", "--ctx", "service=a", "--ctx",
                                 "http.method=PUT", source=src, caveat="http.method in GET")
                # ... and as concatenated V2 binary, base64url.
                cat = b64url_encode(b64url_decode(self.v2bin(pm)) +
                                    b64url_decode(bound.serialize()))
                self.assert_allow(cat, "--ctx", "service=a", "--ctx", "http.method=GET",
                                  source=src)
                # An unbound discharge is refused.
                arr = "[%s,%s]" % (self.v2json(pm), dis.serialize(serializer=JsonSerializer()))
                self.assert_deny(arr, "discharge_invalid", "--ctx", "service=a", "--ctx",
                                 "http.method=GET", source=src)

    def v2json(self, pm):
        # The root in V2 JSON whatever format it came in: s2sauth converts.
        return self.ok("attenuate", "--format", "v2j", pm.serialize())

    def v2bin(self, pm):
        return self.ok("attenuate", "--format", "v2", pm.serialize())


def main():
    global CLI
    if len(sys.argv) < 2:
        sys.exit("usage: test_cli.py PATH/TO/s2sauth [unittest args]")
    CLI = os.path.abspath(sys.argv[1])
    if not os.access(CLI, os.X_OK):
        sys.exit("test_cli.py: %s is not executable" % CLI)
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)


if __name__ == "__main__":
    main()
