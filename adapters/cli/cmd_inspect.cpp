// cmd_inspect.cpp: `s2sauth inspect`, human-readable and --json.
//
// Inspection verifies nothing: it shows what a token claims.  Signatures are
// shown as hex so two tokens can be compared; that reveals no key.
#include <getopt.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

#include "cli.hpp"

namespace cli {
namespace {

std::string hex(const unsigned char *p, size_t n) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < n; i++) {
        out += digits[p[i] >> 4];
        out += digits[p[i] & 15];
    }
    return out;
}

// A note after a time caveat: how far it is from now.
std::string time_note(const std::string &caveat) {
    long long t = 0;
    if (caveat.rfind("time < ", 0) == 0 && parse_rfc3339(caveat.substr(7), t)) {
        long long left = t - (long long)time(nullptr);
        return left > 0 ? "  (expires in " + std::to_string(left) + "s)" : "  (expired)";
    }
    if (caveat.rfind("time > ", 0) == 0 && parse_rfc3339(caveat.substr(7), t)) {
        long long wait = t - (long long)time(nullptr);
        return wait > 0 ? "  (valid in " + std::to_string(wait) + "s)" : "";
    }
    return "";
}

// Where discharge i of a stack hangs in the tree: the macaroon and the
// third-party caveat whose caveat id is its identifier.  False if no caveat of
// the stack asks for it (the verifier denies such a stack as discharge_unused).
bool discharge_parent(s2s_macaroon *const *stack, size_t n, size_t i, size_t &parent,
                      size_t &caveat) {
    size_t id_len = 0;
    const unsigned char *id = s2s_macaroon_identifier(stack[i], &id_len);
    for (parent = 0; parent < n; parent++) {
        if (parent == i) continue;
        for (caveat = 0; caveat < s2s_macaroon_caveat_count(stack[parent]); caveat++) {
            const unsigned char *cid, *vid;
            size_t cid_len, vid_len;
            const char *loc;
            s2s_macaroon_caveat(stack[parent], caveat, &cid, &cid_len, &vid, &vid_len, &loc);
            if (vid != nullptr && cid_len == id_len && std::memcmp(cid, id, id_len) == 0) return true;
        }
    }
    return false;
}

void print_human(s2s_macaroon *const *stack, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const s2s_macaroon *m = stack[i];
        size_t id_len = 0;
        const unsigned char *id = s2s_macaroon_identifier(m, &id_len);
        size_t parent = 0, caveat = 0;
        if (i == 0) {
            std::printf("macaroon (root)\n");
        } else if (discharge_parent(stack, n, i, parent, caveat)) {
            std::string of = parent == 0 ? "the root" : "discharge " + std::to_string(parent);
            std::printf("discharge %zu: for caveat id %s (caveat %zu of %s)\n", i,
                        printable(id, id_len).c_str(), caveat + 1, of.c_str());
        } else {
            std::printf("discharge %zu: no third-party caveat asks for it\n", i);
        }
        std::printf("  location:   %s\n", printable(reinterpret_cast<const unsigned char *>(
                                                        s2s_macaroon_location(m)),
                                                    std::string(s2s_macaroon_location(m)).size())
                                              .c_str());
        std::printf("  identifier: %s\n", printable(id, id_len).c_str());
        if (s2s_macaroon_key_id(m)) {
            std::printf("  key id:     %s\n  token id:   %s\n", s2s_macaroon_key_id(m),
                        s2s_macaroon_token_id(m));
        }
        size_t count = s2s_macaroon_caveat_count(m);
        std::printf("  caveats:    %zu\n", count);
        for (size_t j = 0; j < count; j++) {
            const unsigned char *cid, *vid;
            size_t cid_len, vid_len;
            const char *loc;
            s2s_macaroon_caveat(m, j, &cid, &cid_len, &vid, &vid_len, &loc);
            std::string text = printable(cid, cid_len);
            if (vid == nullptr) {
                std::printf("    - %s%s\n", text.c_str(), time_note(text).c_str());
            } else {
                std::printf("    - third party at %s: caveat id %s (vid %zu bytes)\n",
                            printable(reinterpret_cast<const unsigned char *>(loc),
                                      std::string(loc).size()).c_str(),
                            text.c_str(), vid_len);
            }
        }
        std::printf("  signature:  %s\n", hex(s2s_macaroon_signature(m), S2S_SIGNATURE_BYTES).c_str());
    }
}

void print_json(s2s_macaroon *const *stack, size_t n) {
    std::printf("[");
    for (size_t i = 0; i < n; i++) {
        const s2s_macaroon *m = stack[i];
        size_t id_len = 0;
        const unsigned char *id = s2s_macaroon_identifier(m, &id_len);
        std::printf("%s{\"role\":\"%s\",\"location\":%s,\"identifier\":%s", i ? "," : "",
                    i == 0 ? "root" : "discharge", json_string(s2s_macaroon_location(m)).c_str(),
                    json_string(std::string(reinterpret_cast<const char *>(id), id_len)).c_str());
        size_t parent = 0, caveat = 0;
        if (i > 0 && discharge_parent(stack, n, i, parent, caveat)) {
            std::printf(",\"discharges\":{\"macaroon\":%zu,\"caveat\":%zu}", parent, caveat);
        } else if (i > 0) {
            std::printf(",\"discharges\":null");
        }
        if (s2s_macaroon_key_id(m)) {
            std::printf(",\"key_id\":%s,\"token_id\":%s", json_string(s2s_macaroon_key_id(m)).c_str(),
                        json_string(s2s_macaroon_token_id(m)).c_str());
        }
        std::printf(",\"caveats\":[");
        for (size_t j = 0; j < s2s_macaroon_caveat_count(m); j++) {
            const unsigned char *cid, *vid;
            size_t cid_len, vid_len;
            const char *loc;
            s2s_macaroon_caveat(m, j, &cid, &cid_len, &vid, &vid_len, &loc);
            std::string text(reinterpret_cast<const char *>(cid), cid_len);
            if (vid == nullptr) {
                std::printf("%s{\"caveat\":%s}", j ? "," : "", json_string(text).c_str());
            } else {
                std::printf("%s{\"third_party\":%s,\"caveat_id\":%s,\"vid_bytes\":%zu}", j ? "," : "",
                            json_string(loc).c_str(), json_string(text).c_str(), vid_len);
            }
        }
        std::printf("],\"signature\":\"%s\"}",
                    hex(s2s_macaroon_signature(m), S2S_SIGNATURE_BYTES).c_str());
    }
    std::printf("]\n");
}

}  // namespace

static const char kInspectHelp[] =
    "usage: s2sauth inspect [--json] TOKEN|-\n"
    "\n"
    "Shows a token or stack: location, identifier, key id, token id, caveats\n"
    "(third-party ones with their location), and signatures; each discharge says\n"
    "which third-party caveat (of the root or of another discharge) it answers.\n"
    "--json prints an array, root first; a discharge's \"discharges\" names that\n"
    "caveat by array index and caveat index.  Verifies nothing.\n";

int cmd_inspect(int argc, char **argv) {
    static const struct option opts[] = {{"json", no_argument, nullptr, 'j'},
                                         {"help", no_argument, nullptr, 'h'},
                                         {nullptr, 0, nullptr, 0}};
    bool json = false;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, nullptr)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'h': std::fputs(kInspectHelp, stdout); return kExitOk;
        default: return usage_error("inspect: unknown option");
        }
    }
    if (optind + 1 != argc) return usage_error("inspect: give one TOKEN (or - for stdin)");
    std::string token;
    if (!read_token_arg(argv[optind], token)) return usage_error("inspect: empty token");
    s2s_error err{};
    s2s_macaroon **stack = nullptr;
    size_t n = 0;
    if (s2s_stack_parse(token.data(), token.size(), nullptr, &stack, &n, &err) != S2S_OK) {
        return fail("inspect", err);
    }
    if (json) print_json(stack, n);
    else print_human(stack, n);
    s2s_stack_free(stack, n);
    return kExitOk;
}

}  // namespace cli
