#!/usr/bin/python3
"""make_seeds.py: writes the seed corpus of every fuzz target, tests/fuzz/corpus/<target>/.

Seeds are small, valid (and a few nearly valid) inputs that start the fuzzer
next to the interesting paths.  Tokens are minted with pymacaroons (Debian's
python3-pymacaroons, importable by /usr/bin/python3), independently of the
code under test, with the fixed key ring of tests/fuzz/fuzz_util.hpp: key
"k1" is bytes 0..31, "k0" is 32 bytes of 0x42.  The request they are judged
against is fuzz_verify's: service api, GET /v1/items/42, host
api.example.org, client 10.1.2.3, at 2026-09-21T14:13:20Z.

Re-run after changing a target's input format:  /usr/bin/python3 tests/fuzz/make_seeds.py
The output is deterministic except for third-party caveat nonces.
"""
import base64
import json
import os
import shutil

from pymacaroons import MACAROON_V1, MACAROON_V2, Macaroon
from pymacaroons.serializers import JsonSerializer

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

K1 = bytes(range(32))
K0 = b"\x42" * 32
CAVEAT_KEY = b"third-party-caveat-key-for-fuzz"

GOOD_CAVEATS = [
    "service = api",
    "http.method in GET,HEAD",
    "http.path prefix /v1/items",
    "http.host = api.example.org",
    "client.ip in 10.0.0.0/8,2001:db8::/32",
    "time < 2027-01-01T00:00:00Z",
    "time > 2026-01-01T00:00:00Z",
    "identity = svc-orders",
]
BAD_CAVEATS = [
    "time < 2026-01-01T00:00:00Z",
    "http.method in POST",
    "redis.cmd in get",
    "colour = red",
    "client.ip in 10.0.0.0/33",
]


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


def unb64(text):
    text = text if isinstance(text, bytes) else text.encode()
    return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))


def mint(key_id, key, caveats, version=MACAROON_V2, token="tok-1", location="https://api.example.org"):
    m = Macaroon(location=location, identifier="s2s1:%s:%s" % (key_id, token), key=key, version=version)
    for c in caveats:
        m.add_first_party_caveat(c)
    return m


def with_discharge(caveats, discharge_caveats, version=MACAROON_V2):
    root = mint("k1", K1, caveats, version=version, token="tok-3p")
    root.add_third_party_caveat("https://auth.example.org", CAVEAT_KEY, "discharge-1")
    discharge = Macaroon(location="https://auth.example.org", identifier="discharge-1", key=CAVEAT_KEY,
                         version=version)
    for c in discharge_caveats:
        discharge.add_first_party_caveat(c)
    return root, root.prepare_for_request(discharge)


def stack_v2(ms):
    return b64url(b"".join(unb64(m.serialize()) for m in ms))


def stack_json(ms):
    return json.dumps([json.loads(m.serialize(serializer=JsonSerializer())) for m in ms]).encode()


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def tokens():
    """name -> (credential text) for the token-shaped targets."""
    out = {}
    good_v2 = mint("k1", K1, GOOD_CAVEATS)
    good_v1 = mint("k1", K1, GOOD_CAVEATS, version=MACAROON_V1)
    out["good_v2"] = good_v2.serialize().encode()
    out["good_v1"] = good_v1.serialize().encode()
    out["good_json"] = good_v2.serialize(serializer=JsonSerializer()).encode()
    out["good_old_key"] = mint("k0", K0, GOOD_CAVEATS[:3]).serialize().encode()
    out["bare"] = mint("k1", K1, []).serialize().encode()
    out["denied_expired"] = mint("k1", K1, GOOD_CAVEATS[:2] + BAD_CAVEATS[:1]).serialize().encode()
    out["denied_unknown"] = mint("k1", K1, ["colour = red"]).serialize().encode()
    out["unknown_key"] = mint("k9", K1, GOOD_CAVEATS[:1]).serialize().encode()
    out["foreign_id"] = Macaroon(location="x", identifier="foreign", key=K1).serialize().encode()
    root, dis = with_discharge(GOOD_CAVEATS[:2], ["time < 2027-01-01T00:00:00Z"])
    out["stack_v2"] = stack_v2([root, dis])
    out["stack_json"] = stack_json([root, dis])
    root1, dis1 = with_discharge(GOOD_CAVEATS[:2], ["identity = svc-orders"], version=MACAROON_V1)
    out["root_v1_3p"] = root1.serialize().encode()
    out["stack_missing_discharge"] = stack_v2([root])
    std = out["good_v2"].replace(b"-", b"+").replace(b"_", b"/")
    out["good_v2_std_padded"] = std + b"=" * (-len(std) % 4)
    return out


def main():
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    toks = tokens()

    for name, text in toks.items():
        write("verify", name, text)
        write("stack", name, text)
        write("roundtrip", name, text)
        write("base64", name, text if not text.startswith((b"{", b"[")) else b64url(text))
        if text.startswith(b"{"):
            write("v2json", name, text)
        elif text.startswith(b"["):
            write("v2json", name, text)
        else:
            raw = unb64(text.replace(b"+", b"-").replace(b"/", b"_").rstrip(b"="))
            if raw[:1] == b"\x02":
                write("v2", name, raw)
            else:
                write("v1", name, raw)
    for name, text in [("empty", b""), ("one", b"Zg"), ("padded", b"Zm8="), ("std", b"+/+/"),
                       ("bad_bits", b"Zh"), ("mixed", b"-/"), ("space", b"Zm9v Zm9v")]:
        write("base64", name, text)

    requests = {
        "all_good": "\n".join(["!service api", "!http.method GET", "!http.path /v1/items/42",
                               "!http.host api.example.org", "!client.ip 10.1.2.3"] + GOOD_CAVEATS),
        "redis": "\n".join(["!redis.cmd GET", "!redis.key app:1", "!redis.key app:2", "!redis.user app",
                            "!present redis.channel", "redis.cmd in get,set", "redis.key prefix app:",
                            "redis.channel prefix news.", "redis.user = app"]),
        "pg": "\n".join(["!pg.db orders", "!pg.role reader", "pg.db in orders,billing", "pg.role = reader"]),
        "mtls": "\n".join(["!cert LXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIE",
                           "!spiffe spiffe://example.org/ns/prod/sa/orders",
                           "cert.sha256 = LXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIE",
                           "spiffe.id prefix spiffe://example.org/ns/prod"]),
        "ipv6_time": "\n".join(["!client.ip 2001:db8::5", "!time 1790000000", "client.ip in 2001:db8::/32",
                                "time < 2026-09-21T14:13:21.5Z", "time > 2026-09-21T14:13:19Z"]),
        "conflict": "\n".join(["identity = a", "identity = b"]),
        "denied": "\n".join(["!service api"] + BAD_CAVEATS),
    }
    for name, text in requests.items():
        write("caveat", name, text)
        write("roundtrip", "A_" + name, "A" + text)
    write("roundtrip", "A_discharge", "A" + requests["all_good"] + "\n!dis time < 2027-01-01T00:00:00Z"
          "\n!dis identity = svc-orders")
    write("roundtrip", "A_discharge_denied", "A!service api\nservice = api\n!dis http.method in POST")

    write("config", "full", "\n".join([
        "# a full configuration", "keyring /etc/s2sauth/keys", "revocation_list /etc/s2sauth/revoked",
        "service api", "max_token_bytes 8192", "max_caveats 64", "max_caveat_bytes 1024",
        "max_discharges 4", "max_depth 2", ""]))
    write("config", "mtls", "\n".join([
        "root_key_file /etc/s2sauth/root", "require_client_cert yes", "require_spiffe_id no",
        "verify_depth 4", "allow_spiffe_id spiffe://example.org/ns/prod/sa/orders",
        "allow_spiffe_prefix spiffe://example.org/ns/prod", "allow_trust_domain example.org",
        "allow_cert_sha256 LXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIE",
        "allow_spki_sha256 LXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIE",
        "allow_dns api.example.org", "allow_subject CN=orders,O=Example", ""]))
    write("config", "files", "trust_bundle /etc/ssl/ca.pem\ncrl /etc/ssl/ca.crl\n"
          "trust_bundle_spiffe example.org /etc/ssl/td.pem\n")
    write("config", "bad", "service two words\nmax_caveats 0\n")
    write("config", "dup", "service a\nservice b\n")

    write("keyring", "two", "# keys\nk0 %s verify-only\nk1 %s active\n" % (b64url(K0).decode(), b64url(K1).decode()))
    write("keyring", "padded_std", "k-2_x %s active\n" % base64.b64encode(K1).decode())
    write("keyring", "dup", "k1 %s active\nk1 %s active\n" % (b64url(K1).decode(), b64url(K0).decode()))
    write("keyring", "short_key", "k1 AAAA active\n")

    write("revocation", "list", "# revoked\ntok-1\n  tok-2\t\nsha256:abc_-\n\n")
    write("revocation", "bad", "tok 1\n")
    write("revocation", "crlf", "tok-1\r\n")

    for i, uri in enumerate(["spiffe://example.org/ns/prod/sa/orders", "spiffe://td/a",
                             "spiffe://example.org/ns/prod\nspiffe://example.org/ns/prod/sa/api",
                             "spiffe://td:443/x", "spiffe://user@td/x", "spiffe://td/a//b",
                             "spiffe://td/./x", "spiffe://TD/x", "spiffe://td/a/", "spiffe:///x",
                             "spiffe://td/%41", "example.org"]):
        write("spiffe", "id%02d" % i, uri)


if __name__ == "__main__":
    main()
