// buffer.hpp: a byte queue for one direction of one connection.
//
// Most of the time a connection's buffers are empty: replies and commands go
// through the worker's scratch area and straight to the other socket.  So a
// Buffer owns no memory while empty and gives its memory back as soon as it is
// drained; an idle client then costs only its struct (the per-idle-client
// memory target is 16 KiB).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

namespace s2s_redis {

class Buffer {
public:
    Buffer() = default;
    Buffer(const Buffer &) = delete;
    Buffer &operator=(const Buffer &) = delete;
    ~Buffer() { std::free(data_); }

    const char *data() const { return data_ + start_; }
    size_t size() const { return end_ - start_; }
    bool empty() const { return end_ == start_; }

    void append(const char *bytes, size_t n) {
        if (n == 0) return;
        reserve(n);
        std::memcpy(data_ + end_, bytes, n);
        end_ += n;
    }

    // Drops n bytes from the front; an emptied buffer releases its memory.
    void consume(size_t n) {
        start_ += n;
        if (start_ >= end_) release();
    }

    void release() {
        std::free(data_);
        data_ = nullptr;
        start_ = end_ = cap_ = 0;
    }

private:
    void reserve(size_t n) {
        if (cap_ - end_ >= n) return;
        size_t used = end_ - start_;
        if (start_ > 0 && cap_ - used >= n && start_ >= used) {
            std::memmove(data_, data_ + start_, used);  // reuse the consumed front
            start_ = 0;
            end_ = used;
            return;
        }
        size_t want = used + n;
        size_t cap = cap_ < 4096 ? 4096 : cap_;
        while (cap < want) cap *= 2;
        char *grown = static_cast<char *>(std::malloc(cap));
        if (grown == nullptr) throw std::bad_alloc();
        if (used > 0) std::memcpy(grown, data_ + start_, used);
        std::free(data_);
        data_ = grown;
        cap_ = cap;
        start_ = 0;
        end_ = used;
    }

    char *data_ = nullptr;
    size_t start_ = 0, end_ = 0, cap_ = 0;
};

}  // namespace s2s_redis
