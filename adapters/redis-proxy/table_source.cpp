// table_source.cpp: fetching COMMAND from the backend with hiredis.
#include "table_source.hpp"

#include <hiredis/hiredis.h>

#include <chrono>
#include <vector>

#include "log.hpp"

namespace s2s_redis {
namespace {

struct ContextFree {
    void operator()(redisContext *c) const { redisFree(c); }
};
struct ReplyFree {
    void operator()(redisReply *r) const { freeReplyObject(r); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextFree>;
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;

ReplyPtr command(redisContext *c, const std::vector<std::string> &args) {
    std::vector<const char *> argv;
    std::vector<size_t> lens;
    for (const std::string &a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    return ReplyPtr(static_cast<redisReply *>(
        redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
}

}  // namespace

bool TableSource::fetch_now(std::string &error) {
    struct timeval tv;
    tv.tv_sec = cfg_.backend_connect_timeout_ms / 1000;
    tv.tv_usec = (cfg_.backend_connect_timeout_ms % 1000) * 1000;
    ContextPtr c(cfg_.backend_unix.empty()
                     ? redisConnectWithTimeout(cfg_.backend_host.c_str(), cfg_.backend_port, tv)
                     : redisConnectUnixWithTimeout(cfg_.backend_unix.c_str(), tv));
    if (!c || c->err) {
        error = "cannot connect to the backend " +
                (cfg_.backend_unix.empty() ? cfg_.backend_host + ":" + std::to_string(cfg_.backend_port)
                                           : "unix:" + cfg_.backend_unix) +
                (c ? std::string(": ") + c->errstr : "");
        return false;
    }
    redisSetTimeout(c.get(), tv);
    const std::string *password = users_.password(cfg_.command_info_user);
    if (password == nullptr) {
        error = "command_info_user '" + cfg_.command_info_user + "' is not in the backend users file";
        return false;
    }
    ReplyPtr auth = command(c.get(), {"AUTH", cfg_.command_info_user, *password});
    if (!auth || auth->type == REDIS_REPLY_ERROR) {
        error = "the backend refused AUTH for user '" + cfg_.command_info_user + "'" +
                (auth ? std::string(": ") + std::string(auth->str, auth->len) : "");
        return false;
    }
    ReplyPtr reply = command(c.get(), {"COMMAND"});
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        error = "the backend refused COMMAND for user '" + cfg_.command_info_user + "'" +
                (reply ? std::string(": ") + std::string(reply->str, reply->len) : "");
        return false;
    }
    auto table = std::make_shared<CommandTable>();
    if (!table->load(reply.get(), error)) return false;
    {
        std::lock_guard<std::mutex> lock(mu_);
        table_ = std::move(table);
        generation_.fetch_add(1, std::memory_order_acq_rel);
    }
    return true;
}

std::shared_ptr<const CommandTable> TableSource::current() {
    std::lock_guard<std::mutex> lock(mu_);
    return table_;
}

void TableSource::request_refresh() {
    std::lock_guard<std::mutex> lock(mu_);
    refresh_ = true;
    cv_.notify_one();
}

void TableSource::start() { thread_ = std::thread([this] { run(); }); }

void TableSource::stop() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
        cv_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
}

void TableSource::run() {
    std::chrono::milliseconds delay(100);
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
        if (!refresh_ && table_) {
            cv_.wait(lock, [this] { return stopping_ || refresh_; });
            continue;
        }
        refresh_ = false;
        lock.unlock();
        std::string error;
        bool ok = fetch_now(error);
        if (ok) {
            log_msg(LOG_NOTICE, "loaded the backend's command table");
            delay = std::chrono::milliseconds(100);
        } else {
            log_msg(LOG_WARNING, "command table: %s; retrying in %lld ms", error.c_str(),
                    static_cast<long long>(delay.count()));
        }
        lock.lock();
        if (!ok) {
            refresh_ = true;
            cv_.wait_for(lock, delay, [this] { return stopping_; });
            delay = std::min(delay * 2, std::chrono::milliseconds(5000));
        }
    }
}

}  // namespace s2s_redis
