// command_table.cpp: parsing COMMAND replies and walking key specs.
#include "command_table.hpp"

#include <hiredis/hiredis.h>
#include <strings.h>

#include "request_parser.hpp"

namespace s2s_redis {
namespace {

std::string_view text_of(const redisReply *r) {
    if (r == nullptr) return {};
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
        return std::string_view(r->str, r->len);
    return {};
}

bool is_list(const redisReply *r) {
    // COMMAND is fetched over RESP2, where maps arrive as flat arrays.
    return r != nullptr && r->type == REDIS_REPLY_ARRAY;
}

// A RESP2 flattened map (or a RESP3 map): the value for `key`, or NULL.
const redisReply *map_get(const redisReply *map, std::string_view key) {
    if (!is_list(map)) return nullptr;
    for (size_t i = 0; i + 1 < map->elements; i += 2) {
        if (text_of(map->element[i]) == key) return map->element[i + 1];
    }
    return nullptr;
}

bool int_of(const redisReply *r, int &out) {
    if (r == nullptr || r->type != REDIS_REPLY_INTEGER) return false;
    if (r->integer < -1000000 || r->integer > 1000000) return false;
    out = static_cast<int>(r->integer);
    return true;
}

bool parse_key_spec(const redisReply *r, KeySpec &spec) {
    if (!is_list(r)) return false;
    if (const redisReply *flags = map_get(r, "flags"); is_list(flags)) {
        for (size_t i = 0; i < flags->elements; ++i) {
            std::string f = ascii_lower(text_of(flags->element[i]));
            if (f == "not_key") spec.not_key = true;
            // VARIABLE_FLAGS (SET, with its GET option) only says the access
            // flags vary with the arguments; the key positions do not, and
            // caveats do not tell reads from writes, so it changes nothing here.
            if (f == "incomplete") spec.uncertain = true;
        }
    }
    const redisReply *bs = map_get(r, "begin_search");
    const redisReply *fk = map_get(r, "find_keys");
    if (bs == nullptr || fk == nullptr) return false;
    std::string_view bs_type = text_of(map_get(bs, "type"));
    const redisReply *bs_spec = map_get(bs, "spec");
    if (bs_type == "index") {
        spec.begin = KeySpec::Begin::kIndex;
        if (!int_of(map_get(bs_spec, "index"), spec.index)) return false;
    } else if (bs_type == "keyword") {
        spec.begin = KeySpec::Begin::kKeyword;
        spec.keyword = std::string(text_of(map_get(bs_spec, "keyword")));
        if (spec.keyword.empty() || !int_of(map_get(bs_spec, "startfrom"), spec.startfrom)) return false;
    } else {
        spec.begin = KeySpec::Begin::kUnknown;
        spec.uncertain = true;
    }
    std::string_view fk_type = text_of(map_get(fk, "type"));
    const redisReply *fk_spec = map_get(fk, "spec");
    if (fk_type == "range") {
        spec.find = KeySpec::Find::kRange;
        if (!int_of(map_get(fk_spec, "lastkey"), spec.lastkey) ||
            !int_of(map_get(fk_spec, "keystep"), spec.keystep) ||
            !int_of(map_get(fk_spec, "limit"), spec.limit))
            return false;
    } else if (fk_type == "keynum") {
        spec.find = KeySpec::Find::kKeynum;
        if (!int_of(map_get(fk_spec, "keynumidx"), spec.keynumidx) ||
            !int_of(map_get(fk_spec, "firstkey"), spec.firstkey) ||
            !int_of(map_get(fk_spec, "keystep"), spec.keystep))
            return false;
    } else {
        spec.find = KeySpec::Find::kUnknown;
        spec.uncertain = true;
    }
    if (spec.keystep <= 0 && spec.find != KeySpec::Find::kUnknown) spec.uncertain = true;
    return true;
}

// One entry: [name, arity, flags, first, last, step, categories, tips, key specs, subcommands].
bool parse_command(const redisReply *r, CommandInfo &cmd, std::string &error) {
    if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements < 10) {
        error = "a COMMAND entry is not a 10-element array (is the backend Redis 7 or newer?)";
        return false;
    }
    cmd.name = ascii_lower(text_of(r->element[0]));
    if (cmd.name.empty() || !int_of(r->element[1], cmd.arity)) {
        error = "a COMMAND entry has no name or arity";
        return false;
    }
    const redisReply *categories = r->element[6];
    if (is_list(categories)) {
        for (size_t i = 0; i < categories->elements; ++i) {
            std::string_view c = text_of(categories->element[i]);
            if (c == "@scripting") cmd.scripting = true;
            if (c == "@keyspace") cmd.keyspace = true;
            if (c == "@dangerous" || c == "@admin") cmd.dangerous = true;
        }
    }
    const redisReply *specs = r->element[8];
    if (is_list(specs)) {
        for (size_t i = 0; i < specs->elements; ++i) {
            KeySpec spec;
            if (!parse_key_spec(specs->element[i], spec)) {
                error = "command '" + cmd.name + "' has a key spec of an unexpected shape";
                return false;
            }
            cmd.key_specs.push_back(std::move(spec));
        }
    }
    const redisReply *subs = r->element[9];
    if (is_list(subs)) {
        for (size_t i = 0; i < subs->elements; ++i) {
            CommandInfo sub;
            if (!parse_command(subs->element[i], sub, error)) return false;
            size_t bar = sub.name.find('|');
            std::string short_name = bar == std::string::npos ? sub.name : sub.name.substr(bar + 1);
            cmd.subcommands.emplace(std::move(short_name), std::move(sub));
        }
    }
    return true;
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Keys for one begin position, as getKeysUsingKeySpecs computes them.
bool keys_from(const KeySpec &spec, const std::vector<std::string_view> &argv, int first,
               std::vector<std::string_view> &keys) {
    const int argc = static_cast<int>(argv.size());
    int last = 0;
    int step = spec.keystep;
    if (spec.find == KeySpec::Find::kRange) {
        if (spec.lastkey >= 0) {
            last = first + spec.lastkey;
        } else if (spec.limit == 0) {
            last = argc + spec.lastkey;
        } else {
            if (spec.lastkey != -1 || spec.limit < 0) return false;
            last = first + ((argc - first) / spec.limit + spec.lastkey);
        }
    } else {
        if (spec.keynumidx < 0 || first + spec.keynumidx >= argc) return false;
        long long numkeys = 0;
        if (!parse_ll(argv[first + spec.keynumidx], numkeys) || numkeys < 0 || numkeys > argc)
            return false;
        first += spec.firstkey;
        if (numkeys == 0) return true;
        last = first + static_cast<int>(numkeys - 1) * step;
    }
    if (first < 1 || last >= argc || last < first) return false;
    for (int i = first; i <= last; i += step) keys.push_back(argv[i]);
    return true;
}

}  // namespace

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char &c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool CommandTable::load(const redisReply *reply, std::string &error) {
    if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) {
        error = "the backend's COMMAND reply is not a non-empty array";
        return false;
    }
    std::unordered_map<std::string, CommandInfo> loaded;
    for (size_t i = 0; i < reply->elements; ++i) {
        CommandInfo cmd;
        if (!parse_command(reply->element[i], cmd, error)) return false;
        std::string name = cmd.name;
        loaded.emplace(std::move(name), std::move(cmd));
    }
    commands_ = std::move(loaded);
    return true;
}

const CommandInfo *CommandTable::find(const std::vector<std::string_view> &argv) const {
    if (argv.empty() || argv[0].size() > 64) return nullptr;
    char name[65];
    for (size_t i = 0; i < argv[0].size(); ++i) {
        char c = argv[0][i];
        name[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    auto it = commands_.find(std::string(name, argv[0].size()));
    if (it == commands_.end()) return nullptr;
    const CommandInfo &cmd = it->second;
    if (cmd.subcommands.empty() || argv.size() < 2) return &cmd;
    auto sub = cmd.subcommands.find(ascii_lower(argv[1]));
    return sub == cmd.subcommands.end() ? nullptr : &sub->second;
}

bool find_keys(const CommandInfo &cmd, const std::vector<std::string_view> &argv,
               std::vector<std::string_view> &keys) {
    const int argc = static_cast<int>(argv.size());
    for (const KeySpec &spec : cmd.key_specs) {
        if (spec.uncertain) return false;
        if (spec.not_key) continue;  // shard channels are checked as channels
        if (spec.begin == KeySpec::Begin::kIndex) {
            if (spec.index >= argc) {
                // Redis skips an index spec past the end only for variadic commands,
                // which then fail their own syntax check; anything else is unknowable.
                if (cmd.arity < 0) continue;
                return false;
            }
            if (!keys_from(spec, argv, spec.index, keys)) return false;
            continue;
        }
        // Keyword: every occurrence in the searched range yields keys.
        int from = spec.startfrom > 0 ? spec.startfrom : argc + spec.startfrom;
        if (from < 1) from = 1;
        int to = spec.startfrom > 0 ? argc - 1 : (argc + spec.startfrom);
        if (spec.startfrom < 0) {
            // A backwards search may stop anywhere down to argv[1].
            to = argc + spec.startfrom;
            from = 1;
        }
        for (int i = from; i <= to && i < argc; ++i) {
            if (!equals_ignore_case(argv[i], spec.keyword)) continue;
            if (i + 1 >= argc) continue;  // a trailing keyword names nothing
            if (!keys_from(spec, argv, i + 1, keys)) return false;
        }
    }
    return true;
}

}  // namespace s2s_redis
