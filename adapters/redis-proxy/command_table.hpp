// command_table.hpp: the backend's own command table, for finding keys.
//
// Keys are found from the key specifications redis-server publishes in its
// COMMAND reply (fetched at start-up and after reconnects), not from a table
// written here, so a backend upgrade that adds a command or an argument
// brings its key positions along.  The search follows the semantics of
// Redis's key-spec walk (begin_search by index or keyword, find_keys by range
// or key count) with one deliberate difference: a keyword search considers
// every occurrence of the keyword, not just the first, so that
// `GEORADIUS k 0 0 1 km STORE a STORE b` yields both `a` and `b` (Redis's
// argument parser takes the last one).  Over-reporting keys can only deny.
//
// A command's keys are "uncertain" (the proxy leaves redis.key absent, so a
// key caveat denies it) when a spec is incomplete or has an unknown search, when a computed range does not fit the arguments, when the
// command runs scripts, reaches the whole key space, or is unknown.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct redisReply;

namespace s2s_redis {

struct KeySpec {
    enum class Begin { kIndex, kKeyword, kUnknown } begin = Begin::kUnknown;
    int index = 0;
    std::string keyword;
    int startfrom = 0;
    enum class Find { kRange, kKeynum, kUnknown } find = Find::kUnknown;
    int lastkey = 0, keystep = 1, limit = 0;
    int keynumidx = 0, firstkey = 0;
    bool not_key = false;    // a shard channel, not a key
    bool uncertain = false;  // incomplete or unknown search
};

struct CommandInfo {
    std::string name;  // lowercase; "config|get" for a subcommand
    int arity = 0;
    std::vector<KeySpec> key_specs;
    bool scripting = false;  // @scripting: keys and channels unknowable
    bool keyspace = false;   // @keyspace
    bool dangerous = false;  // @dangerous or @admin
    std::unordered_map<std::string, CommandInfo> subcommands;  // by lowercase subcommand name
};

class CommandTable {
public:
    // Builds the table from the reply to COMMAND; false (with a message) when
    // the reply does not have the shape Redis 7 gives it.
    bool load(const redisReply *reply, std::string &error);
    // argv[0] (and argv[1] for a container command) looked up case-insensitively;
    // NULL when unknown.
    const CommandInfo *find(const std::vector<std::string_view> &argv) const;
    size_t size() const { return commands_.size(); }

private:
    std::unordered_map<std::string, CommandInfo> commands_;
};

// Appends the keys of a command; false when they cannot be known with certainty.
bool find_keys(const CommandInfo &cmd, const std::vector<std::string_view> &argv,
               std::vector<std::string_view> &keys);

// Whether argc fits the arity (positive: exact; negative: at least).
inline bool arity_ok(int arity, size_t argc) {
    return arity >= 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
}

std::string ascii_lower(std::string_view s);

}  // namespace s2s_redis
