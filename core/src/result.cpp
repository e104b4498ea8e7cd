// result.cpp: copying internal errors out through the C ABI.
#include "result.hpp"

#include <cstdio>
#include <cstring>

namespace s2s {
namespace {

void copy_field(char *dst, size_t cap, const char *src) {
    if (src == nullptr) src = "";
    std::snprintf(dst, cap, "%s", src);
}

}  // namespace

s2s_status export_error(s2s_status status, const char *message, const char *detail,
                        const char *hint, s2s_error *err) {
    if (err != nullptr) {
        err->status = status;
        copy_field(err->message, sizeof err->message, message);
        copy_field(err->detail, sizeof err->detail, detail);
        copy_field(err->hint, sizeof err->hint, hint);
    }
    return status;
}

s2s_status export_error(const Error &e, s2s_error *err) {
    return export_error(e.status, e.message.c_str(), e.detail.c_str(), e.hint.c_str(), err);
}

}  // namespace s2s
