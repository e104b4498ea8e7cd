// guard.hpp: keeps C++ exceptions from crossing the C ABI.
#pragma once

#include <new>

#include "result.hpp"

namespace s2s {

// Runs fn (returning s2s_status); an exception becomes an error status.
template <typename Fn>
s2s_status guarded(s2s_error *err, Fn &&fn) noexcept {
    try {
        return fn();
    } catch (const std::bad_alloc &) {
        return export_error(S2S_ERR_NO_MEMORY, "out of memory", "", "", err);
    } catch (...) {
        return export_error(S2S_ERR_INTERNAL, "internal error", "", "", err);
    }
}

inline s2s_status null_argument(s2s_error *err) {
    return export_error(S2S_ERR_INVALID_ARGUMENT, "invalid argument", "a required argument is NULL",
                        "", err);
}

}  // namespace s2s
