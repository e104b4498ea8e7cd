// fuzz_config.cpp: the configuration file parser (s2s_config_load, and the
// mTLS directives it validates through a scratch policy).
//
// The input is written to a private temporary file and loaded as a host
// loads its configuration.  Properties: a load either succeeds or reports an
// error with a message; the limits a successful load sets stay in their
// documented ranges.  When the configuration names no file for the mTLS
// policy, the policy is also built (so allowlist compilation is fuzzed
// without the fuzzer opening files of its choosing).
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config.hpp"
#include "fuzz_util.hpp"

namespace {

// The file lives only while one input is loaded (libFuzzer may end the
// process with _Exit, which runs no clean-up).
const char *config_path() {
    static char path[4096];
    if (path[0] == '\0') {
        std::string dir = std::filesystem::temp_directory_path().string();
        std::snprintf(path, sizeof path, "%s/s2s-fuzz-config-%d", dir.c_str(), int(getpid()));
    }
    return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    {
        std::ofstream out(config_path(), std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char *>(data), std::streamsize(size));
        FUZZ_CHECK(out.good());
    }
    s2s_config *cfg = nullptr;
    FUZZ_CHECK(s2s_config_new(&cfg, nullptr) == S2S_OK);
    s2s_error err{};
    s2s_status st = s2s_config_load(cfg, config_path(), &err);
    std::remove(config_path());
    if (st != S2S_OK) {
        FUZZ_CHECK(err.status == st && err.message[0] != '\0');
        s2s_config_free(cfg);
        return 0;
    }
    const s2s::Limits &l = cfg->d.limits;
    FUZZ_CHECK(l.max_token_bytes > 0 && l.max_caveats > 0 && l.max_caveat_bytes > 0);
    bool names_files = false;
    for (const auto &line : cfg->d.mtls_lines) {
        names_files = names_files || line.name == "trust_bundle" || line.name == "trust_bundle_spiffe" ||
                      line.name == "crl";
    }
    if (!names_files) {
        s2s::mtls::Policy policy;
        s2s::Error e = s2s::build_policy(cfg->d, policy);
        FUZZ_CHECK(!e || !e.message.empty());
    }
    s2s_config_free(cfg);
    return 0;
}
