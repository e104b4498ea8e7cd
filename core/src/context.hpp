// context.hpp: the facts a host supplies about one request (behind s2s_context).
//
// Values are borrowed string_views; the host keeps them alive for the call.
// Multi-valued attributes (Redis keys and channels) keep their vector's
// capacity across resets, so a reused context does not allocate.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "s2sauth.h"

struct s2s_peer;

namespace s2s {

struct IpAddress {
    int family = 0;  // 4 or 6; 0 when unset
    std::array<uint8_t, 16> bytes{};
};

// Parses textual IPv4 / IPv6 (inet_pton rules, IPv4-mapped IPv6 kept as IPv6).
bool parse_ip(std::string_view text, IpAddress &out);

struct Context {
    std::array<std::string_view, S2S_ATTR_COUNT> value{};
    std::array<bool, S2S_ATTR_COUNT> present{};
    std::array<bool, S2S_ATTR_COUNT> deferred{};  // s2s_context_defer
    std::vector<std::string_view> redis_keys;
    std::vector<std::string_view> redis_channels;
    IpAddress client_ip;
    bool time_set = false;
    int64_t now = 0;
    const s2s_peer *peer = nullptr;

    void reset() {
        value.fill({});
        present.fill(false);
        deferred.fill(false);
        redis_keys.clear();
        redis_channels.clear();
        client_ip = {};
        time_set = false;
        now = 0;
        peer = nullptr;
    }
};

inline bool attr_multi_valued(s2s_attr a) {
    return a == S2S_ATTR_REDIS_KEY || a == S2S_ATTR_REDIS_CHANNEL;
}

}  // namespace s2s

struct s2s_context {
    s2s::Context c;
};
