// main.cpp: `s2sauth`, the command-line tool: create keys, mint, attenuate,
// inspect, discharge, verify and revoke tokens, and inspect certificates.
#include <cstdio>
#include <cstring>
#include <string>

#include "cli.hpp"

namespace {

const char kHelp[] =
    "usage: s2sauth COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  keygen      add a new key to a key ring\n"
    "  mint        mint a token\n"
    "  attenuate   add caveats (or a third-party caveat) to a token\n"
    "  discharge   mint bound discharges for a token's third-party caveats\n"
    "  inspect     show what a token or stack claims\n"
    "  verify      verify a token or stack against a context\n"
    "  revoke      add a token id to a revocation list\n"
    "  cert        inspect a certificate (cert inspect CHAIN.pem)\n"
    "\n"
    "'s2sauth COMMAND --help' describes each.  Tokens given as '-' are read from\n"
    "standard input, so they need not appear in the process list.\n";

struct Command {
    const char *name;
    int (*run)(int, char **);
};

const Command kCommands[] = {
    {"keygen", cli::cmd_keygen},       {"mint", cli::cmd_mint},
    {"attenuate", cli::cmd_attenuate}, {"discharge", cli::cmd_discharge},
    {"inspect", cli::cmd_inspect},     {"verify", cli::cmd_verify},
    {"revoke", cli::cmd_revoke},       {"cert", cli::cmd_cert},
};

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
        std::fputs(kHelp, argc < 2 ? stderr : stdout);
        return argc < 2 ? cli::kExitUsage : cli::kExitOk;
    }
    if (std::strcmp(argv[1], "--version") == 0) {
        std::printf("s2sauth %s (ABI %d)\n", s2s_version(), s2s_abi_version());
        return cli::kExitOk;
    }
    for (const Command &c : kCommands) {
        if (std::strcmp(argv[1], c.name) == 0) return c.run(argc - 1, argv + 1);
    }
    return cli::usage_error(std::string("unknown command '") + argv[1] + "'");
}
