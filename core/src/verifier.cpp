// verifier.cpp: building verifiers, reloading them, and verifying credentials.
//
// Verification runs in three steps, and the first failure decides:
//  1. the certificate policy (mTLS), when one is configured;
//  2. the signatures: the root's HMAC chain from its key, then each discharge's
//     chain from the caveat key sealed in its vid, bound to the root signature;
//     every discharge must be used exactly once;
//  3. revocation, then the first-party caveats of the root and every discharge,
//     in order, against the context.
// Signatures come before caveats so that a forged token always reads
// bad_signature, whatever caveats it claims.
#include "verifier.hpp"

#include <openssl/evp.h>

#include <ctime>
#include <cstring>

#include "base64.hpp"
#include "context.hpp"
#include "guard.hpp"

namespace s2s {

const mtls::Policy *verifier_policy(const s2s_verifier *v) { return v ? &v->policy : nullptr; }

namespace {

constexpr size_t kMaxRootKeyBytes = 4096;
constexpr size_t kMaxLoggedCaveat = 256;

int64_t monotonic_ms() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// ---- building -------------------------------------------------------------------

Error load_keys(const ConfigData &cfg, std::shared_ptr<const KeySet> &out, FileStamp *stamp) {
    auto ks = std::make_shared<KeySet>();
    if (cfg.keyring) {
        ks->keys = *cfg.keyring;
    } else if (!cfg.keyring_path.empty()) {
        std::string text;
        if (Error e = read_file(cfg.keyring_path, kMaxKeyringBytes, FileKind::secret, text, stamp)) {
            return e;
        }
        Error e = parse_keyring(cfg.keyring_path, text, ks->keys);
        wipe(text.data(), text.size());
        if (e) return e;
    }
    for (size_t i = 0; i < ks->keys.size(); i++) ks->by_id.emplace(ks->keys[i].id, i);
    if (!cfg.root_key_path.empty()) {
        std::string raw;
        Error e = read_file(cfg.root_key_path, kMaxRootKeyBytes, FileKind::secret, raw);
        if (!e && raw.empty()) {
            e = make_error(S2S_ERR_KEYRING, "root key file is empty", cfg.root_key_path);
        }
        if (!e && (!derive_root_key(raw, ks->root_key_derived) ||
                   !hmac_prepare(ks->root_key_derived, ks->root_key_state))) {
            e = make_error(S2S_ERR_CRYPTO, "cannot derive root key");
        }
        wipe(raw.data(), raw.size());
        if (e) return e;
        ks->has_root_key = true;
    }
    if (ks->keys.empty() && !ks->has_root_key) {
        return make_error(S2S_ERR_KEYRING, "no verification key",
                          cfg.keyring_path.empty() ? "neither keyring nor root_key_file is set"
                                                   : cfg.keyring_path + " lists no key",
                          "generate one with `s2sauth keygen`");
    }
    out = std::move(ks);
    return {};
}

void publish(s2s_verifier *v, std::shared_ptr<const KeySet> keys,
             std::shared_ptr<const RevocationSet> revoked, bool broken) {
    auto snap = std::make_shared<Snapshot>();
    snap->keys = std::move(keys);
    snap->revoked = std::move(revoked);
    snap->revocation_broken = broken;
    v->snapshot.store(std::move(snap), std::memory_order_release);
}

// Re-reads the revocation source; on failure the snapshot turns fail-closed.
// Called with reload_mu held.
Error refresh_revocations(s2s_verifier *v) {
    if (!v->revocation_source) return {};
    std::shared_ptr<const RevocationSet> fresh;
    Error e = v->revocation_source->load(fresh);
    auto cur = v->snapshot.load(std::memory_order_acquire);
    if (e) {
        if (!cur->revocation_broken) publish(v, cur->keys, cur->revoked, true);
        return e;
    }
    if (fresh) {
        publish(v, cur->keys, std::move(fresh), false);
    } else if (cur->revocation_broken) {
        publish(v, cur->keys, cur->revoked, false);
    }
    return {};
}

void maybe_refresh_revocations(const s2s_verifier *cv) {
    if (!cv->revocation_source) return;
    int64_t now = monotonic_ms();
    if (now < cv->next_revocation_check_ms.load(std::memory_order_relaxed)) return;
    // The verifier is logically immutable; the revocation refresh is the one
    // internal mutation, serialized by reload_mu and invisible to callers.
    auto *v = const_cast<s2s_verifier *>(cv);
    std::unique_lock lock(v->reload_mu, std::try_to_lock);
    if (!lock.owns_lock()) return;
    v->next_revocation_check_ms.store(now + 1000, std::memory_order_relaxed);
    (void)refresh_revocations(v);
}

// ---- decisions ----------------------------------------------------------------------

// Every host prints the failed caveat between double quotes (nginx's error
// log, PAM's syslog line, PostgreSQL's DETAIL), so '"' is escaped as well as
// '\\': a caveat cannot end its field early and forge the ones after it.
void escape_for_log(std::string_view in, std::string &out) {
    static const char hex[] = "0123456789abcdef";
    out.clear();
    for (unsigned char c : in) {
        if (out.size() >= kMaxLoggedCaveat) {
            out += "...";
            return;
        }
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
            out += char(c);
        } else {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
}

void decision_reset(s2s_decision *d) {
    d->allowed = false;
    d->reason = S2S_REASON_INTERNAL;
    d->identity.clear();
    d->token_id.clear();
    d->key_id.clear();
    d->spiffe_id.clear();
    d->failed_caveat.clear();
    d->detail.clear();
}

void deny(s2s_decision *d, s2s_reason r, std::string_view detail) {
    d->allowed = false;
    d->reason = r;
    d->detail.assign(detail);
}

// The token id of a foreign (non-s2s) identifier: the identifier itself when it
// is short printable ASCII, else "sha256:" + base64url of its digest.
void foreign_token_id(std::string_view identifier, std::string &out) {
    bool printable = !identifier.empty() && identifier.size() <= 256;
    for (unsigned char c : identifier) printable = printable && c > 0x20 && c < 0x7f;
    if (printable) {
        out.assign(identifier);
        return;
    }
    uint8_t md[32];
    unsigned int n = 0;
    EVP_Digest(identifier.data(), identifier.size(), md, &n, EVP_sha256(), nullptr);
    out = "sha256:" + base64url_encode({reinterpret_cast<char *>(md), sizeof md});
}

PeerFacts peer_facts(const Context &ctx) {
    PeerFacts pf;
    if (ctx.peer != nullptr) {
        pf.present = true;
        pf.trusted = ctx.peer->trusted;
        pf.cert_sha256 = ctx.peer->cert_sha256;
        pf.spiffe_id = ctx.peer->spiffe_id;
    }
    return pf;
}

// ---- signatures -----------------------------------------------------------------------

struct ChainWork {
    const Limits *limits;
    std::vector<Macaroon> *stack;
    std::vector<uint8_t> used;         // per stack entry
    std::vector<uint16_t> order;       // macaroons whose caveats to evaluate, in order
    std::vector<Digest> tp_sigs;       // scratch: the signature before each third-party caveat
    const char *detail = "";
};

s2s_reason verify_macaroon(ChainWork &w, size_t index, const Digest &key,
                           const HmacKeyState *prepared, size_t depth);

// Finds the one discharge whose identifier is `cid`.
s2s_reason find_discharge(ChainWork &w, std::string_view cid, size_t &found) {
    const auto &stack = *w.stack;
    size_t hits = 0;
    for (size_t i = 1; i < stack.size(); i++) {
        if (stack[i].identifier == cid) {
            found = i;
            hits++;
        }
    }
    if (hits == 0) {
        w.detail = "no discharge for a third-party caveat";
        return S2S_REASON_DISCHARGE_MISSING;
    }
    if (hits > 1) {
        w.detail = "two discharges for one caveat id";
        return S2S_REASON_DISCHARGE_UNUSED;
    }
    if (w.used[found]) {
        w.detail = "discharge used twice (a cycle)";
        return S2S_REASON_DISCHARGE_UNUSED;
    }
    return S2S_REASON_OK;
}

// `prepared` is `key` in prepared form when the caller has it (root keys).
s2s_reason verify_macaroon(ChainWork &w, size_t index, const Digest &key,
                           const HmacKeyState *prepared, size_t depth) {
    const Macaroon &m = (*w.stack)[index];
    if (depth > w.limits->max_depth) {
        w.detail = "discharges nested deeper than max_depth";
        return S2S_REASON_DISCHARGE_INVALID;
    }
    w.used[index] = 1;
    w.order.push_back(uint16_t(index));

    WipedDigest sig;
    bool first = prepared ? hmac_sha256_prepared(*prepared, m.identifier, sig.d)
                          : hmac_sha256(key.data(), key.size(), m.identifier, sig.d);
    if (!first) return S2S_REASON_INTERNAL;
    size_t tp_base = w.tp_sigs.size();
    for (const Caveat &c : m.caveats) {
        bool ok;
        if (c.third_party()) {
            w.tp_sigs.push_back(sig.d);
            ok = hmac_sha256_pair(sig.d, c.vid, c.id, sig.d);
        } else {
            ok = hmac_sha256(sig.d.data(), sig.d.size(), c.id, sig.d);
        }
        if (!ok) return S2S_REASON_INTERNAL;
    }

    bool good;
    if (index == 0) {
        good = equal_ct(sig.d.data(), m.signature.data(), kHashBytes);
    } else {
        WipedDigest bound;
        if (!bind_signature((*w.stack)[0].signature, sig.d, bound.d)) return S2S_REASON_INTERNAL;
        good = equal_ct(bound.d.data(), m.signature.data(), kHashBytes);
    }
    if (!good) {
        w.detail = index == 0 ? "signature does not match" : "discharge signature or binding does not match";
        return index == 0 ? S2S_REASON_BAD_SIGNATURE : S2S_REASON_DISCHARGE_INVALID;
    }

    // Only now that this macaroon is authentic are its third-party caveats opened.
    size_t tp = tp_base;
    for (const Caveat &c : m.caveats) {
        if (!c.third_party()) continue;
        Digest sealed_under = w.tp_sigs[tp++];
        size_t found = 0;
        if (s2s_reason r = find_discharge(w, c.id, found); r != S2S_REASON_OK) return r;
        WipedDigest caveat_key;
        bool opened = secretbox_open(sealed_under, c.vid, caveat_key.d);
        wipe(sealed_under.data(), sealed_under.size());
        if (!opened) {
            w.detail = "third-party caveat verification id does not open";
            return S2S_REASON_DISCHARGE_INVALID;
        }
        if (s2s_reason r = verify_macaroon(w, found, caveat_key.d, nullptr, depth + 1);
            r != S2S_REASON_OK) {
            return r;
        }
    }
    return S2S_REASON_OK;
}

// ---- caveats --------------------------------------------------------------------------

s2s_reason eval_all(const std::vector<Macaroon> &stack, const std::vector<uint16_t> &order,
                    const Context &ctx, const PeerFacts &pf, int64_t now, CaveatState &state,
                    s2s_decision *d) {
    for (uint16_t idx : order) {
        for (const Caveat &c : stack[idx].caveats) {
            if (c.third_party()) continue;
            CaveatResult r = eval_caveat(c.id, ctx, pf, now, state);
            if (r.reason != S2S_REASON_OK) {
                escape_for_log(c.id, d->failed_caveat);
                return r.reason;
            }
        }
    }
    return S2S_REASON_OK;
}

const char *caveat_detail(s2s_reason r) {
    switch (r) {
    case S2S_REASON_EXPIRED: return "token expired";
    case S2S_REASON_NOT_YET_VALID: return "token not yet valid";
    case S2S_REASON_CAVEAT_UNKNOWN: return "unknown caveat";
    case S2S_REASON_CAVEAT_MALFORMED: return "malformed caveat";
    case S2S_REASON_CONTEXT_MISSING: return "caveat on an attribute this host does not supply";
    case S2S_REASON_IDENTITY_CONFLICT: return "identity caveats disagree";
    case S2S_REASON_CERT_REQUIRED: return "token bound to a certificate, none presented";
    case S2S_REASON_CERT_UNTRUSTED: return "token bound to a certificate, presented one is untrusted";
    case S2S_REASON_CERT_MISMATCH: return "token bound to another certificate";
    default: return "caveat not satisfied";
    }
}

// The request-dependent part of verification, shared by verify and grant checks:
// policy on the peer, revocation, then caveats.
struct Verified {
    const std::vector<Macaroon> *stack;
    const std::vector<uint16_t> *order;
    std::string_view token_id;
};

void judge(const s2s_verifier *v, const Snapshot &snap, const Context &ctx, const Verified &ok,
           bool authenticating, s2s_decision *d) {
    PeerFacts pf = peer_facts(ctx);
    if (snap.revocation_broken) {
        deny(d, S2S_REASON_INTERNAL, "revocation list cannot be loaded; denying all (fail closed)");
        return;
    }
    if (snap.revoked->contains(ok.token_id)) {
        deny(d, S2S_REASON_REVOKED, "token id is on the revocation list");
        return;
    }
    const Context *c = &ctx;
    if (!ctx.present[S2S_ATTR_SERVICE] && !v->cfg.service.empty()) {
        // The configured service stands in for one the host did not supply; the
        // copy reuses this thread's vectors, so it does not allocate.
        thread_local Context with_service;
        with_service = ctx;
        with_service.value[S2S_ATTR_SERVICE] = v->cfg.service;
        with_service.present[S2S_ATTR_SERVICE] = true;
        c = &with_service;
    }
    int64_t now = ctx.time_set ? ctx.now : int64_t(time(nullptr));
    CaveatState state;
    state.honor_deferred = authenticating;
    s2s_reason r = eval_all(*ok.stack, *ok.order, *c, pf, now, state, d);
    if (r != S2S_REASON_OK) {
        deny(d, r, caveat_detail(r));
        return;
    }
    d->allowed = true;
    d->reason = S2S_REASON_OK;
    d->identity.assign(state.identity);
    if (pf.present && pf.trusted) d->spiffe_id.assign(pf.spiffe_id);
    d->detail.assign("allowed");
}

// The certificate policy, before any token is looked at.  Without a
// requirement or allowlist a certificate is optional, but one that is
// presented and fails the core's own verification is still a deny: it is an
// attack or a misconfiguration, never a reason to look the other way.
bool policy_admits(const s2s_verifier *v, const Context &ctx, s2s_decision *d) {
    if (!v->mtls_active) {
        if (ctx.peer != nullptr && !ctx.peer->trusted && v->policy.has_trust_bundle()) {
            deny(d, S2S_REASON_CERT_UNTRUSTED, "client certificate did not verify");
            return false;
        }
        return true;
    }
    s2s_reason r = v->policy.check(ctx.peer);
    if (r == S2S_REASON_OK) return true;
    deny(d, r, r == S2S_REASON_CERT_REQUIRED ? "a client certificate is required"
               : r == S2S_REASON_CERT_POLICY ? "client certificate not in the allowlist"
                                             : "client certificate did not verify");
    return false;
}

// Per-thread scratch, so a steady stream of verifications does not allocate.
struct Scratch {
    std::vector<Macaroon> stack;
    std::string decoded;
    std::string token_id;
    ChainWork work{};
};

Scratch &scratch() {
    thread_local Scratch s;
    return s;
}

// Parses and authenticates `credential`; on success `s.work.order` lists the
// macaroons to evaluate and d->token_id / d->key_id are set.
bool authenticate(const s2s_verifier *v, const Snapshot &snap, std::string_view credential,
                  Scratch &s, s2s_decision *d) {
    const Limits &limits = v->cfg.limits;
    if (credential.size() > limits.max_token_bytes) {
        deny(d, S2S_REASON_TOO_LARGE, "credential larger than max_token_bytes");
        return false;
    }
    ParseError pe;
    if (!decode_stack(credential, limits, s.stack, s.decoded, pe)) {
        deny(d, pe.too_large ? S2S_REASON_TOO_LARGE : S2S_REASON_MALFORMED,
             pe.what ? pe.what : "credential does not parse");
        return false;
    }
    const Macaroon &root = s.stack[0];
    std::string_view key_id, token_id;
    const Digest *key = nullptr;
    const HmacKeyState *prepared = nullptr;
    if (parse_identifier(root.identifier, key_id, token_id)) {
        d->key_id.assign(key_id);
        d->token_id.assign(token_id);
        if (const KeyEntry *k = snap.keys->find(key_id)) {
            key = &k->derived;
            prepared = &k->derived_state;
        }
    } else if (snap.keys->has_root_key) {
        foreign_token_id(root.identifier, d->token_id);
        key = &snap.keys->root_key_derived;
        prepared = &snap.keys->root_key_state;
    }
    if (key == nullptr) {
        deny(d, S2S_REASON_UNKNOWN_KEY, "the token's key id is not in the key ring");
        return false;
    }
    ChainWork &w = s.work;
    w.limits = &limits;
    w.stack = &s.stack;
    w.used.assign(s.stack.size(), 0);
    w.order.clear();
    w.tp_sigs.clear();
    w.detail = "";
    s2s_reason r = verify_macaroon(w, 0, *key, prepared, 0);
    for (Digest &sig : w.tp_sigs) wipe(sig.data(), sig.size());
    if (r == S2S_REASON_OK) {
        for (size_t i = 1; i < s.stack.size(); i++) {
            if (!w.used[i]) {
                r = S2S_REASON_DISCHARGE_UNUSED;
                w.detail = "a discharge that no caveat asked for";
                break;
            }
        }
    }
    if (r != S2S_REASON_OK) {
        deny(d, r, w.detail);
        return false;
    }
    return true;
}

}  // namespace
}  // namespace s2s

struct s2s_grant {
    std::vector<s2s::Macaroon> stack;
    std::vector<uint16_t> order;
    std::string token_id, key_id;
    bool foreign = false;
};

using namespace s2s;

extern "C" {

S2S_API s2s_status s2s_verifier_new(const s2s_config *cfg, s2s_verifier **out, s2s_error *err) {
    if (cfg == nullptr || out == nullptr) return null_argument(err);
    *out = nullptr;
    if (!crypto_init()) return export_error(S2S_ERR_CRYPTO, "cannot initialise crypto", "", "", err);
    return guarded(err, [&] {
        auto v = std::make_unique<s2s_verifier>();
        v->cfg = cfg->d;
        std::shared_ptr<const KeySet> keys;
        if (Error e = load_keys(v->cfg, keys, &v->keyring_stamp)) return export_error(e, err);
        std::shared_ptr<const RevocationSet> revoked = std::make_shared<RevocationSet>();
        if (!v->cfg.revocation_path.empty()) {
            v->revocation_source = make_file_revocation_source(v->cfg.revocation_path);
            std::shared_ptr<const RevocationSet> loaded;
            if (Error e = v->revocation_source->load(loaded)) return export_error(e, err);
            if (loaded) revoked = std::move(loaded);
        }
        if (Error e = build_policy(v->cfg, v->policy)) return export_error(e, err);
        v->mtls_active = v->policy.requires_client_cert() || v->policy.has_allowlist();
        publish(v.get(), std::move(keys), std::move(revoked), false);
        v->next_revocation_check_ms.store(monotonic_ms() + 1000);
        *out = v.release();
        return S2S_OK;
    });
}

S2S_API s2s_status s2s_verifier_new_from_file(const char *config_path, s2s_verifier **out,
                                              s2s_error *err) {
    if (config_path == nullptr || out == nullptr) return null_argument(err);
    *out = nullptr;
    s2s_config *cfg = nullptr;
    s2s_status st = s2s_config_new(&cfg, err);
    if (st == S2S_OK) st = s2s_config_load(cfg, config_path, err);
    if (st == S2S_OK) st = s2s_verifier_new(cfg, out, err);
    s2s_config_free(cfg);
    return st;
}

S2S_API s2s_status s2s_verifier_reload(s2s_verifier *v, s2s_error *err) {
    if (v == nullptr) return null_argument(err);
    return guarded(err, [&] {
        std::lock_guard lock(v->reload_mu);
        if (!v->cfg.keyring_path.empty() || !v->cfg.root_key_path.empty()) {
            FileStamp now;
            bool changed = !v->cfg.root_key_path.empty() ||
                           !stat_file(v->cfg.keyring_path, now) || !(now == v->keyring_stamp);
            if (changed && !v->cfg.keyring) {
                std::shared_ptr<const KeySet> keys;
                FileStamp stamp;
                if (Error e = load_keys(v->cfg, keys, &stamp)) return export_error(e, err);
                auto cur = v->snapshot.load(std::memory_order_acquire);
                publish(v, std::move(keys), cur->revoked, cur->revocation_broken);
                v->keyring_stamp = stamp;
            }
        }
        if (Error e = refresh_revocations(v)) return export_error(e, err);
        return S2S_OK;
    });
}

S2S_API const char *s2s_verifier_service(const s2s_verifier *v) {
    return v ? v->cfg.service.c_str() : "";
}

S2S_API void s2s_verifier_free(s2s_verifier *v) { delete v; }

S2S_API s2s_status s2s_decision_new(s2s_decision **out, s2s_error *err) {
    if (out == nullptr) return null_argument(err);
    *out = nullptr;
    return guarded(err, [&] {
        *out = new s2s_decision();
        return S2S_OK;
    });
}

S2S_API int s2s_decision_allowed(const s2s_decision *d) { return d && d->allowed ? 1 : 0; }
S2S_API s2s_reason s2s_decision_reason(const s2s_decision *d) {
    return d ? d->reason : S2S_REASON_INTERNAL;
}
S2S_API s2s_outcome s2s_decision_outcome(const s2s_decision *d) {
    if (d == nullptr) return S2S_DENY_UNAUTHENTICATED;
    if (d->allowed && d->reason == S2S_REASON_OK) return S2S_ALLOW;
    s2s_outcome o = s2s_reason_outcome(d->reason);
    return o == S2S_ALLOW ? S2S_DENY_UNAUTHENTICATED : o;
}
S2S_API const char *s2s_decision_identity(const s2s_decision *d) { return d ? d->identity.c_str() : ""; }
S2S_API const char *s2s_decision_token_id(const s2s_decision *d) { return d ? d->token_id.c_str() : ""; }
S2S_API const char *s2s_decision_key_id(const s2s_decision *d) { return d ? d->key_id.c_str() : ""; }
S2S_API const char *s2s_decision_spiffe_id(const s2s_decision *d) { return d ? d->spiffe_id.c_str() : ""; }
S2S_API const char *s2s_decision_failed_caveat(const s2s_decision *d) {
    return d ? d->failed_caveat.c_str() : "";
}
S2S_API const char *s2s_decision_detail(const s2s_decision *d) { return d ? d->detail.c_str() : ""; }
S2S_API void s2s_decision_free(s2s_decision *d) { delete d; }

}  // extern "C"

namespace {

// s2s_verify, and s2s_authenticate's first step (which honours deferrals).
s2s_status verify_credential(const s2s_verifier *v, const s2s_context *ctx, const char *credential,
                             size_t len, bool authenticating, s2s_decision *d, s2s_error *err) {
    if (d != nullptr) decision_reset(d);
    if (v == nullptr || ctx == nullptr || d == nullptr || (credential == nullptr && len != 0)) {
        if (d != nullptr) deny(d, S2S_REASON_INTERNAL, "invalid argument");
        return null_argument(err);
    }
    s2s_status st = guarded(err, [&] {
        maybe_refresh_revocations(v);
        auto snap = v->snapshot.load(std::memory_order_acquire);
        if (!policy_admits(v, ctx->c, d)) return S2S_OK;
        if (len == 0) {
            if (v->mtls_active && ctx->c.peer != nullptr) {
                // mTLS-only: the certificate policy above admitted the peer.
                d->allowed = true;
                d->reason = S2S_REASON_OK;
                d->spiffe_id = ctx->c.peer->spiffe_id;
                d->identity = ctx->c.peer->spiffe_id.empty() ? ctx->c.peer->subject
                                                             : ctx->c.peer->spiffe_id;
                d->detail = "allowed by client certificate";
            } else {
                deny(d, S2S_REASON_NO_CREDENTIAL, "no credential presented");
            }
            return S2S_OK;
        }
        Scratch &s = scratch();
        if (!authenticate(v, *snap, {credential, len}, s, d)) return S2S_OK;
        judge(v, *snap, ctx->c, Verified{&s.stack, &s.work.order, d->token_id}, authenticating, d);
        return S2S_OK;
    });
    if (st != S2S_OK) deny(d, S2S_REASON_INTERNAL, "verification failed internally");
    return st;
}

}  // namespace

extern "C" {

S2S_API s2s_status s2s_verify(const s2s_verifier *v, const s2s_context *ctx,
                              const char *credential, size_t len, s2s_decision *d,
                              s2s_error *err) {
    return verify_credential(v, ctx, credential, len, false, d, err);
}

S2S_API s2s_status s2s_authenticate(const s2s_verifier *v, const s2s_context *ctx,
                                    const char *credential, size_t len, s2s_decision *d,
                                    s2s_grant **out, s2s_error *err) {
    if (out != nullptr) *out = nullptr;
    if (out == nullptr) {
        if (d != nullptr) {
            decision_reset(d);
            deny(d, S2S_REASON_INTERNAL, "invalid argument");
        }
        return null_argument(err);
    }
    s2s_status st = verify_credential(v, ctx, credential, len, true, d, err);
    if (st != S2S_OK || !d->allowed || len == 0) return st;
    st = guarded(err, [&] {
        // s2s_verify left this thread's scratch holding the verified stack.
        Scratch &s = scratch();
        auto g = std::make_unique<s2s_grant>();
        g->stack = s.stack;
        g->order = s.work.order;
        g->token_id = d->token_id;
        g->key_id = d->key_id;
        g->foreign = d->key_id.empty();
        *out = g.release();
        return S2S_OK;
    });
    if (st != S2S_OK) deny(d, S2S_REASON_INTERNAL, "cannot keep the grant");
    return st;
}

S2S_API s2s_status s2s_grant_check(const s2s_verifier *v, const s2s_grant *g,
                                   const s2s_context *ctx, s2s_decision *d, s2s_error *err) {
    if (d != nullptr) decision_reset(d);
    if (v == nullptr || g == nullptr || ctx == nullptr || d == nullptr) {
        if (d != nullptr) deny(d, S2S_REASON_INTERNAL, "invalid argument");
        return null_argument(err);
    }
    s2s_status st = guarded(err, [&] {
        maybe_refresh_revocations(v);
        auto snap = v->snapshot.load(std::memory_order_acquire);
        d->token_id = g->token_id;
        d->key_id = g->key_id;
        if (!policy_admits(v, ctx->c, d)) return S2S_OK;
        // A key removed from the ring since authentication ends the grant.
        bool key_present = g->foreign ? snap->keys->has_root_key
                                      : snap->keys->find(g->key_id) != nullptr;
        if (!key_present) {
            deny(d, S2S_REASON_UNKNOWN_KEY, "the token's key was removed from the key ring");
            return S2S_OK;
        }
        judge(v, *snap, ctx->c, Verified{&g->stack, &g->order, g->token_id}, false, d);
        return S2S_OK;
    });
    if (st != S2S_OK) deny(d, S2S_REASON_INTERNAL, "verification failed internally");
    return st;
}

S2S_API const char *s2s_grant_declared(const s2s_grant *g, const char *key) {
    if (g == nullptr || key == nullptr || g->stack.empty()) return nullptr;
    size_t klen = std::strlen(key);
    for (const Caveat &c : g->stack[0].caveats) {
        if (c.third_party()) continue;
        std::string_view cv = c.id;
        if (cv.size() > klen + 3 && cv.compare(0, klen, key) == 0 && cv.substr(klen, 3) == " = ") {
            return c.id.c_str() + klen + 3;
        }
    }
    return nullptr;
}

S2S_API void s2s_grant_free(s2s_grant *g) { delete g; }

}  // extern "C"
