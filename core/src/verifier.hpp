// verifier.hpp: the immutable verifier and the snapshots it swaps.
//
// A verifier holds its configuration and one Snapshot (keys + revoked token
// ids).  Reloads build a whole new Snapshot and publish it atomically;
// verifications in flight keep the one they loaded.  Nothing else in a verifier
// changes after s2s_verifier_new, so workers, threads and forked processes share
// it without locks.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "config.hpp"
#include "keyring.hpp"
#include "macaroon/caveat_eval.hpp"
#include "macaroon/macaroon.hpp"
#include "mtls/mtls.hpp"
#include "revocation.hpp"

namespace s2s {

struct KeySet {
    std::vector<KeyEntry> keys;
    std::unordered_map<std::string, size_t, StringHash, std::equal_to<>> by_id;
    bool has_root_key = false;
    Digest root_key_derived{};  // root_key_file: verifies foreign identifiers
    HmacKeyState root_key_state;

    ~KeySet() { wipe(root_key_derived.data(), root_key_derived.size()); }
    const KeyEntry *find(std::string_view id) const {
        auto it = by_id.find(id);
        return it == by_id.end() ? nullptr : &keys[it->second];
    }
};

struct Snapshot {
    std::shared_ptr<const KeySet> keys;
    std::shared_ptr<const RevocationSet> revoked;  // never null
    bool revocation_broken = false;  // the list stopped loading: deny all (fail closed)
};

}  // namespace s2s

struct s2s_verifier {
    s2s::ConfigData cfg;
    s2s::mtls::Policy policy;
    bool mtls_active = false;  // a certificate requirement or allowlist is configured

    std::atomic<std::shared_ptr<const s2s::Snapshot>> snapshot;

    std::mutex reload_mu;  // serializes reloads; never taken on the hot path
    std::unique_ptr<s2s::RevocationSource> revocation_source;
    s2s::FileStamp keyring_stamp;
    std::atomic<int64_t> next_revocation_check_ms{0};
};

struct s2s_decision {
    bool allowed = false;
    s2s_reason reason = S2S_REASON_INTERNAL;
    std::string identity, token_id, key_id, spiffe_id, failed_caveat, detail;
};

namespace s2s {
const mtls::Policy *verifier_policy(const s2s_verifier *v);
}
