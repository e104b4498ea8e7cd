// files_impl.hpp: template part of files.hpp.
#pragma once

#include <string_view>

namespace s2s {

template <typename Fn>
Error for_each_line(const std::string &path, std::string_view text, Fn &&fn) {
    size_t line_no = 0;
    while (!text.empty()) {
        line_no++;
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (line.find('\0') != std::string_view::npos || line.find('\r') != std::string_view::npos) {
            return make_error(S2S_ERR_CONFIG, "invalid byte in file", where(path, line_no) +
                              ": NUL or carriage return", "save the file as plain text with \\n line ends");
        }
        if (Error e = fn(line_no, line)) return e;
    }
    return {};
}

}  // namespace s2s
