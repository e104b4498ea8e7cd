// test_verify_matrix.cpp: the hostile-token matrix, end to end through s2s_verify.
//
// Each case builds one token (most by hand, byte by byte, so that the broken
// rule is the only thing wrong with it), verifies it against a fixed context,
// and checks the exact reason.  A case that expects a deny also checks that
// the decision is not an allow.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "base64.hpp"
#include "crypto.hpp"
#include "macaroon/caveat_eval.hpp"
#include "macaroon/macaroon.hpp"
#include "s2sauth.h"

// cmocka last: it defines macros (fail) that clash with the C++ library.
extern "C" {
#include <cmocka.h>
}

namespace {

using s2s::Digest;
using s2s::Macaroon;

const int64_t kNow = 1796000000;  // 2026-11-29T...Z, fixed so time cases are exact

struct Fixture {
    std::string dir;
    std::string revoked_path;
    s2s_keyring *kr = nullptr;
    s2s_verifier *v = nullptr;
    s2s_context *ctx = nullptr;
    s2s_decision *d = nullptr;
    Digest derived{};     // of key "k1"
    Digest other{};       // of an unrelated key, same id
};

Fixture *F;

Digest derive(const std::string &raw) {
    Digest d{};
    s2s::derive_root_key(raw, d);
    return d;
}

const std::string kRaw1(32, '\x11');
const std::string kRawOther(32, '\x22');

void write_text(const std::string &path, const std::string &text) {
    std::ofstream(path, std::ios::binary) << text;
}

std::string b64(const std::string &bytes) { return s2s::base64url_encode(bytes); }

// A signed macaroon on key k1 with an s2s identifier.
Macaroon signed_macaroon(const std::vector<std::string> &caveats, const std::string &token_id = "tok1",
                         const Digest *key = nullptr) {
    Macaroon m;
    s2s::macaroon_init(m, key ? *key : F->derived, s2s::make_identifier("k1", token_id), "loc");
    for (const auto &c : caveats) s2s::add_first_party(m, c);
    return m;
}

std::string v2(const Macaroon &m) {
    std::string bytes;
    s2s::encode_v2(m, bytes);
    return b64(bytes);
}

std::string v1(const Macaroon &m) {
    std::string bytes;
    s2s::encode_v1(m, bytes);
    return b64(bytes);
}

// ---- a hand writer for V2 binary, to build tokens the encoder refuses to ----
struct V2Writer {
    std::string out = std::string(1, '\x02');
    V2Writer &varint(uint64_t v) {
        while (v >= 0x80) {
            out += char((v & 0x7f) | 0x80);
            v >>= 7;
        }
        out += char(v);
        return *this;
    }
    V2Writer &field(int type, const std::string &data) {
        varint(uint64_t(type));
        varint(data.size());
        out += data;
        return *this;
    }
    V2Writer &eos() {
        out += '\0';
        return *this;
    }
};

std::string sig_bytes(const Macaroon &m) {
    return std::string(reinterpret_cast<const char *>(m.signature.data()), m.signature.size());
}

// ---- V1 packets by hand ----
std::string packet(const std::string &key, const std::string &value) {
    char hdr[5];
    snprintf(hdr, sizeof hdr, "%04zx", 4 + key.size() + 1 + value.size() + 1);
    return std::string(hdr) + key + " " + value + "\n";
}

struct Case {
    const char *name;
    std::function<std::string()> token;
    s2s_reason expect;
    std::function<void()> context = nullptr;  // extra facts for this case
};

std::string stack_of(const std::vector<const Macaroon *> &ms) {
    std::string text;
    s2s::encode_stack(ms, text);
    return text;
}

// A root with one third-party caveat for `cid`, and its caveat key.
Macaroon root_with_tp(const std::string &cid, const std::string &caveat_key,
                      const std::vector<std::string> &first = {}) {
    Macaroon m = signed_macaroon(first);
    s2s::add_third_party(m, "https://auth.example", caveat_key, cid);
    return m;
}

Macaroon discharge_for(const std::string &cid, const std::string &caveat_key,
                       const std::vector<std::string> &caveats = {}) {
    Macaroon d;
    s2s::macaroon_init(d, derive(caveat_key), cid, "https://auth.example");
    for (const auto &c : caveats) s2s::add_first_party(d, c);
    return d;
}

std::string fmt_time(int64_t t) { return s2s::format_rfc3339_utc(t); }

std::vector<Case> cases() {
    const std::string tp_key = "third-party-key";
    std::vector<Case> c;
    c.push_back({"valid v2", [] { return v2(signed_macaroon({"service = orders"})); }, S2S_REASON_OK});
    c.push_back({"valid v1", [] { return v1(signed_macaroon({"service = orders"})); }, S2S_REASON_OK});
    c.push_back({"valid v2 json", [] {
                     std::string t;
                     s2s::encode_v2_json(signed_macaroon({"service = orders"}), t);
                     return t;
                 }, S2S_REASON_OK});
    c.push_back({"flipped signature bit", [] {
                     Macaroon m = signed_macaroon({"service = orders"});
                     m.signature[7] ^= 0x04;
                     return v2(m);
                 }, S2S_REASON_BAD_SIGNATURE});
    for (size_t n : {size_t(0), size_t(16), size_t(31), size_t(33)}) {
        c.push_back({"signature of wrong length", [n] {
                         Macaroon m = signed_macaroon({});
                         V2Writer w;
                         w.field(1, "loc").field(2, m.identifier).eos().eos();
                         w.field(6, std::string(n, 'A'));
                         return b64(w.out);
                     }, S2S_REASON_MALFORMED});
    }
    c.push_back({"all-zero signature", [] {
                     Macaroon m = signed_macaroon({});
                     m.signature.fill(0);
                     return v2(m);
                 }, S2S_REASON_BAD_SIGNATURE});
    c.push_back({"no signature field", [] {
                     Macaroon m = signed_macaroon({});
                     V2Writer w;
                     w.field(1, "loc").field(2, m.identifier).eos().eos();
                     return b64(w.out);
                 }, S2S_REASON_MALFORMED});
    c.push_back({"wrong key, same key id", [] {
                     return v2(signed_macaroon({}, "tok1", &F->other));
                 }, S2S_REASON_BAD_SIGNATURE});
    c.push_back({"unknown key id", [] {
                     Macaroon m;
                     s2s::macaroon_init(m, F->derived, s2s::make_identifier("nokey", "t"), "");
                     return v2(m);
                 }, S2S_REASON_UNKNOWN_KEY});
    c.push_back({"foreign identifier without a root key", [] {
                     Macaroon m;
                     s2s::macaroon_init(m, F->derived, "just-an-identifier", "");
                     return v2(m);
                 }, S2S_REASON_UNKNOWN_KEY});
    c.push_back({"revoked", [] { return v2(signed_macaroon({}, "revoked-token")); },
                 S2S_REASON_REVOKED});
    c.push_back({"expired", [] { return v2(signed_macaroon({"time < " + fmt_time(kNow - 60)})); },
                 S2S_REASON_EXPIRED});
    c.push_back({"time < exactly now", [] { return v2(signed_macaroon({"time < " + fmt_time(kNow)})); },
                 S2S_REASON_EXPIRED});
    c.push_back({"time < one second ahead", [] {
                     return v2(signed_macaroon({"time < " + fmt_time(kNow + 1)}));
                 }, S2S_REASON_OK});
    c.push_back({"not yet valid", [] { return v2(signed_macaroon({"time > " + fmt_time(kNow + 60)})); },
                 S2S_REASON_NOT_YET_VALID});
    c.push_back({"time > exactly now", [] { return v2(signed_macaroon({"time > " + fmt_time(kNow)})); },
                 S2S_REASON_NOT_YET_VALID});
    c.push_back({"time with an offset", [] {
                     return v2(signed_macaroon({"time < 2099-01-01T00:00:00+01:00"}));
                 }, S2S_REASON_CAVEAT_MALFORMED});
    c.push_back({"unknown caveat key", [] { return v2(signed_macaroon({"colour = blue"})); },
                 S2S_REASON_CAVEAT_UNKNOWN});
    c.push_back({"unknown operator", [] { return v2(signed_macaroon({"service ~ orders"})); },
                 S2S_REASON_CAVEAT_UNKNOWN});
    c.push_back({"caveat on an absent host attribute", [] {
                     return v2(signed_macaroon({"redis.cmd in get"}));
                 }, S2S_REASON_CONTEXT_MISSING});
    c.push_back({"duplicate identifier field v2", [] {
                     Macaroon m = signed_macaroon({});
                     V2Writer w;
                     w.field(2, m.identifier).field(2, m.identifier).eos().eos().field(6, sig_bytes(m));
                     return b64(w.out);
                 }, S2S_REASON_MALFORMED});
    c.push_back({"out-of-order fields v2", [] {
                     Macaroon m = signed_macaroon({});
                     V2Writer w;
                     w.field(2, m.identifier).field(1, "loc").eos().eos().field(6, sig_bytes(m));
                     return b64(w.out);
                 }, S2S_REASON_MALFORMED});
    c.push_back({"duplicate key v2 json", [] {
                     Macaroon m = signed_macaroon({});
                     return "{\"v\":2,\"i\":\"" + m.identifier + "\",\"i\":\"" + m.identifier +
                            "\",\"s64\":\"" + b64(sig_bytes(m)) + "\"}";
                 }, S2S_REASON_MALFORMED});
    c.push_back({"both i and i64 in v2 json", [] {
                     Macaroon m = signed_macaroon({});
                     return "{\"v\":2,\"i\":\"" + m.identifier + "\",\"i64\":\"" + b64(m.identifier) +
                            "\",\"s64\":\"" + b64(sig_bytes(m)) + "\"}";
                 }, S2S_REASON_MALFORMED});
    c.push_back({"unknown key in v2 json", [] {
                     Macaroon m = signed_macaroon({});
                     return "{\"v\":2,\"i\":\"" + m.identifier + "\",\"x\":1,\"s64\":\"" +
                            b64(sig_bytes(m)) + "\"}";
                 }, S2S_REASON_MALFORMED});
    c.push_back({"v2 json version 1", [] {
                     Macaroon m = signed_macaroon({});
                     return "{\"v\":1,\"i\":\"" + m.identifier + "\",\"s64\":\"" + b64(sig_bytes(m)) + "\"}";
                 }, S2S_REASON_MALFORMED});
    c.push_back({"v2 json signature 31 bytes", [] {
                     Macaroon m = signed_macaroon({});
                     return "{\"v\":2,\"i\":\"" + m.identifier + "\",\"s64\":\"" +
                            b64(sig_bytes(m).substr(1)) + "\"}";
                 }, S2S_REASON_MALFORMED});
    c.push_back({"trailing bytes v2", [] {
                     std::string bytes;
                     s2s::encode_v2(signed_macaroon({}), bytes);
                     return b64(bytes + "X");
                 }, S2S_REASON_MALFORMED});
    c.push_back({"trailing bytes v1", [] {
                     std::string bytes;
                     s2s::encode_v1(signed_macaroon({}), bytes);
                     return b64(bytes + "\n");
                 }, S2S_REASON_MALFORMED});
    c.push_back({"length field past the buffer", [] {
                     V2Writer w;
                     w.varint(2).varint(1000);
                     w.out += "short";
                     return b64(w.out);
                 }, S2S_REASON_MALFORMED});
    c.push_back({"length field of 2^32", [] {
                     V2Writer w;
                     w.varint(2).varint(uint64_t(1) << 32);
                     w.out += "x";
                     return b64(w.out);
                 }, S2S_REASON_MALFORMED});
    c.push_back({"non-minimal varint", [] {
                     Macaroon m = signed_macaroon({});
                     V2Writer w;
                     w.out += "\x82";
                     w.out += '\0';  // type 2 spelled in two bytes
                     w.varint(m.identifier.size());
                     w.out += m.identifier;
                     w.eos().eos().field(6, sig_bytes(m));
                     return b64(w.out);
                 }, S2S_REASON_MALFORMED});
    c.push_back({"v2 version byte 3", [] {
                     std::string bytes;
                     s2s::encode_v2(signed_macaroon({}), bytes);
                     bytes[0] = 3;
                     return b64(bytes);
                 }, S2S_REASON_MALFORMED});
    c.push_back({"v2 truncated", [] {
                     std::string bytes;
                     s2s::encode_v2(signed_macaroon({"service = orders"}), bytes);
                     return b64(bytes.substr(0, bytes.size() - 5));
                 }, S2S_REASON_MALFORMED});
    c.push_back({"1 MiB token", [] { return std::string(1 << 20, 'A'); }, S2S_REASON_TOO_LARGE});
    c.push_back({"100000 caveats", [] {
                     Macaroon m = signed_macaroon({});
                     V2Writer w;
                     w.field(2, m.identifier).eos();
                     for (int i = 0; i < 100000; i++) w.field(2, "a").eos();
                     w.eos().field(6, sig_bytes(m));
                     return b64(w.out);
                 }, S2S_REASON_TOO_LARGE});
    c.push_back({"64 KiB caveat", [] {
                     return v2(signed_macaroon({"service = " + std::string(65536, 'o')}));
                 }, S2S_REASON_TOO_LARGE});
    c.push_back({"NUL inside a caveat", [] {
                     return v2(signed_macaroon({std::string("service = ord\0ers", 17)}));
                 }, S2S_REASON_CAVEAT_MALFORMED});
    c.push_back({"invalid UTF-8 in a caveat value", [] {
                     return v2(signed_macaroon({"service = orders\xff"}));
                 }, S2S_REASON_CAVEAT_MALFORMED});
    c.push_back({"look-alike Unicode service", [] {
                     return v2(signed_macaroon({"service = \xd0\xbe" "rders"}));  // Cyrillic o
                 }, S2S_REASON_CAVEAT_UNSATISFIED});
    c.push_back({"service = order against orders", [] { return v2(signed_macaroon({"service = order"})); },
                 S2S_REASON_CAVEAT_UNSATISFIED});
    c.push_back({"service = orders against orders2", [] { return v2(signed_macaroon({"service = orders"})); },
                 S2S_REASON_CAVEAT_UNSATISFIED, [] { s2s_context_set(F->ctx, S2S_ATTR_SERVICE, "orders2", 7); }});
    c.push_back({"double space in a caveat", [] { return v2(signed_macaroon({"service  = orders"})); },
                 S2S_REASON_CAVEAT_MALFORMED});
    c.push_back({"base64 with flipped trailing bits", [] {
                     std::string t = v2(signed_macaroon({}));
                     // The last character carries padding bits when the length is not a multiple of 3.
                     std::string bytes;
                     s2s::encode_v2(signed_macaroon({}), bytes);
                     if (bytes.size() % 3 == 0) t = v2(signed_macaroon({"x"}));
                     char &last = t.back();
                     last = last == 'A' ? 'B' : char(last + 1);
                     return t;
                 }, S2S_REASON_MALFORMED});
    c.push_back({"mixed base64 alphabets", [] {
                     std::string t = v2(signed_macaroon({"service = orders"}));
                     return t.substr(0, 4) + "+/" + t.substr(6) + "-_";
                 }, S2S_REASON_MALFORMED});
    c.push_back({"white space inside a token", [] {
                     std::string t = v2(signed_macaroon({}));
                     return t.substr(0, 10) + " " + t.substr(10);
                 }, S2S_REASON_MALFORMED});
    c.push_back({"not base64 at all", [] { return std::string("!!!!not-a-token!!!!"); },
                 S2S_REASON_MALFORMED});
    c.push_back({"v1 vid before any cid", [] {
                     Macaroon m = signed_macaroon({});
                     return b64(packet("location", "loc") + packet("identifier", m.identifier) +
                                packet("vid", std::string(72, 'v')) + packet("signature", sig_bytes(m)));
                 }, S2S_REASON_MALFORMED});
    c.push_back({"v1 cl before any cid", [] {
                     Macaroon m = signed_macaroon({});
                     return b64(packet("location", "loc") + packet("identifier", m.identifier) +
                                packet("cl", "x") + packet("signature", sig_bytes(m)));
                 }, S2S_REASON_MALFORMED});
    c.push_back({"v1 unknown packet key", [] {
                     Macaroon m = signed_macaroon({});
                     return b64(packet("location", "loc") + packet("identifier", m.identifier) +
                                packet("colour", "x") + packet("signature", sig_bytes(m)));
                 }, S2S_REASON_MALFORMED});
    c.push_back({"v1 packet length below its header", [] { return b64("0003x"); }, S2S_REASON_MALFORMED});
    c.push_back({"v1 without identifier", [] {
                     Macaroon m = signed_macaroon({});
                     return b64(packet("location", "loc") + packet("signature", sig_bytes(m)));
                 }, S2S_REASON_MALFORMED});
    c.push_back({"an empty string", [] { return std::string(); }, S2S_REASON_NO_CREDENTIAL});
    c.push_back({"MDA", [] { return std::string("MDA"); }, S2S_REASON_MALFORMED});
    c.push_back({"caveat removed, signature kept", [] {
                     Macaroon m = signed_macaroon({"service = orders", "http.method in GET"});
                     m.caveats.pop_back();
                     return v2(m);
                 }, S2S_REASON_BAD_SIGNATURE});
    c.push_back({"caveats reordered", [] {
                     Macaroon m = signed_macaroon({"service = orders", "http.method in GET"});
                     std::swap(m.caveats[0], m.caveats[1]);
                     return v2(m);
                 }, S2S_REASON_BAD_SIGNATURE});
    c.push_back({"token id swapped, signature kept", [] {
                     Macaroon m = signed_macaroon({}, "revoked-token");
                     m.identifier = s2s::make_identifier("k1", "fresh-token");
                     return v2(m);
                 }, S2S_REASON_BAD_SIGNATURE});
    c.push_back({"identity caveats disagree", [] {
                     return v2(signed_macaroon({"identity = alice", "identity = bob"}));
                 }, S2S_REASON_IDENTITY_CONFLICT});
    c.push_back({"path prefix is segment aware", [] {
                     return v2(signed_macaroon({"http.path prefix /v1/orders"}));
                 }, S2S_REASON_CAVEAT_UNSATISFIED,
                 [] { s2s_context_set(F->ctx, S2S_ATTR_HTTP_PATH, "/v1/ordersX", 11); }});
    c.push_back({"client address outside the CIDR", [] {
                     return v2(signed_macaroon({"client.ip in 10.0.0.0/8"}));
                 }, S2S_REASON_CAVEAT_UNSATISFIED});
    c.push_back({"certificate-bound token without a certificate", [] {
                     return v2(signed_macaroon({"cert.sha256 = " + std::string(43, 'A')}));
                 }, S2S_REASON_CERT_REQUIRED});
    c.push_back({"attenuated token still verifies", [] {
                     return v2(signed_macaroon({"service = orders", "http.method in GET,POST",
                                                "http.path prefix /v1", "client.ip in 127.0.0.0/8",
                                                "time < " + fmt_time(kNow + 3600)}));
                 }, S2S_REASON_OK});
    c.push_back({"verify-only key still verifies", [] {
                     Macaroon m;
                     s2s::macaroon_init(m, derive(std::string(32, '\x33')), s2s::make_identifier("old", "t2"), "");
                     return v2(m);
                 }, S2S_REASON_OK});

    // ---- third-party caveats and discharges ----
    c.push_back({"stack with a bound discharge", [tp_key] {
                     Macaroon root = root_with_tp("cid-1", tp_key);
                     Macaroon d = discharge_for("cid-1", tp_key, {"time < " + fmt_time(kNow + 60)});
                     s2s::bind_discharge(root, d);
                     return stack_of({&root, &d});
                 }, S2S_REASON_OK});
    c.push_back({"stack as a v2 json array", [tp_key] {
                     Macaroon root = root_with_tp("cid-1", tp_key);
                     Macaroon d = discharge_for("cid-1", tp_key);
                     s2s::bind_discharge(root, d);
                     std::string a, b;
                     s2s::encode_v2_json(root, a);
                     s2s::encode_v2_json(d, b);
                     return "[" + a + "," + b + "]";
                 }, S2S_REASON_OK});
    c.push_back({"third-party caveat without a discharge", [tp_key] {
                     return v2(root_with_tp("cid-1", tp_key));
                 }, S2S_REASON_DISCHARGE_MISSING});
    c.push_back({"discharge not bound", [tp_key] {
                     Macaroon root = root_with_tp("cid-1", tp_key);
                     Macaroon d = discharge_for("cid-1", tp_key);
                     return stack_of({&root, &d});
                 }, S2S_REASON_DISCHARGE_INVALID});
    c.push_back({"discharge bound to another root", [tp_key] {
                     Macaroon root = root_with_tp("cid-1", tp_key);
                     Macaroon other = signed_macaroon({"service = orders"}, "other");
                     Macaroon d = discharge_for("cid-1", tp_key);
                     s2s::bind_discharge(other, d);
                     return stack_of({&root, &d});
                 }, S2S_REASON_DISCHARGE_INVALID});
    c.push_back({"discharge made with the wrong key", [tp_key] {
                     Macaroon root = root_with_tp("cid-1", tp_key);
                     Macaroon d = discharge_for("cid-1", "not-the-key");
                     s2s::bind_discharge(root, d);
                     return stack_of({&root, &d});
                 }, S2S_REASON_DISCHARGE_INVALID});
    c.push_back({"an extra discharge nobody asked for", [tp_key] {
                     Macaroon root = signed_macaroon({});
                     Macaroon d = discharge_for("cid-1", tp_key);
                     s2s::bind_discharge(root, d);
                     return stack_of({&root, &d});
                 }, S2S_REASON_DISCHARGE_UNUSED});
    c.push_back({"two discharges for one caveat id", [tp_key] {
                     Macaroon root = root_with_tp("cid-1", tp_key);
                     Macaroon d1 = discharge_for("cid-1", tp_key);
                     Macaroon d2 = discharge_for("cid-1", tp_key, {"service = orders"});
                     s2s::bind_discharge(root, d1);
                     s2s::bind_discharge(root, d2);
                     return stack_of({&root, &d1, &d2});
                 }, S2S_REASON_DISCHARGE_UNUSED});
    c.push_back({"discharge whose own caveat fails", [tp_key] {
                     Macaroon root = root_with_tp("cid-1", tp_key);
                     Macaroon d = discharge_for("cid-1", tp_key, {"time < " + fmt_time(kNow - 1)});
                     s2s::bind_discharge(root, d);
                     return stack_of({&root, &d});
                 }, S2S_REASON_EXPIRED});
    c.push_back({"discharge with its own unmet third-party caveat", [tp_key] {
                     Macaroon root = root_with_tp("cid-1", tp_key);
                     Macaroon d = discharge_for("cid-1", tp_key);
                     s2s::add_third_party(d, "https://other.example", "k2", "cid-2");
                     s2s::bind_discharge(root, d);
                     return stack_of({&root, &d});
                 }, S2S_REASON_DISCHARGE_MISSING});
    c.push_back({"nested discharge, bound to the top root", [tp_key] {
                     Macaroon root = root_with_tp("cid-1", tp_key);
                     Macaroon d = discharge_for("cid-1", tp_key);
                     s2s::add_third_party(d, "https://other.example", "k2", "cid-2");
                     Macaroon d2 = discharge_for("cid-2", "k2");
                     s2s::bind_discharge(root, d);
                     s2s::bind_discharge(root, d2);
                     return stack_of({&root, &d, &d2});
                 }, S2S_REASON_OK});
    c.push_back({"a cycle: a discharge asks for itself", [tp_key] {
                     Macaroon root = root_with_tp("cid-1", tp_key);
                     Macaroon d = discharge_for("cid-1", tp_key);
                     s2s::add_third_party(d, "https://auth.example", tp_key, "cid-1");
                     s2s::bind_discharge(root, d);
                     return stack_of({&root, &d});
                 }, S2S_REASON_DISCHARGE_UNUSED});
    c.push_back({"discharges nested deeper than the limit", [] {
                     // root -> d1 -> d2 -> ... -> d9: depth 9 > max_depth 8.
                     std::vector<Macaroon> ms;
                     ms.push_back(root_with_tp("c1", "key1"));
                     for (int i = 1; i <= 9; i++) {
                         Macaroon d = discharge_for("c" + std::to_string(i), "key" + std::to_string(i));
                         if (i < 9) {
                             s2s::add_third_party(d, "l", "key" + std::to_string(i + 1),
                                                  "c" + std::to_string(i + 1));
                         }
                         ms.push_back(d);
                     }
                     for (size_t i = 1; i < ms.size(); i++) s2s::bind_discharge(ms[0], ms[i]);
                     std::vector<const Macaroon *> ptrs;
                     for (auto &m : ms) ptrs.push_back(&m);
                     return stack_of(ptrs);
                 }, S2S_REASON_DISCHARGE_INVALID});
    c.push_back({"a vid shorter than 40 bytes", [] {
                     // Correctly signed over a bogus vid: only the vid is wrong.
                     Macaroon root = signed_macaroon({});
                     s2s::Caveat cav;
                     cav.id = "cid-1";
                     cav.vid = std::string(30, 'v');
                     cav.location = "l";
                     s2s::hmac_sha256_pair(root.signature, cav.vid, cav.id, root.signature);
                     root.caveats.push_back(cav);
                     Macaroon d = discharge_for("cid-1", "whatever");
                     s2s::bind_discharge(root, d);
                     return stack_of({&root, &d});
                 }, S2S_REASON_DISCHARGE_INVALID});
    c.push_back({"a vid with a bad tag", [tp_key] {
                     Macaroon root = signed_macaroon({});
                     Digest before = root.signature;
                     s2s::add_third_party(root, "l", tp_key, "cid-1");
                     root.caveats[0].vid[30] ^= 1;  // re-sign over the damaged vid
                     root.signature = before;
                     s2s::hmac_sha256_pair(root.signature, root.caveats[0].vid, "cid-1", root.signature);
                     Macaroon d = discharge_for("cid-1", tp_key);
                     s2s::bind_discharge(root, d);
                     return stack_of({&root, &d});
                 }, S2S_REASON_DISCHARGE_INVALID});
    c.push_back({"v1 raw vid with 0x0a 0x20 0x00, parsed by length", [tp_key] {
                     Macaroon root = signed_macaroon({});
                     const uint8_t nonce[s2s::kSecretboxNonceBytes] = {0x0a, 0x20, 0x00, 0x0a, 0x20, 0x00};
                     s2s::add_third_party_with_nonce(root, "l", tp_key, "cid-1", nonce);
                     Macaroon d = discharge_for("cid-1", tp_key);
                     s2s::bind_discharge(root, d);
                     // V1 carries one macaroon: verify the root's V1 form parses
                     // back to the same vid, then send the stack as V2.
                     std::string bytes;
                     s2s::encode_v1(root, bytes);
                     Macaroon back;
                     s2s::ParseError pe;
                     if (!s2s::decode_v1(bytes, s2s::Limits{}, back, pe) ||
                         back.caveats[0].vid != root.caveats[0].vid) {
                         return std::string("MDA");
                     }
                     return stack_of({&root, &d});
                 }, S2S_REASON_OK});
    return c;
}

int setup(void **) {
    F = new Fixture();
    char tmpl[] = "/tmp/s2s-matrix-XXXXXX";
    F->dir = mkdtemp(tmpl);
    F->revoked_path = F->dir + "/revoked";
    write_text(F->revoked_path, "# revoked\nrevoked-token\n");
    F->derived = derive(kRaw1);
    F->other = derive(kRawOther);
    s2s_error err{};
    assert_int_equal(s2s_keyring_new(&F->kr, &err), S2S_OK);
    assert_int_equal(s2s_keyring_add(F->kr, "old", reinterpret_cast<const unsigned char *>(
                                         std::string(32, '\x33').data()), S2S_KEY_VERIFY_ONLY, &err), S2S_OK);
    assert_int_equal(s2s_keyring_add(F->kr, "k1", reinterpret_cast<const unsigned char *>(kRaw1.data()),
                                     S2S_KEY_ACTIVE, &err), S2S_OK);
    s2s_config *cfg = nullptr;
    assert_int_equal(s2s_config_new(&cfg, &err), S2S_OK);
    assert_int_equal(s2s_config_set_keyring(cfg, F->kr, &err), S2S_OK);
    assert_int_equal(s2s_config_set(cfg, "revocation_list", F->revoked_path.c_str(), &err), S2S_OK);
    assert_int_equal(s2s_config_set(cfg, "service", "orders", &err), S2S_OK);
    assert_int_equal(s2s_verifier_new(cfg, &F->v, &err), S2S_OK);
    s2s_config_free(cfg);
    assert_int_equal(s2s_context_new(&F->ctx, &err), S2S_OK);
    assert_int_equal(s2s_decision_new(&F->d, &err), S2S_OK);
    return 0;
}

int teardown(void **) {
    s2s_decision_free(F->d);
    s2s_context_free(F->ctx);
    s2s_verifier_free(F->v);
    s2s_keyring_free(F->kr);
    unlink(F->revoked_path.c_str());
    rmdir(F->dir.c_str());
    delete F;
    return 0;
}

void base_context() {
    s2s_context_reset(F->ctx);
    s2s_context_set_time(F->ctx, kNow);
    s2s_context_set(F->ctx, S2S_ATTR_CLIENT_IP, "127.0.0.1", 9);
    s2s_context_set(F->ctx, S2S_ATTR_HTTP_METHOD, "GET", 3);
    s2s_context_set(F->ctx, S2S_ATTR_HTTP_PATH, "/v1/orders/7", 12);
}

void test_matrix(void **) {
    std::vector<Case> all = cases();
    size_t failures = 0;
    for (const Case &c : all) {
        base_context();
        if (c.context) c.context();
        std::string token = c.token();
        s2s_error err{};
        s2s_status st = s2s_verify(F->v, F->ctx, token.data(), token.size(), F->d, &err);
        s2s_reason got = s2s_decision_reason(F->d);
        bool allowed = s2s_decision_allowed(F->d) != 0;
        bool ok = st == S2S_OK && got == c.expect && allowed == (c.expect == S2S_REASON_OK);
        if (!ok) {
            failures++;
            print_error("case '%s': expected %s, got %s (allowed=%d, status=%s, detail=%s)\n", c.name,
                        s2s_reason_name(c.expect), s2s_reason_name(got), int(allowed),
                        s2s_status_name(st), s2s_decision_detail(F->d));
        }
    }
    print_message("%zu hostile and control cases\n", all.size());
    assert_true(all.size() >= 60);
    assert_int_equal(failures, 0);
}

// A denied decision must name the caveat that failed, in loggable form.
void test_failed_caveat_is_named_and_escaped(void **) {
    base_context();
    std::string token = v2(signed_macaroon({"service = orders", "http.path prefix /admin\x01"}));
    s2s_error err{};
    assert_int_equal(s2s_verify(F->v, F->ctx, token.data(), token.size(), F->d, &err), S2S_OK);
    assert_false(s2s_decision_allowed(F->d));
    assert_string_equal(s2s_decision_failed_caveat(F->d), "http.path prefix /admin\\x01");
    assert_int_equal(s2s_decision_outcome(F->d), S2S_DENY_FORBIDDEN);

    // Hosts log it between double quotes: a quote cannot close the field.
    token = v2(signed_macaroon({"service = orders", "http.path = /a\" reason \"ok"}));
    assert_int_equal(s2s_verify(F->v, F->ctx, token.data(), token.size(), F->d, &err), S2S_OK);
    assert_false(s2s_decision_allowed(F->d));
    assert_string_equal(s2s_decision_failed_caveat(F->d), "http.path = /a\\x22 reason \\x22ok");
}

void test_allow_reports_identity_and_ids(void **) {
    base_context();
    std::string token = v2(signed_macaroon({"identity = svc-billing", "service = orders"}, "tok-42"));
    s2s_error err{};
    assert_int_equal(s2s_verify(F->v, F->ctx, token.data(), token.size(), F->d, &err), S2S_OK);
    assert_true(s2s_decision_allowed(F->d));
    assert_int_equal(s2s_decision_outcome(F->d), S2S_ALLOW);
    assert_string_equal(s2s_decision_identity(F->d), "svc-billing");
    assert_string_equal(s2s_decision_token_id(F->d), "tok-42");
    assert_string_equal(s2s_decision_key_id(F->d), "k1");
}

// Grants re-check caveats per command without re-verifying signatures.
void test_grant_rechecks_time_and_revocation(void **) {
    base_context();
    std::string token = v2(signed_macaroon({"time < " + fmt_time(kNow + 10), "redis.key prefix orders:"}));
    s2s_context_mark_present(F->ctx, S2S_ATTR_REDIS_KEY);
    s2s_error err{};
    s2s_grant *g = nullptr;
    assert_int_equal(s2s_authenticate(F->v, F->ctx, token.data(), token.size(), F->d, &g, &err), S2S_OK);
    assert_true(s2s_decision_allowed(F->d));
    assert_non_null(g);

    s2s_context_reset(F->ctx);
    s2s_context_set_time(F->ctx, kNow + 5);
    s2s_context_set(F->ctx, S2S_ATTR_REDIS_KEY, "orders:1", 8);
    assert_int_equal(s2s_grant_check(F->v, g, F->ctx, F->d, &err), S2S_OK);
    assert_true(s2s_decision_allowed(F->d));

    s2s_context_reset(F->ctx);
    s2s_context_set_time(F->ctx, kNow + 5);
    s2s_context_set(F->ctx, S2S_ATTR_REDIS_KEY, "orders:1", 8);
    s2s_context_set(F->ctx, S2S_ATTR_REDIS_KEY, "secret:1", 8);
    assert_int_equal(s2s_grant_check(F->v, g, F->ctx, F->d, &err), S2S_OK);
    assert_int_equal(s2s_decision_reason(F->d), S2S_REASON_CAVEAT_UNSATISFIED);

    s2s_context_reset(F->ctx);
    s2s_context_set_time(F->ctx, kNow + 10);
    s2s_context_mark_present(F->ctx, S2S_ATTR_REDIS_KEY);
    assert_int_equal(s2s_grant_check(F->v, g, F->ctx, F->d, &err), S2S_OK);
    assert_int_equal(s2s_decision_reason(F->d), S2S_REASON_EXPIRED);
    s2s_grant_free(g);
}

// Deferred attributes: honoured by s2s_authenticate only, never by s2s_verify
// or s2s_grant_check, and never for a caveat that is malformed or unknown.
void test_deferred_attributes(void **) {
    s2s_error err{};
    std::string token = v2(signed_macaroon({"redis.cmd in get,set", "redis.key prefix orders:"}));
    base_context();
    s2s_context_defer(F->ctx, S2S_ATTR_REDIS_CMD);
    s2s_context_defer(F->ctx, S2S_ATTR_REDIS_KEY);
    assert_int_equal(s2s_verify(F->v, F->ctx, token.data(), token.size(), F->d, &err), S2S_OK);
    assert_int_equal(s2s_decision_reason(F->d), S2S_REASON_CONTEXT_MISSING);
    s2s_grant *g = nullptr;
    assert_int_equal(s2s_authenticate(F->v, F->ctx, token.data(), token.size(), F->d, &g, &err), S2S_OK);
    assert_true(s2s_decision_allowed(F->d));
    assert_non_null(g);

    // Per command, the facts are supplied and matched; deferral means nothing here.
    assert_int_equal(s2s_grant_check(F->v, g, F->ctx, F->d, &err), S2S_OK);
    assert_int_equal(s2s_decision_reason(F->d), S2S_REASON_CONTEXT_MISSING);
    base_context();
    s2s_context_set(F->ctx, S2S_ATTR_REDIS_CMD, "get", 3);
    s2s_context_set(F->ctx, S2S_ATTR_REDIS_KEY, "orders:1", 8);
    assert_int_equal(s2s_grant_check(F->v, g, F->ctx, F->d, &err), S2S_OK);
    assert_true(s2s_decision_allowed(F->d));
    base_context();
    s2s_context_set(F->ctx, S2S_ATTR_REDIS_CMD, "del", 3);
    s2s_context_set(F->ctx, S2S_ATTR_REDIS_KEY, "orders:1", 8);
    assert_int_equal(s2s_grant_check(F->v, g, F->ctx, F->d, &err), S2S_OK);
    assert_int_equal(s2s_decision_reason(F->d), S2S_REASON_CAVEAT_UNSATISFIED);
    s2s_grant_free(g);

    // A malformed caveat on a deferred attribute still denies at authentication.
    std::string bad = v2(signed_macaroon({"redis.cmd in get,,set"}));
    base_context();
    s2s_context_defer(F->ctx, S2S_ATTR_REDIS_CMD);
    g = nullptr;
    assert_int_equal(s2s_authenticate(F->v, F->ctx, bad.data(), bad.size(), F->d, &g, &err), S2S_OK);
    assert_int_equal(s2s_decision_reason(F->d), S2S_REASON_CAVEAT_MALFORMED);
    assert_null(g);
}

void test_null_arguments_deny(void **) {
    s2s_error err{};
    assert_int_equal(s2s_verify(nullptr, F->ctx, "x", 1, F->d, &err), S2S_ERR_INVALID_ARGUMENT);
    assert_false(s2s_decision_allowed(F->d));
    assert_int_equal(s2s_decision_reason(F->d), S2S_REASON_INTERNAL);
    assert_int_equal(s2s_verify(F->v, F->ctx, nullptr, 5, F->d, &err), S2S_ERR_INVALID_ARGUMENT);
    assert_false(s2s_decision_allowed(F->d));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_failed_caveat_is_named_and_escaped),
        cmocka_unit_test(test_allow_reports_identity_and_ids),
        cmocka_unit_test(test_grant_rechecks_time_and_revocation),
        cmocka_unit_test(test_deferred_attributes),
        cmocka_unit_test(test_null_arguments_deny),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
