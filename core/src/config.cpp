// config.cpp: parsing the configuration file and directives.
#include "config.hpp"

#include <algorithm>
#include <charconv>

#include "files.hpp"
#include "guard.hpp"

namespace s2s {
namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;

bool parse_size(const std::string &text, size_t lo, size_t hi, size_t &out) {
    size_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) return false;
    out = v;
    return true;
}

struct SizeDirective {
    const char *name;
    size_t Limits::*field;
    size_t lo, hi;
};

constexpr SizeDirective kSizeDirectives[] = {
    {"max_token_bytes", &Limits::max_token_bytes, 64, 16u << 20},
    {"max_caveats", &Limits::max_caveats, 1, 100000},
    {"max_caveat_bytes", &Limits::max_caveat_bytes, 16, 1u << 20},
    {"max_discharges", &Limits::max_discharges, 0, 1024},
    {"max_depth", &Limits::max_depth, 1, 64},
};

bool valid_service(const std::string &s) {
    if (s.empty() || s.size() > 255) return false;
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

Error ConfigData::set(const std::string &name, const std::string &value,
                      const std::string &origin) {
    auto bad = [&](const std::string &what, const std::string &hint = {}) {
        return make_error(S2S_ERR_CONFIG, "invalid value for directive \"" + name + "\"",
                          origin + ": " + what, hint);
    };
    bool single = true;
    if (value.empty()) return bad("a value is required");

    if (name == "keyring") {
        keyring_path = value;
    } else if (name == "root_key_file") {
        root_key_path = value;
    } else if (name == "revocation_list") {
        revocation_path = value;
    } else if (name == "service") {
        if (!valid_service(value)) return bad("service names are printable ASCII without spaces");
        service = value;
    } else {
        const SizeDirective *sd = nullptr;
        for (const auto &d : kSizeDirectives) {
            if (name == d.name) sd = &d;
        }
        if (sd != nullptr) {
            if (!parse_size(value, sd->lo, sd->hi, limits.*(sd->field))) {
                return bad("expected a number from " + std::to_string(sd->lo) + " to " +
                           std::to_string(sd->hi));
            }
        } else {
            // Not a core directive: the mTLS module's, or unknown.  A scratch
            // policy validates the value now, so errors name this line.
            mtls::Policy probe;
            Error err;
            if (!probe.set(name, value, err)) {
                return make_error(S2S_ERR_CONFIG, "unknown directive \"" + name + "\"", origin,
                                  "see docs/configuration.md for the directives");
            }
            if (err) {
                err.detail = origin + ": " + err.detail;
                return err;
            }
            mtls_lines.push_back({name, value, origin});
            single = false;
        }
    }
    if (single) {
        if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
            return make_error(S2S_ERR_CONFIG, "duplicate directive \"" + name + "\"", origin,
                              "give each directive once");
        }
        seen.push_back(name);
    }
    return {};
}

Error build_policy(const ConfigData &cfg, mtls::Policy &policy) {
    for (const auto &line : cfg.mtls_lines) {
        Error err;
        policy.set(line.name, line.value, err);
        if (err) {
            err.detail = line.origin + ": " + err.detail;
            return err;
        }
    }
    return policy.finish();
}

}  // namespace s2s

using namespace s2s;

extern "C" {

S2S_API s2s_status s2s_config_new(s2s_config **out, s2s_error *err) {
    if (out == nullptr) return null_argument(err);
    *out = nullptr;
    return guarded(err, [&] {
        *out = new s2s_config();
        return S2S_OK;
    });
}

S2S_API s2s_status s2s_config_load(s2s_config *cfg, const char *path, s2s_error *err) {
    if (cfg == nullptr || path == nullptr) return null_argument(err);
    return guarded(err, [&] {
        std::string text;
        std::string p = path;
        if (Error e = read_file(p, kMaxConfigBytes, FileKind::plain, text)) return export_error(e, err);
        Error e = for_each_line(p, text, [&](size_t line_no, std::string_view line) -> Error {
            size_t start = line.find_first_not_of(" \t");
            if (start == std::string_view::npos || line[start] == '#') return {};
            line.remove_prefix(start);
            size_t end = line.find_last_not_of(" \t");
            line = line.substr(0, end + 1);
            size_t sp = line.find_first_of(" \t");
            std::string name(line.substr(0, sp));
            std::string value;
            if (sp != std::string_view::npos) {
                std::string_view rest = line.substr(sp);
                rest.remove_prefix(rest.find_first_not_of(" \t"));
                value.assign(rest);
            }
            return cfg->d.set(name, value, where(p, line_no));
        });
        if (e) return export_error(e, err);
        return S2S_OK;
    });
}

S2S_API s2s_status s2s_config_set(s2s_config *cfg, const char *name, const char *value,
                                  s2s_error *err) {
    if (cfg == nullptr || name == nullptr || value == nullptr) return null_argument(err);
    return guarded(err, [&] {
        if (Error e = cfg->d.set(name, value, "s2s_config_set")) return export_error(e, err);
        return S2S_OK;
    });
}

S2S_API s2s_status s2s_config_set_keyring(s2s_config *cfg, const s2s_keyring *kr,
                                          s2s_error *err) {
    if (cfg == nullptr || kr == nullptr) return null_argument(err);
    return guarded(err, [&] {
        cfg->d.keyring = kr->keys;
        return S2S_OK;
    });
}

S2S_API void s2s_config_free(s2s_config *cfg) { delete cfg; }

}  // extern "C"
