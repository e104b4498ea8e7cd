// policy_util.hpp: small helpers shared by the mTLS tests and benchmark:
// building a Policy from directive lines and a peer from certificates.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "mtls/mtls.hpp"
#include "pki.hpp"

namespace s2s::testpki {

using Directives = std::vector<std::pair<std::string, std::string>>;

// Applies the directives and finishes the policy; returns the first error.
inline Error build_policy(const Directives &directives, mtls::Policy &out) {
    out = mtls::Policy();
    for (const auto &[name, value] : directives) {
        Error e;
        if (!out.set(name, value, e)) {
            return make_error(S2S_ERR_CONFIG, "not an mtls directive", name);
        }
        if (e) return e;
    }
    return out.finish();
}

// Builds a policy that must be valid, aborting the test binary otherwise.
inline mtls::Policy must_policy(const Directives &directives) {
    mtls::Policy p;
    if (Error e = build_policy(directives, p)) {
        std::fprintf(stderr, "policy: %s: %s\n", e.message.c_str(), e.detail.c_str());
        std::abort();
    }
    return p;
}

// A peer from certificates (leaf first); aborts if make_peer fails.
inline std::unique_ptr<s2s_peer> must_peer(const mtls::Policy &policy,
                                           const std::vector<X509 *> &chain,
                                           bool host_verified = false) {
    std::vector<std::string> ders;
    std::vector<const unsigned char *> ptrs;
    std::vector<size_t> lens;
    for (X509 *c : chain) ders.push_back(der_of(c));
    for (const std::string &d : ders) {
        ptrs.push_back(reinterpret_cast<const unsigned char *>(d.data()));
        lens.push_back(d.size());
    }
    s2s_peer *peer = nullptr;
    if (Error e = mtls::make_peer(policy, ptrs.data(), lens.data(), ptrs.size(), host_verified,
                                  peer)) {
        std::fprintf(stderr, "make_peer: %s: %s\n", e.message.c_str(), e.detail.c_str());
        std::abort();
    }
    return std::unique_ptr<s2s_peer>(peer);
}

}  // namespace s2s::testpki
