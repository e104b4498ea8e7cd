// request_parser.hpp: splits a client's byte stream into Redis commands.
//
// The proxy forwards an allowed command as the exact bytes it received, so the
// boundaries it finds must be the ones redis-server finds.  The parser is
// therefore strict where redis-server is lenient (a bulk must end in CRLF,
// lengths are canonical decimal): anything it does not accept is a protocol
// error that closes the connection, never a frame the two sides could read
// differently.  Inline commands (telnet style) are split with Redis's quoting
// rules and re-encoded as multibulk before they are forwarded.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace s2s_redis {

struct RequestLimits {
    bool authenticated = false;   // before AUTH: at most 10 args of 16 KiB, as Redis
    size_t max_args = 1024 * 1024;
    size_t max_bulk_bytes = 512u * 1024 * 1024;
};

enum class ParseStatus {
    kCommand,     // a command: argv and frame_len are set
    kEmpty,       // an empty command (blank inline line, "*0"): frame_len bytes to skip
    kIncomplete,  // need more bytes
    kError,       // protocol error: reply `-ERR <error>` and close
};

struct ParsedRequest {
    std::vector<std::string_view> argv;  // views into the input, or into inline_args
    std::vector<std::string> inline_args;
    size_t frame_len = 0;
    bool is_inline = false;
    const char *error = nullptr;  // static text, "Protocol error: ..."
};

ParseStatus parse_request(const char *p, size_t n, const RequestLimits &limits, ParsedRequest &out);

// Splits an inline line as Redis's sdssplitargs does; false on unbalanced quotes.
bool split_inline_args(std::string_view line, std::vector<std::string> &args);

// Canonical decimal as Redis's string2ll accepts it.
bool parse_ll(std::string_view s, long long &out);

// Appends the multibulk encoding of argv.
void encode_multibulk(const std::vector<std::string_view> &argv, std::string &out);

}  // namespace s2s_redis
