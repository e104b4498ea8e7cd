// cmd_cert.cpp: `s2sauth cert inspect`, and the thumbprint for --bind-cert.
#include <cstdio>
#include <cstring>
#include <string>

#include "cli.hpp"
#include "cli_cert.h"

namespace cli {

bool cert_thumbprint(const std::string &pem_path, std::string &out) {
    char x5t[64];
    if (s2s_cli_cert_x5t(pem_path.c_str(), x5t, sizeof x5t) != 0) return false;
    out = x5t;
    return true;
}

int cmd_cert(int argc, char **argv) {
    if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "inspect") != 0) {
        std::fputs("usage: s2sauth cert inspect CHAIN.pem\n\n"
                   "Prints the leaf's subject, issuer, serial, validity, SANs, SPIFFE ID,\n"
                   "SHA-256 fingerprint, x5t#S256 (for cert.sha256 caveats) and SPKI pin.\n",
                   argc >= 2 && std::strcmp(argv[1], "--help") == 0 ? stdout : stderr);
        return argc >= 2 && std::strcmp(argv[1], "--help") == 0 ? kExitOk : kExitUsage;
    }
    return s2s_cli_cert_inspect(argc - 1, argv + 1);
}

}  // namespace cli
