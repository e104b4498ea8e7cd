// config.hpp: the one configuration format every adapter shares.
//
//     # comment
//     <directive> <value>
//
// A directive is given at most once (except repeatable mTLS ones).  The
// configuration only records values; files are read when a verifier is built,
// so a bad file fails s2s_verifier_new (and so `nginx -t`, server start).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "keyring.hpp"
#include "macaroon/macaroon.hpp"
#include "mtls/mtls.hpp"
#include "result.hpp"

namespace s2s {

struct ConfigData {
    std::string keyring_path;
    std::optional<std::vector<KeyEntry>> keyring;  // set by s2s_config_set_keyring
    std::string root_key_path;
    std::string revocation_path;
    std::string service;
    Limits limits;

    struct Line {
        std::string name, value, origin;  // origin: "file:line" or "s2s_config_set"
    };
    std::vector<Line> mtls_lines;  // replayed into each verifier's Policy
    std::vector<std::string> seen;

    Error set(const std::string &name, const std::string &value, const std::string &origin);
};

// Builds a fresh policy from the recorded mTLS directives and loads its files.
Error build_policy(const ConfigData &cfg, mtls::Policy &policy);

}  // namespace s2s

struct s2s_config {
    s2s::ConfigData d;
};
