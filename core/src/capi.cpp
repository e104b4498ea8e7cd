// capi.cpp: the macaroon objects of the C ABI, and static names.
//
// Each s2s_macaroon wraps one Macaroon; the identifier's key id and token id
// are split out once, when the object is made, so the accessors are free.
#include <cstdlib>
#include <cstring>
#include <memory>

#include "base64.hpp"
#include "guard.hpp"
#include "keyring.hpp"
#include "macaroon/macaroon.hpp"

struct s2s_macaroon {
    s2s::Macaroon m;
    std::string key_id, token_id;  // empty for a foreign identifier
    std::string revocation_id;     // token_id, or the foreign identifier's id

    void refresh_ids() {
        std::string_view k, t;
        if (s2s::parse_identifier(m.identifier, k, t)) {
            key_id.assign(k);
            token_id.assign(t);
            revocation_id.assign(t);
        } else {
            key_id.clear();
            token_id.clear();
            s2s::foreign_token_id(m.identifier, revocation_id);
        }
    }
};

using namespace s2s;

namespace {

s2s_status malformed(const ParseError &pe, s2s_error *err) {
    return export_error(pe.too_large ? S2S_ERR_LIMIT : S2S_ERR_MALFORMED,
                        pe.too_large ? "token over a size limit" : "malformed token",
                        pe.what ? pe.what : "", "", err);
}

s2s_status hand_out(const std::string &text, char **out, size_t *out_len, s2s_error *err) {
    char *p = static_cast<char *>(std::malloc(text.size() + 1));
    if (p == nullptr) return export_error(S2S_ERR_NO_MEMORY, "out of memory", "", "", err);
    std::memcpy(p, text.data(), text.size());
    p[text.size()] = '\0';
    *out = p;
    if (out_len != nullptr) *out_len = text.size();
    return S2S_OK;
}

s2s_macaroon *wrap(Macaroon &&m) {
    auto *w = new s2s_macaroon();
    w->m = std::move(m);
    w->refresh_ids();
    return w;
}

}  // namespace

extern "C" {

S2S_API int s2s_abi_version(void) { return S2S_ABI_VERSION; }
S2S_API const char *s2s_version(void) { return S2S_VERSION_STRING; }
S2S_API void s2s_free(void *p) { std::free(p); }

S2S_API const char *s2s_status_name(s2s_status status) {
    switch (status) {
    case S2S_OK: return "ok";
    case S2S_ERR_INVALID_ARGUMENT: return "invalid_argument";
    case S2S_ERR_NO_MEMORY: return "no_memory";
    case S2S_ERR_IO: return "io";
    case S2S_ERR_CONFIG: return "config";
    case S2S_ERR_KEYRING: return "keyring";
    case S2S_ERR_PERMISSIONS: return "permissions";
    case S2S_ERR_MALFORMED: return "malformed";
    case S2S_ERR_LIMIT: return "limit";
    case S2S_ERR_CRYPTO: return "crypto";
    case S2S_ERR_NOT_FOUND: return "not_found";
    case S2S_ERR_INTERNAL: return "internal";
    }
    return "unknown";
}

S2S_API const char *s2s_reason_name(s2s_reason reason) {
    switch (reason) {
    case S2S_REASON_OK: return "ok";
    case S2S_REASON_NO_CREDENTIAL: return "no_credential";
    case S2S_REASON_MALFORMED: return "malformed";
    case S2S_REASON_TOO_LARGE: return "too_large";
    case S2S_REASON_UNKNOWN_KEY: return "unknown_key";
    case S2S_REASON_BAD_SIGNATURE: return "bad_signature";
    case S2S_REASON_REVOKED: return "revoked";
    case S2S_REASON_EXPIRED: return "expired";
    case S2S_REASON_NOT_YET_VALID: return "not_yet_valid";
    case S2S_REASON_CAVEAT_UNSATISFIED: return "caveat_unsatisfied";
    case S2S_REASON_CAVEAT_UNKNOWN: return "caveat_unknown";
    case S2S_REASON_CAVEAT_MALFORMED: return "caveat_malformed";
    case S2S_REASON_CONTEXT_MISSING: return "context_missing";
    case S2S_REASON_IDENTITY_CONFLICT: return "identity_conflict";
    case S2S_REASON_DISCHARGE_MISSING: return "discharge_missing";
    case S2S_REASON_DISCHARGE_INVALID: return "discharge_invalid";
    case S2S_REASON_DISCHARGE_UNUSED: return "discharge_unused";
    case S2S_REASON_CERT_REQUIRED: return "cert_required";
    case S2S_REASON_CERT_UNTRUSTED: return "cert_untrusted";
    case S2S_REASON_CERT_MISMATCH: return "cert_mismatch";
    case S2S_REASON_CERT_POLICY: return "cert_policy";
    case S2S_REASON_INTERNAL: return "internal";
    case S2S_REASON_COUNT: break;
    }
    return "unknown";
}

// Credential problems ask the client to authenticate again (401); a genuine
// credential that does not reach this resource is forbidden (403).
S2S_API s2s_outcome s2s_reason_outcome(s2s_reason reason) {
    switch (reason) {
    case S2S_REASON_OK: return S2S_ALLOW;
    case S2S_REASON_CAVEAT_UNSATISFIED:
    case S2S_REASON_CAVEAT_UNKNOWN:
    case S2S_REASON_CAVEAT_MALFORMED:
    case S2S_REASON_CONTEXT_MISSING:
    case S2S_REASON_IDENTITY_CONFLICT:
    case S2S_REASON_CERT_MISMATCH:
    case S2S_REASON_CERT_POLICY:
        return S2S_DENY_FORBIDDEN;
    default:
        return S2S_DENY_UNAUTHENTICATED;
    }
}

S2S_API s2s_status s2s_mint(const s2s_keyring *kr, const char *key_id, const char *location,
                            s2s_macaroon **out, s2s_error *err) {
    if (kr == nullptr || out == nullptr) return null_argument(err);
    *out = nullptr;
    return guarded(err, [&] {
        const KeyEntry *key = nullptr;
        if (key_id == nullptr) {
            key = newest_active(kr->keys);
            if (key == nullptr) {
                return export_error(S2S_ERR_KEYRING, "no active key in the key ring", "",
                                    "add one with `s2sauth keygen`", err);
            }
        } else {
            for (const KeyEntry &k : kr->keys) {
                if (k.id == key_id) key = &k;
            }
            if (key == nullptr) return export_error(S2S_ERR_NOT_FOUND, "no such key id", key_id, "", err);
            if (key->state != S2S_KEY_ACTIVE) {
                return export_error(S2S_ERR_KEYRING, "key is verify-only", key_id,
                                    "mint with an active key", err);
            }
        }
        uint8_t raw_id[16];
        random_bytes(raw_id, sizeof raw_id);
        std::string token_id = base64url_encode({reinterpret_cast<char *>(raw_id), sizeof raw_id});
        Macaroon m;
        if (!macaroon_init(m, key->derived, make_identifier(key->id, token_id),
                           location ? location : "")) {
            return export_error(S2S_ERR_CRYPTO, "cannot compute signature", "", "", err);
        }
        *out = wrap(std::move(m));
        return S2S_OK;
    });
}

S2S_API s2s_status s2s_macaroon_create(const unsigned char *root_key, size_t root_key_len,
                                       const unsigned char *identifier, size_t identifier_len,
                                       const char *location, s2s_macaroon **out, s2s_error *err) {
    if (root_key == nullptr || root_key_len == 0 || (identifier == nullptr && identifier_len) ||
        out == nullptr) {
        return null_argument(err);
    }
    *out = nullptr;
    return guarded(err, [&] {
        WipedDigest derived;
        Macaroon m;
        if (!derive_root_key({reinterpret_cast<const char *>(root_key), root_key_len}, derived.d) ||
            !macaroon_init(m, derived.d,
                           {reinterpret_cast<const char *>(identifier), identifier_len},
                           location ? location : "")) {
            return export_error(S2S_ERR_CRYPTO, "cannot compute signature", "", "", err);
        }
        *out = wrap(std::move(m));
        return S2S_OK;
    });
}

S2S_API s2s_status s2s_macaroon_add_first_party_caveat(s2s_macaroon *m, const char *caveat,
                                                       size_t caveat_len, s2s_error *err) {
    if (m == nullptr || caveat == nullptr || caveat_len == 0) return null_argument(err);
    return guarded(err, [&] {
        if (!add_first_party(m->m, {caveat, caveat_len})) {
            return export_error(S2S_ERR_CRYPTO, "cannot compute signature", "", "", err);
        }
        return S2S_OK;
    });
}

S2S_API s2s_status s2s_macaroon_add_third_party_caveat(s2s_macaroon *m, const char *location,
                                                       const unsigned char *caveat_key,
                                                       size_t caveat_key_len,
                                                       const unsigned char *caveat_id,
                                                       size_t caveat_id_len, s2s_error *err) {
    if (m == nullptr || caveat_key == nullptr || caveat_key_len == 0 || caveat_id == nullptr ||
        caveat_id_len == 0) {
        return null_argument(err);
    }
    return guarded(err, [&] {
        if (!add_third_party(m->m, location ? location : "",
                             {reinterpret_cast<const char *>(caveat_key), caveat_key_len},
                             {reinterpret_cast<const char *>(caveat_id), caveat_id_len})) {
            return export_error(S2S_ERR_CRYPTO, "cannot seal the third-party caveat", "", "", err);
        }
        return S2S_OK;
    });
}

S2S_API s2s_status s2s_macaroon_bind(const s2s_macaroon *root, s2s_macaroon *discharge,
                                     s2s_error *err) {
    if (root == nullptr || discharge == nullptr) return null_argument(err);
    if (!bind_discharge(root->m, discharge->m)) {
        return export_error(S2S_ERR_CRYPTO, "cannot bind the discharge", "", "", err);
    }
    return S2S_OK;
}

S2S_API s2s_status s2s_macaroon_parse(const char *text, size_t len, const s2s_limits *limits,
                                      s2s_macaroon **out, s2s_error *err) {
    if ((text == nullptr && len != 0) || out == nullptr) return null_argument(err);
    *out = nullptr;
    return guarded(err, [&] {
        Macaroon m;
        std::string scratch;
        ParseError pe;
        if (!decode_any({text ? text : "", len}, Limits::from(limits), m, scratch, pe)) {
            return malformed(pe, err);
        }
        *out = wrap(std::move(m));
        return S2S_OK;
    });
}

S2S_API s2s_status s2s_macaroon_serialize(const s2s_macaroon *m, s2s_format format, char **out,
                                          size_t *out_len, s2s_error *err) {
    if (m == nullptr || out == nullptr) return null_argument(err);
    *out = nullptr;
    return guarded(err, [&] {
        std::string text;
        switch (format) {
        case S2S_FORMAT_V1: {
            std::string bytes;
            if (!encode_v1(m->m, bytes)) {
                return export_error(S2S_ERR_LIMIT, "cannot encode as V1",
                                    "a field is longer than a V1 packet can hold",
                                    "use --format v2", err);
            }
            base64url_encode(bytes, text);
            break;
        }
        case S2S_FORMAT_V2: {
            std::string bytes;
            encode_v2(m->m, bytes);
            base64url_encode(bytes, text);
            break;
        }
        case S2S_FORMAT_V2_JSON:
            if (!encode_v2_json(m->m, text)) {
                return export_error(S2S_ERR_MALFORMED, "cannot encode as V2 JSON",
                                    "the location is not UTF-8", "use --format v2", err);
            }
            break;
        default:
            return export_error(S2S_ERR_INVALID_ARGUMENT, "unknown format", "", "", err);
        }
        return hand_out(text, out, out_len, err);
    });
}

S2S_API s2s_status s2s_macaroon_copy(const s2s_macaroon *m, s2s_macaroon **out, s2s_error *err) {
    if (m == nullptr || out == nullptr) return null_argument(err);
    *out = nullptr;
    return guarded(err, [&] {
        *out = new s2s_macaroon(*m);
        return S2S_OK;
    });
}

S2S_API void s2s_macaroon_free(s2s_macaroon *m) { delete m; }

S2S_API const char *s2s_macaroon_location(const s2s_macaroon *m) {
    return m ? m->m.location.c_str() : nullptr;
}

S2S_API const unsigned char *s2s_macaroon_identifier(const s2s_macaroon *m, size_t *len) {
    if (m == nullptr) return nullptr;
    if (len != nullptr) *len = m->m.identifier.size();
    return reinterpret_cast<const unsigned char *>(m->m.identifier.data());
}

S2S_API const unsigned char *s2s_macaroon_signature(const s2s_macaroon *m) {
    return m ? m->m.signature.data() : nullptr;
}

S2S_API const char *s2s_macaroon_key_id(const s2s_macaroon *m) {
    return m && !m->key_id.empty() ? m->key_id.c_str() : nullptr;
}

S2S_API const char *s2s_macaroon_token_id(const s2s_macaroon *m) {
    return m && !m->token_id.empty() ? m->token_id.c_str() : nullptr;
}

S2S_API const char *s2s_macaroon_revocation_id(const s2s_macaroon *m) {
    return m ? m->revocation_id.c_str() : nullptr;
}

S2S_API size_t s2s_macaroon_caveat_count(const s2s_macaroon *m) {
    return m ? m->m.caveats.size() : 0;
}

S2S_API s2s_status s2s_macaroon_caveat(const s2s_macaroon *m, size_t i, const unsigned char **id,
                                       size_t *id_len, const unsigned char **vid, size_t *vid_len,
                                       const char **location) {
    if (m == nullptr || i >= m->m.caveats.size()) return S2S_ERR_INVALID_ARGUMENT;
    const Caveat &c = m->m.caveats[i];
    if (id) *id = reinterpret_cast<const unsigned char *>(c.id.data());
    if (id_len) *id_len = c.id.size();
    if (vid) *vid = c.third_party() ? reinterpret_cast<const unsigned char *>(c.vid.data()) : nullptr;
    if (vid_len) *vid_len = c.vid.size();
    if (location) *location = c.third_party() ? c.location.c_str() : nullptr;
    return S2S_OK;
}

S2S_API s2s_status s2s_stack_parse(const char *text, size_t len, const s2s_limits *limits,
                                   s2s_macaroon ***out, size_t *count, s2s_error *err) {
    if ((text == nullptr && len != 0) || out == nullptr || count == nullptr) return null_argument(err);
    *out = nullptr;
    *count = 0;
    return guarded(err, [&] {
        std::vector<Macaroon> stack;
        std::string scratch;
        ParseError pe;
        if (!decode_stack({text ? text : "", len}, Limits::from(limits), stack, scratch, pe)) {
            return malformed(pe, err);
        }
        auto **arr = static_cast<s2s_macaroon **>(std::calloc(stack.size(), sizeof(s2s_macaroon *)));
        if (arr == nullptr) return export_error(S2S_ERR_NO_MEMORY, "out of memory", "", "", err);
        try {
            for (size_t i = 0; i < stack.size(); i++) arr[i] = wrap(std::move(stack[i]));
        } catch (...) {
            s2s_stack_free(arr, stack.size());
            throw;
        }
        *out = arr;
        *count = stack.size();
        return S2S_OK;
    });
}

S2S_API s2s_status s2s_stack_serialize(const s2s_macaroon *const *ms, size_t count, char **out,
                                       size_t *out_len, s2s_error *err) {
    if (ms == nullptr || count == 0 || out == nullptr) return null_argument(err);
    *out = nullptr;
    return guarded(err, [&] {
        std::vector<const Macaroon *> list;
        for (size_t i = 0; i < count; i++) {
            if (ms[i] == nullptr) return null_argument(err);
            list.push_back(&ms[i]->m);
        }
        std::string text;
        encode_stack(list, text);
        return hand_out(text, out, out_len, err);
    });
}

S2S_API void s2s_stack_free(s2s_macaroon **ms, size_t count) {
    if (ms == nullptr) return;
    for (size_t i = 0; i < count; i++) delete ms[i];
    std::free(ms);
}

}  // extern "C"
