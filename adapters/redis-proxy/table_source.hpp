// table_source.hpp: keeps the current backend command table.
//
// The table comes from the backend itself (COMMAND), fetched at start-up and
// again whenever a worker saw the backend go away, because a restarted
// backend may be a different version.  A background thread does the fetch
// with backoff, so event loops never block on it; workers notice a new table
// by its generation number and pick up the new shared_ptr.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "backend_users.hpp"
#include "command_table.hpp"
#include "proxy_config.hpp"

namespace s2s_redis {

class TableSource {
public:
    TableSource(const ProxyConfig &cfg, const BackendUsers &users) : cfg_(cfg), users_(users) {}
    ~TableSource() { stop(); }

    // One synchronous attempt; used at start-up.
    bool fetch_now(std::string &error);
    void start();  // the background refresher
    void stop();
    void request_refresh();

    uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
    std::shared_ptr<const CommandTable> current();

private:
    void run();

    const ProxyConfig &cfg_;
    const BackendUsers &users_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::shared_ptr<const CommandTable> table_;
    std::atomic<uint64_t> generation_{0};
    bool refresh_ = false;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace s2s_redis
