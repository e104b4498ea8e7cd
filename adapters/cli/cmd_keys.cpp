// cmd_keys.cpp: `s2sauth keygen` and `s2sauth revoke`.
#include <getopt.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

#include "cli.hpp"

namespace cli {

static const char kKeygenHelp[] =
    "usage: s2sauth keygen --keyring FILE [--key-id ID] [--verify-only]\n"
    "\n"
    "Adds a fresh 32-byte random key to the key ring FILE (created with mode 0600\n"
    "if missing) and prints its key id.  The newest active key mints new tokens;\n"
    "every key in the ring verifies.  --verify-only adds a key that never mints.\n";

int cmd_keygen(int argc, char **argv) {
    static const struct option opts[] = {{"keyring", required_argument, nullptr, 'k'},
                                         {"key-id", required_argument, nullptr, 'i'},
                                         {"verify-only", no_argument, nullptr, 'v'},
                                         {"help", no_argument, nullptr, 'h'},
                                         {nullptr, 0, nullptr, 0}};
    std::string path, key_id;
    s2s_key_state state = S2S_KEY_ACTIVE;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, nullptr)) != -1) {
        switch (c) {
        case 'k': path = optarg; break;
        case 'i': key_id = optarg; break;
        case 'v': state = S2S_KEY_VERIFY_ONLY; break;
        case 'h': std::fputs(kKeygenHelp, stdout); return kExitOk;
        default: return usage_error("keygen: unknown option");
        }
    }
    if (path.empty() || optind != argc) return usage_error("keygen: --keyring FILE is required");

    s2s_error err{};
    s2s_keyring *kr = nullptr;
    struct stat st;
    bool existed = ::stat(path.c_str(), &st) == 0;
    if (existed) {
        // The ring is rewritten (temporary file + rename): rewrite the file a
        // symbolic link points to, not the link, or whatever reads the target
        // never sees the new key.
        if (char *real = realpath(path.c_str(), nullptr)) {
            path = real;
            std::free(real);
        }
    }
    s2s_status rc = existed ? s2s_keyring_load(path.c_str(), &kr, &err) : s2s_keyring_new(&kr, &err);
    if (rc != S2S_OK) return fail("keygen", err);
    if (key_id.empty()) {
        // A dated id sorts by age and says when a key was made.
        char buf[32];
        time_t now = time(nullptr);
        struct tm tm;
        gmtime_r(&now, &tm);
        std::strftime(buf, sizeof buf, "k%Y%m%d%H%M%S", &tm);
        key_id = buf;
        for (int n = 2; ; n++) {
            bool taken = false;
            for (size_t i = 0; i < s2s_keyring_count(kr); i++) {
                taken = taken || key_id == s2s_keyring_key_id(kr, i);
            }
            if (!taken) break;
            key_id = std::string(buf) + "-" + std::to_string(n);
        }
    }
    rc = s2s_keyring_generate(kr, key_id.c_str(), state, &err);
    if (rc == S2S_OK) rc = s2s_keyring_save(kr, path.c_str(), &err);
    s2s_keyring_free(kr);
    if (rc != S2S_OK) return fail("keygen", err);
    // The new file belongs to whoever ran keygen (often root); give it back to
    // the old file's owner and group, or a service that reads its ring as its
    // own user (postgres, www-data) cannot load it after the next reload.
    if (existed && (st.st_uid != geteuid() || st.st_gid != getegid()) &&
        ::chown(path.c_str(), st.st_uid, st.st_gid) != 0) {
        std::fprintf(stderr,
                     "s2sauth: keygen: key %s added, but %s could not be given back to its owner "
                     "(uid %u, gid %u: %s)\nhint: chown it before the service reloads\n",
                     key_id.c_str(), path.c_str(), unsigned(st.st_uid), unsigned(st.st_gid),
                     std::strerror(errno));
        return kExitUsage;
    }
    std::printf("%s\n", key_id.c_str());
    return kExitOk;
}

// The token id a verifier gives a macaroon: the s2s token id of its
// identifier or, for an identifier minted elsewhere, the identifier itself when
// it is short printable ASCII, else "sha256:" and the base64url SHA-256 of it.
// This mirrors foreign_token_id() in core/src/verifier.cpp; the CLI integration
// tests revoke foreign tokens through both paths to keep the two in step.
static bool token_id_of(const s2s_macaroon *m, std::string &out) {
    if (const char *tid = s2s_macaroon_token_id(m)) {
        out = tid;
        return true;
    }
    size_t len = 0;
    const unsigned char *id = s2s_macaroon_identifier(m, &len);
    bool printable = len > 0 && len <= 256;
    for (size_t i = 0; printable && i < len; i++) printable = id[i] > 0x20 && id[i] < 0x7f;
    if (printable) {
        out.assign(reinterpret_cast<const char *>(id), len);
        return true;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (EVP_Digest(id, len, md, &md_len, EVP_sha256(), nullptr) != 1) return false;
    unsigned char b64[64];
    int n = EVP_EncodeBlock(b64, md, int(md_len));
    out = "sha256:";
    for (int i = 0; i < n && b64[i] != '='; i++) {
        out += b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : char(b64[i]);
    }
    return true;
}

static const char kRevokeHelp[] =
    "usage: s2sauth revoke --revocation-list FILE (TOKEN-ID | --token TOKEN|-)\n"
    "\n"
    "Appends a token id to the revocation list.  Verifiers re-read the list within\n"
    "a second.  With --token, the token id is read from the token itself (for a\n"
    "token minted elsewhere: the id that `s2sauth verify` reports for it).\n";

int cmd_revoke(int argc, char **argv) {
    static const struct option opts[] = {{"revocation-list", required_argument, nullptr, 'r'},
                                         {"token", required_argument, nullptr, 't'},
                                         {"help", no_argument, nullptr, 'h'},
                                         {nullptr, 0, nullptr, 0}};
    std::string path, token_arg;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, nullptr)) != -1) {
        switch (c) {
        case 'r': path = optarg; break;
        case 't': token_arg = optarg; break;
        case 'h': std::fputs(kRevokeHelp, stdout); return kExitOk;
        default: return usage_error("revoke: unknown option");
        }
    }
    std::string token_id;
    if (!token_arg.empty()) {
        if (optind != argc) return usage_error("revoke: give a token id or --token, not both");
        std::string token;
        if (!read_token_arg(token_arg, token)) return usage_error("revoke: empty token");
        s2s_macaroon **stack = nullptr;
        size_t n = 0;
        s2s_error err{};
        if (s2s_stack_parse(token.data(), token.size(), nullptr, &stack, &n, &err) != S2S_OK) {
            return fail("revoke", err);
        }
        bool ok = token_id_of(stack[0], token_id);
        s2s_stack_free(stack, n);
        if (!ok) return usage_error("revoke: cannot compute the token id");
    } else {
        if (optind + 1 != argc) return usage_error("revoke: give exactly one token id");
        token_id = argv[optind];
    }
    if (path.empty()) return usage_error("revoke: --revocation-list FILE is required");
    s2s_error err{};
    if (s2s_revocation_append(path.c_str(), token_id.c_str(), &err) != S2S_OK) {
        return fail("revoke", err);
    }
    std::printf("revoked %s\n", token_id.c_str());
    return kExitOk;
}

}  // namespace cli
