// cmd_cert.cpp: `s2sauth cert inspect`, and the thumbprint for --bind-cert.
#include <cstdio>
#include <cstring>
#include <string>

#include "cli.hpp"

namespace cli {

bool cert_thumbprint(const std::string &pem_path, std::string &out) {
    std::string pem;
    if (!read_file_bytes(pem_path, 1 << 20, pem)) {
        usage_error("cannot read certificate " + pem_path);
        return false;
    }
    s2s_error err{};
    s2s_peer *peer = nullptr;
    if (s2s_peer_new_pem(nullptr, pem.data(), pem.size(), 0, &peer, &err) != S2S_OK) {
        fail("certificate", err);
        return false;
    }
    out = s2s_peer_cert_sha256(peer);
    s2s_peer_free(peer);
    return !out.empty();
}

int cmd_cert(int argc, char **argv) {
    if (argc < 2 || std::strcmp(argv[1], "inspect") != 0) {
        return usage_error("usage: s2sauth cert inspect CHAIN.pem");
    }
    if (argc != 3) return usage_error("usage: s2sauth cert inspect CHAIN.pem");
    std::string x5t;
    if (!cert_thumbprint(argv[2], x5t)) return kExitUsage;
    std::printf("x5t#S256: %s\n", x5t.c_str());
    return kExitOk;
}

}  // namespace cli
