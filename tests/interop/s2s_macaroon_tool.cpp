// s2s_macaroon_tool.cpp: the s2s side of the interop tests, driven by the
// Python scripts next to it.  It mints, discharges and checks macaroons with
// the internal codec and construction API only (no verifier), so that what
// the tests compare is exactly the wire format and the signature chain.
//
//   mint FORMAT ROOTKEY_HEX IDENTIFIER LOCATION [--fp CAVEAT | --tp LOC KEY_HEX CID]...
//       prints the token (FORMAT: v1, v2, v2j)
//   check ROOTKEY_HEX TOKEN
//       decodes TOKEN (any format), recomputes its signature chain from the
//       root key, opens every vid; prints a JSON description; exit 0 when the
//       recomputed signature equals the token's
//   discharge FORMAT CAVEAT_KEY_HEX CID LOCATION ROOT_TOKEN [--fp CAVEAT]...
//       mints a discharge for CID and binds it to ROOT_TOKEN; prints it
//   stack TOKEN...
//       re-encodes the given macaroons as one s2s stack
//   verify-stack ROOTKEY_HEX STACK [--exact CAVEAT]...
//       checks a root and its discharges the way libmacaroons does (first-party
//       caveats must be among the --exact ones); exit 0 if it holds
//
// Exit status 2 is a usage or decoding error, with the parse rule on stderr.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "base64.hpp"
#include "crypto.hpp"
#include "macaroon/macaroon.hpp"

using namespace s2s;

namespace {

int usage() {
    std::fprintf(stderr, "usage: see the comment at the top of s2s_macaroon_tool.cpp\n");
    return 2;
}

bool unhex(const char *text, std::string &out) {
    size_t n = std::strlen(text);
    if (n % 2 != 0) return false;
    out.clear();
    for (size_t i = 0; i < n; i += 2) {
        unsigned v = 0;
        if (std::sscanf(text + i, "%2x", &v) != 1) return false;
        out.push_back(static_cast<char>(v));
    }
    return true;
}

std::string hex(std::string_view bytes) {
    static constexpr char d[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out.push_back(d[c >> 4]);
        out.push_back(d[c & 15]);
    }
    return out;
}

std::string hex(const Digest &d) {
    return hex(std::string_view(reinterpret_cast<const char *>(d.data()), d.size()));
}

bool decode(const char *text, Macaroon &m) {
    std::string scratch;
    ParseError pe;
    if (!decode_any(text, Limits{}, m, scratch, pe)) {
        std::fprintf(stderr, "decode failed: %s (offset %zu)\n", pe.what, pe.offset);
        return false;
    }
    return true;
}

bool encode(const Macaroon &m, const char *format, std::string &out) {
    std::string bytes;
    if (std::strcmp(format, "v1") == 0) {
        if (!encode_v1(m, bytes)) return false;
        out = base64url_encode(bytes);
        return true;
    }
    if (std::strcmp(format, "v2") == 0) {
        encode_v2(m, bytes);
        out = base64url_encode(bytes);
        return true;
    }
    if (std::strcmp(format, "v2j") == 0) return encode_v2_json(m, out);
    return false;
}

// Applies --fp / --tp arguments from argv[i] on.
bool add_caveats(Macaroon &m, int argc, char **argv, int i) {
    while (i < argc) {
        if (std::strcmp(argv[i], "--fp") == 0 && i + 1 < argc) {
            if (!add_first_party(m, argv[i + 1])) return false;
            i += 2;
        } else if (std::strcmp(argv[i], "--tp") == 0 && i + 3 < argc) {
            std::string key;
            if (!unhex(argv[i + 2], key) || !add_third_party(m, argv[i + 1], key, argv[i + 3])) {
                return false;
            }
            i += 4;
        } else {
            return false;
        }
    }
    return true;
}

// Recomputes m's chain from `key` (a derived key); `opened` receives the
// derived caveat key of each third-party caveat (empty for first party).
bool recompute(const Macaroon &m, const Digest &key, Digest &sig,
               std::vector<std::string> &opened) {
    if (!hmac_sha256(key.data(), key.size(), m.identifier, sig)) return false;
    opened.clear();
    for (const Caveat &c : m.caveats) {
        Digest next{};
        if (c.third_party()) {
            Digest caveat_key{};
            opened.push_back(secretbox_open(sig, c.vid, caveat_key)
                                 ? hex(caveat_key)
                                 : std::string("unopenable"));
            if (!hmac_sha256_pair(sig, c.vid, c.id, next)) return false;
        } else {
            opened.emplace_back();
            if (!hmac_sha256(sig.data(), sig.size(), c.id, next)) return false;
        }
        sig = next;
    }
    return true;
}

void json_string(std::string_view s) {
    std::putchar('"');
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') std::printf("\\%c", c);
        else if (c < 0x20 || c >= 0x7f) std::printf("\\u%04x", c);
        else std::putchar(c);
    }
    std::putchar('"');
}

int cmd_check(int argc, char **argv) {
    if (argc != 4) return usage();
    std::string root_key;
    Macaroon m;
    if (!unhex(argv[2], root_key) || !decode(argv[3], m)) return 2;
    Digest key{}, sig{};
    std::vector<std::string> opened;
    if (!derive_root_key(root_key, key) || !recompute(m, key, sig, opened)) return 2;
    bool ok = equal_ct(sig.data(), m.signature.data(), sig.size());
    std::printf("{\"ok\":%s,\"location\":", ok ? "true" : "false");
    json_string(m.location);
    std::printf(",\"identifier\":");
    json_string(m.identifier);
    std::printf(",\"signature\":\"%s\",\"caveats\":[", hex(m.signature).c_str());
    for (size_t i = 0; i < m.caveats.size(); i++) {
        const Caveat &c = m.caveats[i];
        std::printf("%s{\"id\":", i ? "," : "");
        json_string(c.id);
        if (c.third_party()) {
            std::printf(",\"vid\":\"%s\",\"location\":", hex(c.vid).c_str());
            json_string(c.location);
            std::printf(",\"caveat_key\":\"%s\"", opened[i].c_str());
        }
        std::printf("}");
    }
    std::printf("]}\n");
    return ok ? 0 : 1;
}

int cmd_mint(int argc, char **argv) {
    if (argc < 6) return usage();
    std::string root_key, out;
    Digest key{};
    Macaroon m;
    if (!unhex(argv[3], root_key) || !derive_root_key(root_key, key) ||
        !macaroon_init(m, key, argv[4], argv[5]) || !add_caveats(m, argc, argv, 6) ||
        !encode(m, argv[2], out)) {
        return usage();
    }
    std::printf("%s\n", out.c_str());
    return 0;
}

int cmd_discharge(int argc, char **argv) {
    if (argc < 7) return usage();
    std::string caveat_key, out;
    Digest key{};
    Macaroon root, d;
    if (!unhex(argv[3], caveat_key) || !decode(argv[6], root) ||
        !derive_root_key(caveat_key, key) || !macaroon_init(d, key, argv[4], argv[5]) ||
        !add_caveats(d, argc, argv, 7) || !bind_discharge(root, d) || !encode(d, argv[2], out)) {
        return usage();
    }
    std::printf("%s\n", out.c_str());
    return 0;
}

int cmd_stack(int argc, char **argv) {
    std::vector<Macaroon> ms(static_cast<size_t>(argc - 2));
    std::vector<const Macaroon *> ptrs;
    for (int i = 2; i < argc; i++) {
        if (!decode(argv[i], ms[static_cast<size_t>(i - 2)])) return 2;
        ptrs.push_back(&ms[static_cast<size_t>(i - 2)]);
    }
    std::string out;
    encode_stack(ptrs, out);
    std::printf("%s\n", out.c_str());
    return 0;
}

struct StackCheck {
    const std::vector<Macaroon> &stack;
    std::vector<std::string> exact;
    std::vector<bool> used;
    const Digest *root_sig = nullptr;

    // m verifies under `key`; for a discharge (not the root) its signature
    // must be the bound one.
    bool verify(const Macaroon &m, const Digest &key, bool is_root, int depth) {
        if (depth > 8) return false;
        Digest sig{};
        if (!hmac_sha256(key.data(), key.size(), m.identifier, sig)) return false;
        for (const Caveat &c : m.caveats) {
            Digest next{};
            if (c.third_party()) {
                Digest caveat_key{};
                if (!secretbox_open(sig, c.vid, caveat_key)) return false;
                size_t found = stack.size();
                for (size_t i = 1; i < stack.size(); i++) {
                    if (!used[i] && stack[i].identifier == c.id) found = i;
                }
                if (found == stack.size()) return false;
                used[found] = true;
                if (!verify(stack[found], caveat_key, false, depth + 1)) return false;
                if (!hmac_sha256_pair(sig, c.vid, c.id, next)) return false;
            } else {
                bool met = false;
                for (const std::string &e : exact) met = met || e == c.id;
                if (!met) return false;
                if (!hmac_sha256(sig.data(), sig.size(), c.id, next)) return false;
            }
            sig = next;
        }
        if (!is_root) {
            Digest bound{};
            if (!bind_signature(*root_sig, sig, bound)) return false;
            sig = bound;
        }
        return equal_ct(sig.data(), m.signature.data(), sig.size());
    }
};

int cmd_verify_stack(int argc, char **argv) {
    if (argc < 4) return usage();
    std::string root_key, scratch;
    std::vector<Macaroon> stack;
    ParseError pe;
    if (!unhex(argv[2], root_key)) return usage();
    if (!decode_stack(argv[3], Limits{}, stack, scratch, pe)) {
        std::fprintf(stderr, "decode failed: %s (offset %zu)\n", pe.what, pe.offset);
        return 2;
    }
    StackCheck check{stack, {}, std::vector<bool>(stack.size(), false), &stack[0].signature};
    for (int i = 4; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--exact") != 0) return usage();
        check.exact.emplace_back(argv[i + 1]);
    }
    Digest key{};
    if (!derive_root_key(root_key, key)) return 2;
    bool ok = check.verify(stack[0], key, true, 0);
    for (size_t i = 1; i < stack.size(); i++) ok = ok && check.used[i];
    std::printf("%s\n", ok ? "verified" : "denied");
    return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2 || !crypto_init()) return usage();
    std::string_view cmd = argv[1];
    if (cmd == "mint") return cmd_mint(argc, argv);
    if (cmd == "check") return cmd_check(argc, argv);
    if (cmd == "discharge") return cmd_discharge(argc, argv);
    if (cmd == "stack") return cmd_stack(argc, argv);
    if (cmd == "verify-stack") return cmd_verify_stack(argc, argv);
    return usage();
}
