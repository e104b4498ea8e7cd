// reply_scanner.hpp: finds where each backend reply ends, without copying it.
//
// The proxy interleaves its own replies (denials, AUTH results) with the
// backend's, so it must know where each backend reply ends.  The scanner
// walks RESP2 and RESP3 (including attributes, which prefix a reply without
// being one) and keeps its position and the stack of open aggregates between
// reads, so a large reply arriving in many pieces is scanned once.  hiredis's
// reader would build an object tree per reply only for the proxy to throw it
// away; it is used where replies are consumed (the COMMAND table).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace s2s_redis {

class ReplyScanner {
public:
    enum class Status { kComplete, kIncomplete, kError };

    // Scans buf[0..n), which starts with the first unconsumed byte; on
    // kComplete, `end` is the offset just past the next whole reply.
    Status next(const char *buf, size_t n, size_t &end);
    // The caller dropped `consumed` bytes (whole replies) from the front.
    void consumed(size_t consumed) { pos_ -= consumed; }
    void reset() {
        pos_ = 0;
        open_.clear();
    }

private:
    size_t pos_ = 0;
    std::vector<long long> open_;  // children still expected by each open aggregate
};

// The leading elements of an aggregate reply (array or push), for telling
// pub/sub messages and subscription confirmations apart.  Each view is empty
// when the element is absent or not a string; `count` is -1 for a non-array.
struct ReplyHead {
    char type = 0;
    long long count = -1;
    std::string_view first, second;
    bool second_is_null = false;
    long long third_int = -1;
};
ReplyHead read_reply_head(const char *p, size_t n);

}  // namespace s2s_redis
