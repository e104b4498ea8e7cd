// reply_scanner.cpp: resumable RESP2/RESP3 reply framing.
#include "reply_scanner.hpp"

#include <cstring>

#include "request_parser.hpp"

namespace s2s_redis {
namespace {

constexpr size_t kMaxLine = 64 * 1024;
constexpr size_t kMaxDepth = 1024;

bool line_at(const char *p, size_t n, size_t pos, size_t &cr, bool &error) {
    const void *hit = std::memchr(p + pos, '\r', n - pos);
    if (hit == nullptr) {
        if (n - pos > kMaxLine) error = true;
        return false;
    }
    cr = static_cast<const char *>(hit) - p;
    if (cr + 1 >= n) return false;
    if (p[cr + 1] != '\n') error = true;
    return !error;
}

}  // namespace

ReplyScanner::Status ReplyScanner::next(const char *buf, size_t n, size_t &end) {
    while (pos_ < n) {
        size_t cr = 0;
        bool error = false;
        if (!line_at(buf, n, pos_ + 1, cr, error)) return error ? Status::kError : Status::kIncomplete;
        char type = buf[pos_];
        std::string_view arg(buf + pos_ + 1, cr - pos_ - 1);
        size_t after = cr + 2;
        long long children = 0;
        switch (type) {
            case '+': case '-': case ':': case '_': case '#': case ',': case '(':
                break;
            case '$': case '!': case '=': {
                long long len = 0;
                if (!parse_ll(arg, len) || len < -1) return Status::kError;
                if (len >= 0) {
                    if (n - after < static_cast<size_t>(len) + 2) return Status::kIncomplete;
                    after += static_cast<size_t>(len);
                    if (buf[after] != '\r' || buf[after + 1] != '\n') return Status::kError;
                    after += 2;
                }
                break;
            }
            case '*': case '~': case '>': case '%': case '|': {
                long long count = 0;
                if (!parse_ll(arg, count) || count < -1) return Status::kError;
                if (count > (1LL << 40)) return Status::kError;
                if (type == '%') count *= 2;
                if (type == '|') count = count * 2 + 1;  // the attribute, then the reply it decorates
                children = count < 0 ? 0 : count;
                break;
            }
            default:
                return Status::kError;
        }
        pos_ = after;
        if (children > 0) {
            if (open_.size() >= kMaxDepth) return Status::kError;
            open_.push_back(children);
            continue;
        }
        // One element finished: close every aggregate it completes.
        while (!open_.empty()) {
            if (--open_.back() > 0) break;
            open_.pop_back();
        }
        if (open_.empty()) {
            end = pos_;
            return Status::kComplete;
        }
    }
    return Status::kIncomplete;
}

ReplyHead read_reply_head(const char *p, size_t n) {
    ReplyHead head;
    if (n == 0) return head;
    head.type = p[0];
    if (head.type != '*' && head.type != '>') return head;
    const char *cr = static_cast<const char *>(std::memchr(p, '\r', n));
    if (cr == nullptr || !parse_ll(std::string_view(p + 1, cr - p - 1), head.count)) return head;
    size_t pos = (cr - p) + 2;
    for (int i = 0; i < 3 && i < head.count && pos < n; ++i) {
        const char *lcr = static_cast<const char *>(std::memchr(p + pos, '\r', n - pos));
        if (lcr == nullptr) return head;
        std::string_view arg(p + pos + 1, lcr - p - pos - 1);
        char t = p[pos];
        size_t next = (lcr - p) + 2;
        std::string_view value;
        long long len = 0;
        if (t == '$' && parse_ll(arg, len)) {
            if (len >= 0) {
                if (next + static_cast<size_t>(len) > n) return head;
                value = std::string_view(p + next, static_cast<size_t>(len));
                next += static_cast<size_t>(len) + 2;
            } else if (i == 1) {
                head.second_is_null = true;
            }
        } else if (t == '+') {
            value = arg;
        } else if (t == '_' && i == 1) {
            head.second_is_null = true;
        } else if (t == ':' && i == 2) {
            parse_ll(arg, head.third_int);
        } else {
            return head;  // an aggregate or other type: not a pub/sub frame
        }
        if (i == 0) head.first = value;
        if (i == 1) head.second = value;
        pos = next;
    }
    return head;
}

}  // namespace s2s_redis
