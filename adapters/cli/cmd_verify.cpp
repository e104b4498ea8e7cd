// cmd_verify.cpp: `s2sauth verify`, the same decision a host adapter makes.
#include <getopt.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"

namespace cli {

static const char kVerifyHelp[] =
    "usage: s2sauth verify (--config FILE | --keyring FILE | --root-key-file FILE)\n"
    "                      [--revocation-list FILE] [--service NAME] [--ctx KEY=VALUE]...\n"
    "                      [--cert CHAIN.pem] [--time RFC3339] [--json] TOKEN|-\n"
    "\n"
    "Verifies a token or stack against a context and prints the decision.\n"
    "--ctx supplies a fact a host would: client.ip, http.method, http.path,\n"
    "http.host, redis.cmd, redis.key (repeatable), redis.channel, redis.user,\n"
    "pg.db, pg.role, service.  A caveat on a fact not supplied is denied.\n"
    "Exit status: 0 allow, 1 deny, 2 usage or configuration error.\n";

int cmd_verify(int argc, char **argv) {
    static const struct option opts[] = {
        {"config", required_argument, nullptr, 'C'},
        {"keyring", required_argument, nullptr, 'k'},
        {"root-key-file", required_argument, nullptr, 'r'},
        {"revocation-list", required_argument, nullptr, 'R'},
        {"service", required_argument, nullptr, 's'},
        {"ctx", required_argument, nullptr, 'x'},
        {"cert", required_argument, nullptr, 'c'},
        {"time", required_argument, nullptr, 't'},
        {"json", no_argument, nullptr, 'j'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0}};
    // Optional, not "empty means unset": `--config "$CONF"` with an unset
    // variable must fail, not verify without the file's revocation list.
    std::optional<std::string> config_file, time_text, cert_file;
    std::vector<std::pair<std::string, std::string>> directives;
    std::vector<std::pair<int, std::string>> facts;
    bool json = false;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, nullptr)) != -1) {
        switch (c) {
        case 'C': config_file = optarg; break;
        case 'k': directives.emplace_back("keyring", optarg); break;
        case 'r': directives.emplace_back("root_key_file", optarg); break;
        case 'R': directives.emplace_back("revocation_list", optarg); break;
        case 's': directives.emplace_back("service", optarg); break;
        case 'c': cert_file = optarg; break;
        case 't': time_text = optarg; break;
        case 'j': json = true; break;
        case 'x': {
            std::string kv = optarg;
            size_t eq = kv.find('=');
            int attr = eq == std::string::npos ? -1 : s2s_attr_from_name(kv.substr(0, eq).c_str());
            if (attr < 0) return usage_error("--ctx takes KEY=VALUE with a known key: " + kv);
            facts.emplace_back(attr, kv.substr(eq + 1));
            break;
        }
        case 'h': std::fputs(kVerifyHelp, stdout); return kExitOk;
        default: return usage_error("verify: unknown option");
        }
    }
    if (optind + 1 != argc) return usage_error("verify: give one TOKEN (or - for stdin)");
    std::string token;
    if (!read_token_arg(argv[optind], token)) return usage_error("verify: empty token");

    s2s_error err{};
    s2s_config *cfg = nullptr;
    s2s_verifier *v = nullptr;
    s2s_context *ctx = nullptr;
    s2s_decision *d = nullptr;
    s2s_peer *peer = nullptr;
    int rc = kExitUsage;
    do {
        if (s2s_config_new(&cfg, &err) != S2S_OK) { fail("verify", err); break; }
        if (config_file && s2s_config_load(cfg, config_file->c_str(), &err) != S2S_OK) {
            fail("verify", err);
            break;
        }
        bool bad = false;
        for (auto &[name, value] : directives) {
            if (s2s_config_set(cfg, name.c_str(), value.c_str(), &err) != S2S_OK) {
                fail("verify", err);
                bad = true;
                break;
            }
        }
        if (bad) break;
        if (s2s_verifier_new(cfg, &v, &err) != S2S_OK) { fail("verify", err); break; }
        if (s2s_context_new(&ctx, &err) != S2S_OK || s2s_decision_new(&d, &err) != S2S_OK) {
            fail("verify", err);
            break;
        }
        for (auto &[attr, value] : facts) {
            if (s2s_context_set(ctx, s2s_attr(attr), value.data(), value.size()) != S2S_OK) {
                usage_error("verify: bad --ctx value for " + std::string(s2s_attr_name(s2s_attr(attr))));
                bad = true;
                break;
            }
        }
        if (bad) break;
        if (time_text) {
            long long t = 0;
            if (!parse_rfc3339(*time_text, t)) { usage_error("--time takes YYYY-MM-DDTHH:MM:SSZ"); break; }
            s2s_context_set_time(ctx, t);
        }
        if (cert_file) {
            std::string pem;
            if (!read_file_bytes(*cert_file, 1 << 20, pem)) { usage_error("cannot read " + *cert_file); break; }
            // The CLI has no TLS handshake: the chain is judged by the verifier's
            // own trust bundle, if one is configured.
            if (s2s_peer_new_pem(v, pem.data(), pem.size(), 0, &peer, &err) != S2S_OK) {
                fail("verify", err);
                break;
            }
            s2s_context_set_peer(ctx, peer);
        }
        if (s2s_verify(v, ctx, token.data(), token.size(), d, &err) != S2S_OK) {
            fail("verify", err);
            break;
        }
        bool allowed = s2s_decision_allowed(d);
        const char *reason = s2s_reason_name(s2s_decision_reason(d));
        if (json) {
            std::printf("{\"allowed\":%s,\"reason\":%s,\"detail\":%s,\"identity\":%s,\"token_id\":%s,"
                        "\"key_id\":%s,\"spiffe_id\":%s,\"failed_caveat\":%s}\n",
                        allowed ? "true" : "false", json_string(reason).c_str(),
                        json_string(s2s_decision_detail(d)).c_str(),
                        json_string(s2s_decision_identity(d)).c_str(),
                        json_string(s2s_decision_token_id(d)).c_str(),
                        json_string(s2s_decision_key_id(d)).c_str(),
                        json_string(s2s_decision_spiffe_id(d)).c_str(),
                        json_string(s2s_decision_failed_caveat(d)).c_str());
        } else {
            std::printf("%s: %s (%s)\n", allowed ? "allow" : "deny", reason, s2s_decision_detail(d));
            if (*s2s_decision_failed_caveat(d)) std::printf("  caveat:    %s\n", s2s_decision_failed_caveat(d));
            if (*s2s_decision_identity(d)) std::printf("  identity:  %s\n", s2s_decision_identity(d));
            if (*s2s_decision_token_id(d)) std::printf("  token id:  %s\n", s2s_decision_token_id(d));
            if (*s2s_decision_key_id(d)) std::printf("  key id:    %s\n", s2s_decision_key_id(d));
            if (*s2s_decision_spiffe_id(d)) std::printf("  spiffe id: %s\n", s2s_decision_spiffe_id(d));
        }
        rc = allowed ? kExitOk : kExitDeny;
    } while (false);
    s2s_peer_free(peer);
    s2s_decision_free(d);
    s2s_context_free(ctx);
    s2s_verifier_free(v);
    s2s_config_free(cfg);
    return rc;
}

}  // namespace cli
