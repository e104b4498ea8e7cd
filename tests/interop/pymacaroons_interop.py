#!/usr/bin/python3
"""Interop between s2s and pymacaroons (Debian python3-pymacaroons), both ways.

Usage: pymacaroons_interop.py PATH/TO/s2s_macaroon_tool

  * pymacaroons mints V1, V2 and V2 JSON; s2s decodes each and recomputes the
    same signature chain from the root key.
  * For the same key, identifier, location and caveats, s2s writes the same
    V1 and V2 bytes as pymacaroons, and the same V2 JSON object.
  * s2s mints in each format; pymacaroons deserializes and verifies it
    (Verifier.satisfy_exact), and refuses it when a caveat is not satisfied.
  * Third-party caveats: one added by pymacaroons opens in s2s to the derived
    caveat key, and pymacaroons' bound discharge verifies in s2s (as a V2
    stack and as a JSON array); one added by s2s is discharged by pymacaroons
    (prepare_for_request) and verifies there, and so does a discharge s2s makes.
Prints one line per check and exits 1 if any failed.
"""
import base64
import binascii
import hashlib
import hmac
import json
import subprocess
import sys

from pymacaroons import MACAROON_V1, MACAROON_V2, Macaroon, Verifier
from pymacaroons.serializers import BinarySerializer, JsonSerializer

TOOL = sys.argv[1]
ROOT_KEY = bytes(range(32))
CAVEAT_KEY = b"third party shared secret 0123456"
CAVEATS = ["service = orders", "time < 2030-01-01T00:00:00Z", "http.method in GET,HEAD"]
failed = []


def check(name, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else ": " + detail))
    if not condition:
        failed.append(name)


def tool(*args):
    p = subprocess.run([TOOL, *args], capture_output=True, text=True)
    return p.returncode, p.stdout.strip(), p.stderr.strip()


def hexs(b):
    return binascii.hexlify(b).decode()


def b64url(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def derived(key):
    return hmac.new(b"macaroons-key-generator", key, hashlib.sha256).digest()


def py_mint(version, location="https://svc.example", identifier="s2s1:k1:tok1", caveats=CAVEATS):
    m = Macaroon(location=location, identifier=identifier, key=ROOT_KEY, version=version)
    for c in caveats:
        m.add_first_party_caveat(c)
    return m


def serialize(m, fmt):
    return m.serialize(JsonSerializer()) if fmt == "v2j" else m.serialize()


def deserialize(text, fmt):
    return Macaroon.deserialize(text, JsonSerializer() if fmt == "v2j" else BinarySerializer())


def py_verifies(m, satisfied, discharges=()):
    v = Verifier()
    for c in satisfied:
        v.satisfy_exact(c)
    try:
        return v.verify(m, ROOT_KEY, discharge_macaroons=list(discharges))
    except Exception:
        return False


FORMATS = [("v1", MACAROON_V1), ("v2", MACAROON_V2), ("v2j", MACAROON_V2)]

# pymacaroons -> s2s: decode and recompute the chain.
for fmt, version in FORMATS:
    m = py_mint(version)
    rc, out, err = tool("check", hexs(ROOT_KEY), serialize(m, fmt))
    check(f"pymacaroons {fmt} decodes and its chain recomputes in s2s", rc == 0, err or out)
    if rc == 0:
        info = json.loads(out)
        check(f"pymacaroons {fmt}: same signature", info["signature"] == m.signature, out)
        check(f"pymacaroons {fmt}: same caveats", [c["id"] for c in info["caveats"]] == CAVEATS, out)
        check(f"pymacaroons {fmt}: same identifier and location",
              info["identifier"] == "s2s1:k1:tok1" and info["location"] == "https://svc.example", out)

# Same inputs -> same bytes.
for fmt, version in FORMATS:
    m = py_mint(version)
    args = ["mint", fmt, hexs(ROOT_KEY), "s2s1:k1:tok1", "https://svc.example"]
    for c in CAVEATS:
        args += ["--fp", c]
    rc, out, err = tool(*args)
    expected = serialize(m, fmt)
    if fmt == "v2j":
        check("s2s v2j is the same JSON object as pymacaroons'", rc == 0 and json.loads(out) == json.loads(expected),
              f"{out} vs {expected}")
    else:
        check(f"s2s {fmt} is byte-identical to pymacaroons'", rc == 0 and out == expected, f"{out} vs {expected}")

# s2s -> pymacaroons: deserialize and verify.
for fmt, _ in FORMATS:
    args = ["mint", fmt, hexs(ROOT_KEY), "s2s1:k1:tok2", ""]
    for c in CAVEATS:
        args += ["--fp", c]
    rc, out, err = tool(*args)
    check(f"s2s mints {fmt}", rc == 0, err)
    m = deserialize(out, fmt)
    check(f"pymacaroons verifies s2s {fmt}", py_verifies(m, CAVEATS) is True)
    check(f"pymacaroons refuses s2s {fmt} with a caveat unmet", not py_verifies(m, CAVEATS[:-1]))
    tampered = out[:-3] + ("A" if out[-3] != "A" else "B") + out[-2:] if fmt != "v2j" else out
    if fmt != "v2j":
        try:
            bad = deserialize(tampered, fmt)
            check(f"pymacaroons refuses a tampered s2s {fmt}", not py_verifies(bad, CAVEATS))
        except Exception:
            check(f"pymacaroons refuses a tampered s2s {fmt}", True)

# Third party added by pymacaroons, discharged by pymacaroons, verified by s2s.
for fmt, version in FORMATS:
    root = py_mint(version, caveats=["service = orders"])
    root.add_third_party_caveat("https://auth.example", CAVEAT_KEY, "caveat-id-1")
    rc, out, err = tool("check", hexs(ROOT_KEY), serialize(root, fmt))
    ok = rc == 0 and json.loads(out)["caveats"][1].get("caveat_key") == hexs(derived(CAVEAT_KEY))
    check(f"s2s opens a pymacaroons {fmt} vid to the derived caveat key", ok, err or out)

    d = Macaroon(location="https://auth.example", identifier="caveat-id-1", key=CAVEAT_KEY, version=MACAROON_V2)
    d.add_first_party_caveat("identity = alice")
    bound = root.prepare_for_request(d)
    if fmt == "v2":
        raw = BinarySerializer().serialize_raw
        root2 = deserialize(serialize(root, fmt), fmt)
        stack = b64url(raw(root2) + raw(bound))
        unbound = b64url(raw(root2) + raw(d))
        exact = ["--exact", "service = orders", "--exact", "identity = alice"]
        rc, out, err = tool("verify-stack", hexs(ROOT_KEY), stack, *exact)
        check("s2s verifies a pymacaroons root + bound discharge (V2 stack)", rc == 0, err or out)
        rc, out, err = tool("verify-stack", hexs(ROOT_KEY), unbound, *exact)
        check("s2s refuses a pymacaroons discharge that is not bound", rc == 1, err or out)
        rc, out, err = tool("verify-stack", hexs(ROOT_KEY), stack, "--exact", "service = orders")
        check("s2s refuses when the discharge's own caveat is unmet", rc == 1, err or out)
        js = "[" + root2.serialize(JsonSerializer()) + "," + bound.serialize(JsonSerializer()) + "]"
        rc, out, err = tool("verify-stack", hexs(ROOT_KEY), js, *exact)
        check("s2s verifies a pymacaroons root + bound discharge (JSON array)", rc == 0, err or out)

# Third party added by s2s, discharged by pymacaroons and by s2s, verified by pymacaroons.
for fmt, version in FORMATS:
    rc, root_text, err = tool("mint", fmt, hexs(ROOT_KEY), "s2s1:k1:tok3", "https://svc.example",
                              "--fp", "service = orders", "--tp", "https://auth.example", hexs(CAVEAT_KEY), "caveat-id-2")
    check(f"s2s mints {fmt} with a third-party caveat", rc == 0, err)
    root = deserialize(root_text, fmt)
    d = Macaroon(location="https://auth.example", identifier="caveat-id-2", key=CAVEAT_KEY, version=version)
    d.add_first_party_caveat("identity = alice")
    bound = root.prepare_for_request(d)
    check(f"pymacaroons verifies an s2s {fmt} third-party caveat with its own discharge",
          py_verifies(root, ["service = orders", "identity = alice"], [bound]) is True)
    check(f"pymacaroons refuses the s2s {fmt} root without the discharge",
          not py_verifies(root, ["service = orders", "identity = alice"], []))
    rc, d_text, err = tool("discharge", fmt, hexs(CAVEAT_KEY), "caveat-id-2", "https://auth.example", root_text,
                           "--fp", "identity = alice")
    check(f"s2s discharges {fmt}", rc == 0, err)
    s2s_bound = deserialize(d_text, fmt)
    check(f"pymacaroons verifies an s2s {fmt} root with an s2s discharge",
          py_verifies(root, ["service = orders", "identity = alice"], [s2s_bound]) is True)
    check(f"s2s's bound discharge equals pymacaroons' ({fmt})", s2s_bound.signature == bound.signature)

print(f"{len(failed)} failed" if failed else "all passed")
sys.exit(1 if failed else 0)
