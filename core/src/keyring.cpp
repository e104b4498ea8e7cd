// keyring.cpp: the key ring file.
//
//     # comment
//     <key-id> <base64url key, 32 bytes> <active|verify-only>
//
// Fields are separated by spaces or tabs; anything else on a line is an error
// naming the file and line.  Errors never quote a key.
#include "keyring.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "base64.hpp"
#include "files.hpp"
#include "guard.hpp"
#include "macaroon/macaroon.hpp"

namespace s2s {
namespace {

std::string_view next_field(std::string_view &line) {
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos) {
        line = {};
        return {};
    }
    line.remove_prefix(start);
    size_t end = line.find_first_of(" \t");
    std::string_view field = line.substr(0, end);
    line = end == std::string_view::npos ? std::string_view{} : line.substr(end);
    return field;
}

}  // namespace

Error add_key(std::vector<KeyEntry> &keys, std::string_view id, const uint8_t *raw,
              s2s_key_state state) {
    if (!valid_id(id)) {
        return make_error(S2S_ERR_INVALID_ARGUMENT, "invalid key id",
                          "key ids are 1 to 64 characters of A-Z a-z 0-9 _ -");
    }
    if (state != S2S_KEY_ACTIVE && state != S2S_KEY_VERIFY_ONLY) {
        return make_error(S2S_ERR_INVALID_ARGUMENT, "invalid key state");
    }
    for (const KeyEntry &k : keys) {
        if (k.id == id) {
            return make_error(S2S_ERR_KEYRING, "duplicate key id", std::string(id));
        }
    }
    if (keys.size() >= kMaxKeys) {
        return make_error(S2S_ERR_LIMIT, "too many keys", "limit " + std::to_string(kMaxKeys));
    }
    KeyEntry entry;
    entry.id.assign(id);
    std::memcpy(entry.raw.data(), raw, entry.raw.size());
    entry.state = state;
    if (!derive_root_key({reinterpret_cast<const char *>(raw), kHashBytes}, entry.derived) ||
        !hmac_prepare(entry.derived, entry.derived_state)) {
        return make_error(S2S_ERR_CRYPTO, "cannot derive key");
    }
    keys.push_back(entry);
    return {};
}

Error parse_keyring(const std::string &path, std::string_view text, std::vector<KeyEntry> &out) {
    std::vector<KeyEntry> keys;
    std::string decoded;
    Error err = for_each_line(path, text, [&](size_t line_no, std::string_view line) -> Error {
        std::string_view rest = line;
        std::string_view id = next_field(rest);
        if (id.empty() || id.front() == '#') return {};
        std::string_view key_text = next_field(rest);
        std::string_view state_text = next_field(rest);
        if (key_text.empty() || state_text.empty() || !next_field(rest).empty()) {
            return make_error(S2S_ERR_KEYRING, "malformed key ring line",
                              where(path, line_no) + ": expected <key-id> <key> <active|verify-only>");
        }
        s2s_key_state state;
        if (state_text == "active") {
            state = S2S_KEY_ACTIVE;
        } else if (state_text == "verify-only") {
            state = S2S_KEY_VERIFY_ONLY;
        } else {
            return make_error(S2S_ERR_KEYRING, "unknown key state",
                              where(path, line_no) + ": state must be active or verify-only");
        }
        bool ok = base64_decode(key_text, decoded) && decoded.size() == kHashBytes;
        if (!ok) {
            wipe(decoded.data(), decoded.size());
            return make_error(S2S_ERR_KEYRING, "invalid key",
                              where(path, line_no) + ": the key must be 32 bytes in base64url",
                              "generate keys with `s2sauth keygen`");
        }
        Error e = add_key(keys, id, reinterpret_cast<const uint8_t *>(decoded.data()), state);
        wipe(decoded.data(), decoded.size());
        if (e) e.detail = where(path, line_no) + ": " + e.message + (e.detail.empty() ? "" : " " + e.detail);
        if (e) e.message = "invalid key ring entry";
        return e;
    });
    wipe(decoded.data(), decoded.capacity());
    // Whatever is wrong with a line (a NUL byte the shared line reader refuses,
    // an id add_key calls an invalid argument) is a malformed key ring to the
    // caller; only "too many keys" keeps its own status.
    if (err && err.status != S2S_ERR_LIMIT) err.status = S2S_ERR_KEYRING;
    if (err) return err;
    out = std::move(keys);
    return {};
}

Error load_keyring(const std::string &path, std::vector<KeyEntry> &out) {
    std::string text;
    Error err = read_file(path, kMaxKeyringBytes, FileKind::secret, text);
    if (!err) err = parse_keyring(path, text, out);
    wipe(text.data(), text.size());
    return err;
}

const KeyEntry *newest_active(const std::vector<KeyEntry> &keys) {
    for (auto it = keys.rbegin(); it != keys.rend(); ++it) {
        if (it->state == S2S_KEY_ACTIVE) return &*it;
    }
    return nullptr;
}

}  // namespace s2s

using namespace s2s;


extern "C" {

S2S_API s2s_status s2s_keyring_new(s2s_keyring **out, s2s_error *err) {
    if (out == nullptr) return export_error(S2S_ERR_INVALID_ARGUMENT, "out is NULL", "", "", err);
    *out = nullptr;
    return guarded(err, [&] {
        *out = new s2s_keyring();
        return S2S_OK;
    });
}

S2S_API s2s_status s2s_keyring_load(const char *path, s2s_keyring **out, s2s_error *err) {
    if (path == nullptr || out == nullptr) {
        return export_error(S2S_ERR_INVALID_ARGUMENT, "path or out is NULL", "", "", err);
    }
    *out = nullptr;
    return guarded(err, [&] {
        auto kr = std::make_unique<s2s_keyring>();
        if (Error e = load_keyring(path, kr->keys)) return export_error(e, err);
        *out = kr.release();
        return S2S_OK;
    });
}

S2S_API s2s_status s2s_keyring_add(s2s_keyring *kr, const char *key_id,
                                   const unsigned char key[S2S_KEY_BYTES], s2s_key_state state,
                                   s2s_error *err) {
    if (kr == nullptr || key_id == nullptr || key == nullptr) {
        return export_error(S2S_ERR_INVALID_ARGUMENT, "NULL argument", "", "", err);
    }
    return guarded(err, [&] {
        if (Error e = add_key(kr->keys, key_id, key, state)) return export_error(e, err);
        return S2S_OK;
    });
}

S2S_API s2s_status s2s_keyring_generate(s2s_keyring *kr, const char *key_id, s2s_key_state state,
                                        s2s_error *err) {
    if (!crypto_init()) return export_error(S2S_ERR_CRYPTO, "cannot initialise libsodium", "", "", err);
    WipedDigest raw;
    random_bytes(raw.d.data(), raw.d.size());
    return s2s_keyring_add(kr, key_id, raw.d.data(), state, err);
}

S2S_API s2s_status s2s_keyring_set_state(s2s_keyring *kr, const char *key_id, s2s_key_state state,
                                         s2s_error *err) {
    if (kr == nullptr || key_id == nullptr ||
        (state != S2S_KEY_ACTIVE && state != S2S_KEY_VERIFY_ONLY)) {
        return export_error(S2S_ERR_INVALID_ARGUMENT, "invalid argument", "", "", err);
    }
    for (KeyEntry &k : kr->keys) {
        if (k.id == key_id) {
            k.state = state;
            return S2S_OK;
        }
    }
    return export_error(S2S_ERR_NOT_FOUND, "no such key id", key_id, "", err);
}

S2S_API s2s_status s2s_keyring_save(const s2s_keyring *kr, const char *path, s2s_error *err) {
    if (kr == nullptr || path == nullptr) {
        return export_error(S2S_ERR_INVALID_ARGUMENT, "NULL argument", "", "", err);
    }
    return guarded(err, [&] {
        std::string text = "# s2sauth key ring: <key-id> <key> <active|verify-only>\n";
        std::string encoded;
        for (const KeyEntry &k : kr->keys) {
            base64url_encode({reinterpret_cast<const char *>(k.raw.data()), k.raw.size()}, encoded);
            text += k.id + " " + encoded + " " +
                    (k.state == S2S_KEY_ACTIVE ? "active" : "verify-only") + "\n";
        }
        wipe(encoded.data(), encoded.size());
        // A ring being rewritten (keygen, a state change) keeps its owner,
        // group and group-read bit: a ring made readable by the postgres user
        // (owner postgres, or group and 0640) must not turn root:root 0600
        // on rotation, or the server could no longer load it.  Group write
        // and anything for others are never carried over.
        struct stat old;
        bool replacing = ::stat(path, &old) == 0 && S_ISREG(old.st_mode);
        std::string tmp = std::string(path) + ".tmp.XXXXXX";
        int fd = mkstemp(tmp.data());
        if (fd < 0) {
            wipe(text.data(), text.size());
            return export_error(S2S_ERR_IO, "cannot create key ring file",
                                (tmp + ": " + std::strerror(errno)).c_str(), "", err);
        }
        mode_t mode = 0600;
        if (replacing) {
            // Only root may give the file away; anyone else keeps it as theirs.
            if (old.st_uid != ::geteuid() || old.st_gid != ::getegid()) {
                // Best effort: when it fails the file stays the caller's.
                // (A (void) cast does not silence warn_unused_result, which
                // glibc sets on fchown under _FORTIFY_SOURCE, as in Debian's
                // package build.)
                if (::fchown(fd, old.st_uid, old.st_gid) != 0) {
                }
            }
            mode |= old.st_mode & S_IRGRP;
        }
        fchmod(fd, mode);
        size_t done = 0;
        while (done < text.size()) {
            ssize_t n = ::write(fd, text.data() + done, text.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            done += size_t(n);
        }
        wipe(text.data(), text.size());
        bool ok = done == text.size() && ::fsync(fd) == 0;
        ok = ::close(fd) == 0 && ok;
        if (!ok || ::rename(tmp.c_str(), path) != 0) {
            int e = errno;
            ::unlink(tmp.c_str());
            return export_error(S2S_ERR_IO, "cannot write key ring file",
                                (std::string(path) + ": " + std::strerror(e)).c_str(), "", err);
        }
        return S2S_OK;
    });
}

S2S_API size_t s2s_keyring_count(const s2s_keyring *kr) { return kr ? kr->keys.size() : 0; }

S2S_API const char *s2s_keyring_key_id(const s2s_keyring *kr, size_t i) {
    return kr && i < kr->keys.size() ? kr->keys[i].id.c_str() : nullptr;
}

S2S_API s2s_key_state s2s_keyring_key_state(const s2s_keyring *kr, size_t i) {
    return kr && i < kr->keys.size() ? kr->keys[i].state : s2s_key_state(0);
}

S2S_API void s2s_keyring_free(s2s_keyring *kr) { delete kr; }

}  // extern "C"
