// result.hpp: the error type used inside the core, and its translation to the
// C ABI's s2s_error.  Parsers on the hot path report with ParseError, which
// carries only static strings so a failed parse never allocates.
#pragma once

#include <string>

#include "s2sauth.h"

namespace s2s {

struct Error {
    s2s_status status = S2S_OK;
    std::string message;
    std::string detail;
    std::string hint;

    explicit operator bool() const { return status != S2S_OK; }
};

inline Error make_error(s2s_status status, std::string message, std::string detail = {},
                        std::string hint = {}) {
    return Error{status, std::move(message), std::move(detail), std::move(hint)};
}

// A parse failure: `what` is a static string naming the rule that was broken.
struct ParseError {
    const char *what = nullptr;
    size_t offset = 0;
    bool too_large = false;  // a limit, rather than the grammar, was broken

    void set(const char *w, size_t off = 0, bool limit = false) {
        what = w;
        offset = off;
        too_large = limit;
    }
};

// Copies `e` into the caller's s2s_error (if any), truncating safely; returns e.status.
s2s_status export_error(const Error &e, s2s_error *err);
s2s_status export_error(s2s_status status, const char *message, const char *detail,
                        const char *hint, s2s_error *err);

}  // namespace s2s
