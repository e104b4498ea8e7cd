// macaroon_build.cpp: minting, attenuating and binding, as libmacaroons does.
//
// The signature chain is the one libmacaroons, pymacaroons and go-macaroon
// share, so a token built here verifies there and the other way round:
//
//   sig0 = HMAC(derived_key, identifier)            derived_key = derive_root_key(root_key)
//   first-party caveat c:   sig = HMAC(sig, c)
//   third-party caveat:     k   = derive_root_key(caveat_key)
//                           vid = nonce || secretbox(key = sig, nonce, k)
//                           sig = HMAC(sig, HMAC(sig, vid) || HMAC(sig, cid))
//   discharge bound to root: sig = HMAC(0, HMAC(0, root.sig) || HMAC(0, discharge.sig))
//
// The signature before a third-party caveat is what later opens its vid, which
// is how the verifier recovers the discharge's root key.  Derived keys are
// wiped when they go out of scope.
#include "codec_util.hpp"
#include "macaroon.hpp"

namespace s2s {

bool macaroon_init(Macaroon &m, const Digest &derived_key, std::string_view identifier,
                   std::string_view location) {
    m.location.assign(location);
    m.identifier.assign(identifier);
    m.caveats.clear();
    return hmac_sha256(derived_key.data(), derived_key.size(), identifier, m.signature);
}

bool add_first_party(Macaroon &m, std::string_view caveat) {
    WipedDigest next;
    if (!hmac_sha256(m.signature.data(), m.signature.size(), caveat, next.d)) return false;
    Caveat &c = m.caveats.emplace_back();
    c.id.assign(caveat);
    m.signature = next.d;
    return true;
}

bool add_third_party_with_nonce(Macaroon &m, std::string_view location,
                                std::string_view caveat_key, std::string_view caveat_id,
                                const uint8_t (&nonce)[kSecretboxNonceBytes]) {
    WipedDigest derived, next;
    std::string vid;
    if (!derive_root_key(caveat_key, derived.d) ||
        !secretbox_seal_with_nonce(m.signature, nonce, codec::as_view(derived.d), vid) ||
        !hmac_sha256_pair(m.signature, vid, caveat_id, next.d)) {
        return false;
    }
    Caveat &c = m.caveats.emplace_back();
    c.id.assign(caveat_id);
    c.vid = std::move(vid);
    c.location.assign(location);
    m.signature = next.d;
    return true;
}

bool add_third_party(Macaroon &m, std::string_view location, std::string_view caveat_key,
                     std::string_view caveat_id) {
    uint8_t nonce[kSecretboxNonceBytes];
    random_bytes(nonce, sizeof nonce);
    return add_third_party_with_nonce(m, location, caveat_key, caveat_id, nonce);
}

bool bind_discharge(const Macaroon &root, Macaroon &discharge) {
    WipedDigest bound;
    if (!bind_signature(root.signature, discharge.signature, bound.d)) return false;
    discharge.signature = bound.d;
    return true;
}

}  // namespace s2s
