// cmd_token.cpp: `s2sauth mint`, `attenuate` and `discharge`.
//
// All three share one set of caveat options, applied in a fixed order:
// --identity, the --caveat list as given, --ttl, --bind-cert.
#include <getopt.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"

namespace cli {
namespace {

constexpr size_t kMaxKeyFileBytes = 4096;

// The last second an RFC 3339 `time` caveat can name (9999-12-31T23:59:59Z).
constexpr long long kLastCaveatSecond = 253402300799LL;

struct CaveatOptions {
    std::vector<std::string> caveats;
    // Optional, not "empty means unset": `--bind-cert "$CERT"` with an unset
    // variable must fail, not mint a token that is bound to nothing.
    std::optional<std::string> identity, ttl, bind_cert;

    // Returns -1 when the option was not a caveat option, else 0 or an exit code.
    int take(int c, const char *arg) {
        switch (c) {
        case 'c': caveats.emplace_back(arg); return 0;
        case 'I': identity = arg; return 0;
        case 'T': ttl = arg; return 0;
        case 'B': bind_cert = arg; return 0;
        default: return -1;
        }
    }

    bool apply(s2s_macaroon *m) const {
        std::vector<std::string> all;
        if (identity) {
            if (identity->empty()) {
                usage_error("--identity takes a non-empty name");
                return false;
            }
            all.push_back("identity = " + *identity);
        }
        all.insert(all.end(), caveats.begin(), caveats.end());
        if (ttl) {
            long long secs = 0;
            long long now = (long long)time(nullptr);
            if (!parse_duration(*ttl, secs)) {
                usage_error("--ttl takes a duration such as 300, 90s, 15m, 2h or 7d");
                return false;
            }
            if (secs > kLastCaveatSecond - now) {
                usage_error("--ttl ends after 9999-12-31T23:59:59Z, the last time a caveat can name");
                return false;
            }
            all.push_back("time < " + rfc3339(now + secs));
        }
        if (bind_cert) {
            std::string x5t;
            if (!cert_thumbprint(*bind_cert, x5t)) return false;
            all.push_back("cert.sha256 = " + x5t);
        }
        for (const std::string &cav : all) {
            s2s_error err{};
            if (s2s_macaroon_add_first_party_caveat(m, cav.data(), cav.size(), &err) != S2S_OK) {
                fail("caveat", err);
                return false;
            }
        }
        return true;
    }
};

#define CAVEAT_OPTIONS                                    \
    {"caveat", required_argument, nullptr, 'c'},          \
    {"identity", required_argument, nullptr, 'I'},        \
    {"ttl", required_argument, nullptr, 'T'},             \
    {"bind-cert", required_argument, nullptr, 'B'}

const char kCaveatHelp[] =
    "  --caveat 'KEY OP VALUE'   add a first-party caveat (repeatable), e.g.\n"
    "                            'http.path prefix /v1/orders', 'redis.key prefix orders:'\n"
    "  --identity NAME           add 'identity = NAME'\n"
    "  --ttl DURATION            add 'time < now+DURATION' (300, 90s, 15m, 2h, 7d)\n"
    "  --bind-cert LEAF.pem      bind to a client certificate ('cert.sha256 = x5t#S256')\n";
// Only mint and attenuate choose a format; a discharge stack is always V2.
const char kFormatHelp[] = "  --format v1|v2|v2j        output format\n";

}  // namespace

static const char kMintHelp[] =
    "usage: s2sauth mint --keyring FILE [--key-id ID] [--location LOC] [caveat options]\n"
    "       s2sauth mint --root-key-file FILE --identifier ID [--location LOC] [caveat options]\n"
    "\n"
    "Mints a token with the newest active key of the ring (or --key-id), with a fresh\n"
    "token id.  With --root-key-file (the raw key bytes, as libmacaroons and\n"
    "pymacaroons take them) and --identifier, mints for a verifier elsewhere.\n"
    "Default format: v2.\n\n";

int cmd_mint(int argc, char **argv) {
    static const struct option opts[] = {
        {"keyring", required_argument, nullptr, 'k'},
        {"key-id", required_argument, nullptr, 'i'},
        {"root-key-file", required_argument, nullptr, 'r'},
        {"identifier", required_argument, nullptr, 'd'},
        {"location", required_argument, nullptr, 'l'},
        {"format", required_argument, nullptr, 'f'},
        {"help", no_argument, nullptr, 'h'},
        CAVEAT_OPTIONS,
        {nullptr, 0, nullptr, 0}};
    std::string keyring, key_id, root_key_file, identifier, location;
    s2s_format format = S2S_FORMAT_V2;
    CaveatOptions cav;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, nullptr)) != -1) {
        if (cav.take(c, optarg) == 0) continue;
        switch (c) {
        case 'k': keyring = optarg; break;
        case 'i': key_id = optarg; break;
        case 'r': root_key_file = optarg; break;
        case 'd': identifier = optarg; break;
        case 'l': location = optarg; break;
        case 'f':
            if (!parse_format(optarg, format)) return usage_error("--format takes v1, v2 or v2j");
            break;
        case 'h': std::printf("%s%s%s", kMintHelp, kCaveatHelp, kFormatHelp); return kExitOk;
        default: return usage_error("mint: unknown option");
        }
    }
    if (optind != argc) return usage_error("mint: unexpected argument");
    if (keyring.empty() == root_key_file.empty()) {
        return usage_error("mint: give exactly one of --keyring and --root-key-file");
    }
    s2s_error err{};
    s2s_macaroon *m = nullptr;
    if (!keyring.empty()) {
        if (!identifier.empty()) return usage_error("mint: --identifier goes with --root-key-file");
        s2s_keyring *kr = nullptr;
        if (s2s_keyring_load(keyring.c_str(), &kr, &err) != S2S_OK) return fail("mint", err);
        s2s_status rc = s2s_mint(kr, key_id.empty() ? nullptr : key_id.c_str(),
                                 location.empty() ? nullptr : location.c_str(), &m, &err);
        s2s_keyring_free(kr);
        if (rc != S2S_OK) return fail("mint", err);
    } else {
        if (identifier.empty()) return usage_error("mint: --root-key-file needs --identifier");
        std::string key;
        if (!read_file_bytes(root_key_file, kMaxKeyFileBytes, key) || key.empty()) {
            return usage_error("mint: cannot read root key file " + root_key_file);
        }
        s2s_status rc = s2s_macaroon_create(
            reinterpret_cast<const unsigned char *>(key.data()), key.size(),
            reinterpret_cast<const unsigned char *>(identifier.data()), identifier.size(),
            location.empty() ? nullptr : location.c_str(), &m, &err);
        std::fill(key.begin(), key.end(), '\0');
        if (rc != S2S_OK) return fail("mint", err);
    }
    bool ok = cav.apply(m) && print_macaroon(m, format);
    s2s_macaroon_free(m);
    return ok ? kExitOk : kExitUsage;
}

static const char kAttenuateHelp[] =
    "usage: s2sauth attenuate [caveat options] [third-party options] TOKEN|-\n"
    "\n"
    "Adds caveats to a token; anyone holding a token can do this, and the result\n"
    "can do no more than the original.  Output keeps the input's format unless\n"
    "--format is given.\n"
    "  --third-party LOC --third-party-key FILE --caveat-id ID\n"
    "                            add a third-party caveat for the service at LOC,\n"
    "                            which shares the key in FILE (raw bytes)\n\n";

int cmd_attenuate(int argc, char **argv) {
    static const struct option opts[] = {
        {"format", required_argument, nullptr, 'f'},
        {"third-party", required_argument, nullptr, 'P'},
        {"third-party-key", required_argument, nullptr, 'K'},
        {"caveat-id", required_argument, nullptr, 'C'},
        {"help", no_argument, nullptr, 'h'},
        CAVEAT_OPTIONS,
        {nullptr, 0, nullptr, 0}};
    CaveatOptions cav;
    std::string fmt, tp_location, tp_key_file, tp_caveat_id;
    bool have_tp = false;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, nullptr)) != -1) {
        if (cav.take(c, optarg) == 0) continue;
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'P': tp_location = optarg; have_tp = true; break;
        case 'K': tp_key_file = optarg; break;
        case 'C': tp_caveat_id = optarg; break;
        case 'h': std::printf("%s%s%s", kAttenuateHelp, kCaveatHelp, kFormatHelp); return kExitOk;
        default: return usage_error("attenuate: unknown option");
        }
    }
    if (optind + 1 != argc) return usage_error("attenuate: give one TOKEN (or - for stdin)");
    std::string token;
    if (!read_token_arg(argv[optind], token)) return usage_error("attenuate: empty token");
    s2s_format format = guess_format(token);
    if (!fmt.empty() && !parse_format(fmt, format)) return usage_error("--format takes v1, v2 or v2j");
    if (have_tp && (tp_key_file.empty() || tp_caveat_id.empty())) {
        return usage_error("attenuate: --third-party needs --third-party-key and --caveat-id");
    }
    s2s_error err{};
    s2s_macaroon *m = nullptr;
    if (s2s_macaroon_parse(token.data(), token.size(), nullptr, &m, &err) != S2S_OK) {
        return fail("attenuate", err);
    }
    bool ok = cav.apply(m);
    if (ok && have_tp) {
        std::string key;
        ok = read_file_bytes(tp_key_file, kMaxKeyFileBytes, key) && !key.empty();
        if (!ok) {
            usage_error("attenuate: cannot read third-party key file " + tp_key_file);
        } else if (s2s_macaroon_add_third_party_caveat(
                       m, tp_location.c_str(), reinterpret_cast<const unsigned char *>(key.data()),
                       key.size(), reinterpret_cast<const unsigned char *>(tp_caveat_id.data()),
                       tp_caveat_id.size(), &err) != S2S_OK) {
            ok = false;
            fail("attenuate", err);
        }
        std::fill(key.begin(), key.end(), '\0');
    }
    ok = ok && print_macaroon(m, format);
    s2s_macaroon_free(m);
    return ok ? kExitOk : kExitUsage;
}

static const char kDischargeHelp[] =
    "usage: s2sauth discharge --key-file FILE --location LOC [caveat options] TOKEN|-\n"
    "\n"
    "Acting as the third party at LOC (which holds the caveat key in FILE), mints a\n"
    "discharge for every third-party caveat of TOKEN addressed to LOC (TOKEN may be\n"
    "a stack; caveats it already discharges are left alone), adds the caveat\n"
    "options to each, binds them to the root, and prints the stack (root followed\n"
    "by its discharges, V2 binary, base64url) for use as one credential.\n\n";

int cmd_discharge(int argc, char **argv) {
    static const struct option opts[] = {
        {"key-file", required_argument, nullptr, 'K'},
        {"location", required_argument, nullptr, 'l'},
        {"help", no_argument, nullptr, 'h'},
        CAVEAT_OPTIONS,
        {nullptr, 0, nullptr, 0}};
    CaveatOptions cav;
    std::string key_file, location;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, nullptr)) != -1) {
        if (cav.take(c, optarg) == 0) continue;
        switch (c) {
        case 'K': key_file = optarg; break;
        case 'l': location = optarg; break;
        case 'h': std::printf("%s%s", kDischargeHelp, kCaveatHelp); return kExitOk;
        default: return usage_error("discharge: unknown option");
        }
    }
    if (optind + 1 != argc) return usage_error("discharge: give one TOKEN (or - for stdin)");
    if (key_file.empty() || location.empty()) {
        return usage_error("discharge: --key-file and --location are required");
    }
    std::string token, key;
    if (!read_token_arg(argv[optind], token)) return usage_error("discharge: empty token");
    if (!read_file_bytes(key_file, kMaxKeyFileBytes, key) || key.empty()) {
        return usage_error("discharge: cannot read key file " + key_file);
    }
    s2s_error err{};
    s2s_macaroon **stack = nullptr;
    size_t n = 0;
    if (s2s_stack_parse(token.data(), token.size(), nullptr, &stack, &n, &err) != S2S_OK) {
        return fail("discharge", err);
    }
    std::vector<s2s_macaroon *> out(stack, stack + n);
    bool ok = true;
    size_t made = 0;
    // Walk the root and every discharge already present, so nested third-party
    // caveats addressed to this location are discharged too.
    for (size_t i = 0; ok && i < out.size(); i++) {
        for (size_t j = 0; ok && j < s2s_macaroon_caveat_count(out[i]); j++) {
            const unsigned char *cid, *vid;
            size_t cid_len, vid_len;
            const char *loc;
            s2s_macaroon_caveat(out[i], j, &cid, &cid_len, &vid, &vid_len, &loc);
            if (vid == nullptr || loc == nullptr || location != loc) continue;
            // A caveat the input stack already discharges keeps its discharge:
            // a second one for the same caveat id would be denied as unused.
            bool discharged = false;
            for (size_t k = 1; k < out.size() && !discharged; k++) {
                size_t id_len = 0;
                const unsigned char *id = s2s_macaroon_identifier(out[k], &id_len);
                discharged = id_len == cid_len && std::memcmp(id, cid, cid_len) == 0;
            }
            if (discharged) continue;
            s2s_macaroon *d = nullptr;
            ok = s2s_macaroon_create(reinterpret_cast<const unsigned char *>(key.data()), key.size(),
                                     cid, cid_len, location.c_str(), &d, &err) == S2S_OK;
            if (!ok) {
                fail("discharge", err);
                break;
            }
            ok = cav.apply(d) && s2s_macaroon_bind(stack[0], d, &err) == S2S_OK;
            if (!ok && err.message[0]) fail("discharge", err);
            out.push_back(d);
            made++;
        }
    }
    std::fill(key.begin(), key.end(), '\0');
    if (ok && made == 0) {
        ok = false;
        usage_error("discharge: the token has no undischarged third-party caveat for " + location);
    }
    if (ok) {
        char *text = nullptr;
        ok = s2s_stack_serialize(out.data(), out.size(), &text, nullptr, &err) == S2S_OK;
        if (ok) std::printf("%s\n", text);
        else fail("discharge", err);
        s2s_free(text);
    }
    for (size_t i = n; i < out.size(); i++) s2s_macaroon_free(out[i]);
    s2s_stack_free(stack, n);
    return ok ? kExitOk : kExitUsage;
}

}  // namespace cli
