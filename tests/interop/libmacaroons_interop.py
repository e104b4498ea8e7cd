#!/usr/bin/python3
"""Interop between s2s and libmacaroons (Debian libmacaroons 0.3.0, V1 only).

Usage: libmacaroons_interop.py PATH/TO/s2s_macaroon_tool PATH/TO/libmacaroons_tool

  * For the same key, identifier, location and caveats, s2s writes the V1
    token libmacaroons writes, byte for byte (the README example included).
  * libmacaroons mints (first- and third-party caveats); s2s decodes it,
    recomputes the chain, and opens the vid to the derived caveat key.
  * s2s mints; libmacaroons deserializes it and verifies it with
    satisfy_exact, and refuses it with a caveat unmet or the wrong key.
  * Discharges both ways: libmacaroons' prepare_for_request output verifies in
    s2s as part of a stack; an s2s root with a third-party caveat verifies in
    libmacaroons with a discharge made by either library.
Prints one line per check and exits 1 if any failed.
"""
import binascii
import hashlib
import hmac
import json
import subprocess
import sys

S2S, LIB = sys.argv[1], sys.argv[2]
ROOT_KEY = bytes(range(1, 33))
CAVEAT_KEY = b"a caveat key shared with the third party"
CAVEATS = ["service = orders", "time < 2030-01-01T00:00:00Z", "pg.db in app,reports"]
failed = []


def check(name, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else ": " + detail))
    if not condition:
        failed.append(name)


def run(exe, *args):
    p = subprocess.run([exe, *args], capture_output=True, text=True)
    return p.returncode, p.stdout.strip(), p.stderr.strip()


def hexs(b):
    return binascii.hexlify(b).decode()


def fp_args(caveats):
    out = []
    for c in caveats:
        out += ["--fp", c]
    return out


def exact_args(caveats):
    out = []
    for c in caveats:
        out += ["--exact", c]
    return out


# The README example, and a token with caveats: identical bytes.
readme_key = hexs(b"this is our super secret key; only we should know it")
for name, key, ident, loc, cavs in [
        ("README example", readme_key, "we used our secret key", "http://mybank/", []),
        ("first-party caveats", hexs(ROOT_KEY), "s2s1:k1:tok1", "https://svc.example", CAVEATS),
        ("empty location", hexs(ROOT_KEY), "s2s1:k1:tok1", "", CAVEATS)]:
    rc1, lib_tok, err1 = run(LIB, "mint", key, ident, loc, *fp_args(cavs))
    rc2, s2s_tok, err2 = run(S2S, "mint", "v1", key, ident, loc, *fp_args(cavs))
    check(f"s2s V1 is byte-identical to libmacaroons' ({name})",
          rc1 == 0 and rc2 == 0 and lib_tok == s2s_tok, f"{lib_tok} vs {s2s_tok} {err1} {err2}")

# libmacaroons -> s2s.
rc, lib_tok, err = run(LIB, "mint", hexs(ROOT_KEY), "s2s1:k1:tok2", "https://svc.example", *fp_args(CAVEATS),
                       "--tp", "https://auth.example", hexs(CAVEAT_KEY), "caveat-id-1")
check("libmacaroons mints with a third-party caveat", rc == 0, err)
rc, out, err = run(S2S, "check", hexs(ROOT_KEY), lib_tok)
check("s2s decodes libmacaroons V1 and recomputes its chain", rc == 0, err or out)
_, lib_sig, _ = run(LIB, "signature", lib_tok)
if rc == 0:
    info = json.loads(out)
    check("s2s reads the signature libmacaroons reports", info["signature"] == lib_sig, f"{info['signature']} vs {lib_sig}")
    derived = hmac.new(b"macaroons-key-generator", CAVEAT_KEY, hashlib.sha256).hexdigest()
    check("s2s opens libmacaroons' vid to the derived caveat key", info["caveats"][3].get("caveat_key") == derived, out)
rc, lib_dis, err = run(LIB, "discharge", lib_tok, hexs(CAVEAT_KEY), "caveat-id-1", "https://auth.example",
                       "--fp", "identity = alice")
check("libmacaroons discharges and binds", rc == 0, err)
rc, stack, err = run(S2S, "stack", lib_tok, lib_dis)
check("s2s stacks libmacaroons' root and discharge", rc == 0, err)
rc, out, err = run(S2S, "verify-stack", hexs(ROOT_KEY), stack, *exact_args(CAVEATS + ["identity = alice"]))
check("s2s verifies libmacaroons' root + bound discharge", rc == 0, err or out)
rc, out, err = run(S2S, "verify-stack", hexs(ROOT_KEY), stack, *exact_args(CAVEATS))
check("s2s refuses it when the discharge's caveat is unmet", rc == 1, err or out)
rc, out, err = run(S2S, "verify-stack", hexs(bytes(32)), stack, *exact_args(CAVEATS + ["identity = alice"]))
check("s2s refuses it under the wrong root key", rc == 1, err or out)

# s2s -> libmacaroons.
rc, s2s_tok, err = run(S2S, "mint", "v1", hexs(ROOT_KEY), "s2s1:k1:tok3", "https://svc.example", *fp_args(CAVEATS))
check("s2s mints V1", rc == 0, err)
rc, out, err = run(LIB, "verify", hexs(ROOT_KEY), s2s_tok, *exact_args(CAVEATS))
check("libmacaroons verifies s2s V1", rc == 0, err or out)
rc, out, err = run(LIB, "verify", hexs(ROOT_KEY), s2s_tok, *exact_args(CAVEATS[1:]))
check("libmacaroons refuses s2s V1 with a caveat unmet", rc == 1, err or out)
rc, out, err = run(LIB, "verify", hexs(bytes(32)), s2s_tok, *exact_args(CAVEATS))
check("libmacaroons refuses s2s V1 under the wrong key", rc == 1, err or out)

rc, s2s_root, err = run(S2S, "mint", "v1", hexs(ROOT_KEY), "s2s1:k1:tok4", "https://svc.example",
                        "--fp", "service = orders", "--tp", "https://auth.example", hexs(CAVEAT_KEY), "caveat-id-2")
check("s2s mints V1 with a third-party caveat", rc == 0, err)
exact = exact_args(["service = orders", "identity = alice"])
rc, lib_dis, err = run(LIB, "discharge", s2s_root, hexs(CAVEAT_KEY), "caveat-id-2", "https://auth.example",
                       "--fp", "identity = alice")
check("libmacaroons discharges an s2s root", rc == 0, err)
rc, out, err = run(LIB, "verify", hexs(ROOT_KEY), s2s_root, *exact, "--discharge", lib_dis)
check("libmacaroons verifies an s2s third-party caveat with its own discharge", rc == 0, err or out)
rc, s2s_dis, err = run(S2S, "discharge", "v1", hexs(CAVEAT_KEY), "caveat-id-2", "https://auth.example", s2s_root,
                       "--fp", "identity = alice")
check("s2s discharges its root", rc == 0, err)
check("s2s's bound discharge is byte-identical to libmacaroons'", s2s_dis == lib_dis, f"{s2s_dis} vs {lib_dis}")
rc, out, err = run(LIB, "verify", hexs(ROOT_KEY), s2s_root, *exact, "--discharge", s2s_dis)
check("libmacaroons verifies an s2s root with an s2s discharge", rc == 0, err or out)
rc, out, err = run(LIB, "verify", hexs(ROOT_KEY), s2s_root, *exact)
check("libmacaroons refuses the s2s root without its discharge", rc == 1, err or out)

print(f"{len(failed)} failed" if failed else "all passed")
sys.exit(1 if failed else 0)
