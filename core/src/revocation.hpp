// revocation.hpp: the set of revoked token ids.
//
// The source sits behind one small interface so that a fleet can later feed it
// from a store it already runs (a Redis set with pub/sub, a PostgreSQL table with
// LISTEN/NOTIFY); today the one source is a file, one token id a line.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

#include "files.hpp"
#include "result.hpp"

namespace s2s {

struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// An immutable set; lookups are O(1).
class RevocationSet {
public:
    bool contains(std::string_view token_id) const {
        return ids_.find(token_id) != ids_.end();
    }
    size_t size() const { return ids_.size(); }

    static Error parse(const std::string &path, std::string_view text,
                       std::shared_ptr<const RevocationSet> &out);

private:
    std::unordered_set<std::string, StringHash, std::equal_to<>> ids_;
};

// Where revocations come from.  load() returns a new set when the source
// changed since the last call, nullptr in `out` when it did not.
class RevocationSource {
public:
    virtual ~RevocationSource() = default;
    virtual Error load(std::shared_ptr<const RevocationSet> &out) = 0;
};

std::unique_ptr<RevocationSource> make_file_revocation_source(const std::string &path);

inline constexpr size_t kMaxRevocationBytes = 64u << 20;
inline constexpr size_t kMaxRevokedIdBytes = 256;

}  // namespace s2s
