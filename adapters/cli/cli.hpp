// cli.hpp: shared plumbing of the s2sauth command-line tool.
//
// The CLI is a client of the C ABI like any other adapter: it never reaches
// into the library's internals.  Exit codes: 0 success (or allow), 1 deny,
// 2 usage or configuration error.
#pragma once

#include <string>
#include <vector>

#include "s2sauth.h"

namespace cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitDeny = 1;
inline constexpr int kExitUsage = 2;

// Prints "s2sauth: <what>: message (detail) hint" to stderr; returns kExitUsage.
int fail(const char *what, const s2s_error &err);
int usage_error(const std::string &message);

// Reads a token argument: "-" reads standard input (trailing white space
// removed), so tokens need not appear in `ps`.
bool read_token_arg(const std::string &arg, std::string &out);
// Reads a whole file (binary), at most max bytes.
bool read_file_bytes(const std::string &path, size_t max, std::string &out);

// "300", "300s", "5m", "2h", "7d" → seconds; false if malformed or not positive.
bool parse_duration(const std::string &text, long long &seconds);
// Formats epoch seconds as RFC 3339 UTC, and back.
std::string rfc3339(long long seconds);
bool parse_rfc3339(const std::string &text, long long &seconds);

// Which format a token is in, from its first characters.
s2s_format guess_format(const std::string &token);
bool parse_format(const std::string &name, s2s_format &out);

// Prints a token / stack in the format, with a trailing newline.
bool print_macaroon(const s2s_macaroon *m, s2s_format format);

// JSON string escaping for --json output.
std::string json_string(const std::string &s);
// Printable rendering of bytes (\xNN for the rest).
std::string printable(const unsigned char *p, size_t n);

// The x5t#S256 of a PEM certificate's leaf, for --bind-cert.
bool cert_thumbprint(const std::string &pem_path, std::string &out);

int cmd_keygen(int argc, char **argv);
int cmd_mint(int argc, char **argv);
int cmd_attenuate(int argc, char **argv);
int cmd_discharge(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_cert(int argc, char **argv);

}  // namespace cli
