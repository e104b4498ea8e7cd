// test_redis_proxy.cpp: the Redis proxy's request framing, reply framing and
// key-spec walk, each fed hostile and split input.
//
// The proxy forwards the bytes of a command it parsed, so the framing must
// agree with redis-server's or refuse: every case checks the exact status,
// frame length and error text.
#include <cstdarg>
#include <cstddef>
#include <csetjmp>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "command_table.hpp"
#include "reply_scanner.hpp"
#include "request_parser.hpp"

// cmocka 1.1.5 (Debian 12) declares its functions without extern "C", and its
// fail() macro clashes with std::ios: include it after the C++ headers.
extern "C" {
#include <cmocka.h>
}

using namespace s2s_redis;
using namespace std::literals;

namespace {

ParseStatus parse(std::string_view in, ParsedRequest &out, bool authenticated = true) {
    RequestLimits limits;
    limits.authenticated = authenticated;
    limits.max_bulk_bytes = 1024;
    return parse_request(in.data(), in.size(), limits, out);
}

void expect_error(std::string_view in, const char *message, bool authenticated = true) {
    ParsedRequest req;
    assert_int_equal(static_cast<int>(parse(in, req, authenticated)), static_cast<int>(ParseStatus::kError));
    assert_string_equal(req.error, message);
}

void test_multibulk(void **) {
    std::string frame = "*2\r\n$3\r\nGET\r\n$8\r\norders:1\r\n";
    std::string two = frame + "*1\r\n";  // the views point into it
    ParsedRequest req;
    assert_int_equal(static_cast<int>(parse(two, req)), static_cast<int>(ParseStatus::kCommand));
    assert_int_equal(req.frame_len, frame.size());
    assert_int_equal(req.argv.size(), 2);
    assert_true(req.argv[1] == "orders:1"sv);
    // Every shorter prefix is incomplete, never a different command.
    for (size_t cut = 0; cut < frame.size(); ++cut)
        assert_int_equal(static_cast<int>(parse(frame.substr(0, cut), req)),
                         static_cast<int>(ParseStatus::kIncomplete));
    assert_int_equal(static_cast<int>(parse("*0\r\n", req)), static_cast<int>(ParseStatus::kEmpty));
    assert_int_equal(req.frame_len, 4);
    // Binary-safe bulk with CR, LF and NUL inside.
    std::string binary("*1\r\n$4\r\na\r\n\0\r\n", 14);
    assert_int_equal(static_cast<int>(parse(binary, req)), static_cast<int>(ParseStatus::kCommand));
    assert_int_equal(req.argv[0].size(), 4);
}

void test_multibulk_errors(void **) {
    expect_error("*1\r\nX3\r\n", "Protocol error: expected '$', got 'X'");
    expect_error("*1\r\n$3\r\nGETxx", "Protocol error: expected CRLF after bulk string");
    expect_error("*01\r\n", "Protocol error: invalid multibulk length");
    expect_error("*1x\r\n", "Protocol error: invalid multibulk length");
    expect_error("*1\r\n$-1\r\n", "Protocol error: invalid bulk length");
    expect_error("*1\r\n$03\r\n", "Protocol error: invalid bulk length");
    expect_error("*1\r\n$1025\r\n", "Protocol error: invalid bulk length");
    expect_error("*1\r\n$99999999999999999999999\r\n", "Protocol error: invalid bulk length");
    expect_error("*2\rX", "Protocol error: invalid multibulk length");
    expect_error("*2000000\r\n", "Protocol error: invalid multibulk length");
    expect_error(std::string(70000, '*'), "Protocol error: too big mbulk count string");
    // Before AUTH, as redis-server: 10 arguments, 16 KiB each.
    expect_error("*999999999\r\n", "Protocol error: unauthenticated multibulk length", false);
    expect_error("*11\r\n", "Protocol error: unauthenticated multibulk length", false);
    expect_error("*1\r\n$2147483645\r\n", "Protocol error: unauthenticated bulk length", false);
    expect_error("*1\r\n$16385\r\n", "Protocol error: unauthenticated bulk length", false);
    ParsedRequest req;
    assert_int_equal(static_cast<int>(parse("*10\r\n", req, false)), static_cast<int>(ParseStatus::kIncomplete));
}

void test_inline(void **) {
    ParsedRequest req;
    assert_int_equal(static_cast<int>(parse("SET k \"a b\\x41\\n\" 'c\\'d'\r\nPING", req)),
                     static_cast<int>(ParseStatus::kCommand));
    assert_true(req.is_inline);
    assert_int_equal(req.argv.size(), 4);
    assert_true(req.argv[2] == "a bA\n"sv);
    assert_true(req.argv[3] == "c'd"sv);
    assert_int_equal(req.frame_len, std::strlen("SET k \"a b\\x41\\n\" 'c\\'d'\r\n"));
    assert_int_equal(static_cast<int>(parse("GET k\n", req)), static_cast<int>(ParseStatus::kCommand));
    assert_int_equal(static_cast<int>(parse("   \r\n", req)), static_cast<int>(ParseStatus::kEmpty));
    assert_int_equal(static_cast<int>(parse("GET k", req)), static_cast<int>(ParseStatus::kIncomplete));
    assert_int_equal(static_cast<int>(parse("GET \xff\xfe\r\n", req)), static_cast<int>(ParseStatus::kCommand));
    assert_true(req.argv[1] == "\xff\xfe"sv);
    expect_error("SET \"k v\r\n", "Protocol error: unbalanced quotes in request");
    expect_error("GET 'k'x\r\n", "Protocol error: unbalanced quotes in request");
    expect_error("GET \"k\"x\r\n", "Protocol error: unbalanced quotes in request");
    expect_error(std::string(70000, 'a'), "Protocol error: too big inline request");
    expect_error("a b c d e f g h i j k\r\n", "Protocol error: unauthenticated multibulk length", false);
}

void test_parse_ll(void **) {
    long long v = 0;
    assert_true(parse_ll("0", v) && v == 0);
    assert_true(parse_ll("-12", v) && v == -12);
    assert_true(parse_ll("9223372036854775807", v) && v == 9223372036854775807LL);
    assert_false(parse_ll("9223372036854775808", v));
    assert_false(parse_ll("-0", v));
    assert_false(parse_ll("+1", v));
    assert_false(parse_ll("01", v));
    assert_false(parse_ll("", v));
    assert_false(parse_ll("-", v));
    assert_false(parse_ll("1 ", v));
}

// Scans `stream` fed in pieces of `step` bytes; returns the reply end offsets.
std::vector<size_t> scan(std::string_view stream, size_t step, bool &error) {
    ReplyScanner scanner;
    std::vector<size_t> ends;
    std::string buf;
    size_t base = 0, fed = 0;
    error = false;
    while (fed < stream.size()) {
        size_t n = std::min(step, stream.size() - fed);
        buf.append(stream.substr(fed, n));
        fed += n;
        for (;;) {
            size_t end = 0;
            auto st = scanner.next(buf.data(), buf.size(), end);
            if (st == ReplyScanner::Status::kError) {
                error = true;
                return ends;
            }
            if (st == ReplyScanner::Status::kIncomplete) break;
            ends.push_back(base + end);
            buf.erase(0, end);
            scanner.consumed(end);
            base += end;
        }
    }
    return ends;
}

void test_reply_scanner(void **) {
    std::string a = "+OK\r\n";
    std::string b = "*3\r\n$3\r\nfoo\r\n*-1\r\n%1\r\n+k\r\n~2\r\n:1\r\n,1.5\r\n";
    std::string c = "|1\r\n+ttl\r\n:3\r\n$5\r\nhe\r\no\r\n";  // an attribute, then the reply it decorates
    std::string d = ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$-1\r\n";
    std::string e = "=8\r\ntxt:abcd\r\n_\r\n";
    std::string stream = a + b + c + d + e;
    std::vector<size_t> want = {a.size(), a.size() + b.size(), a.size() + b.size() + c.size(),
                                a.size() + b.size() + c.size() + d.size(),
                                a.size() + b.size() + c.size() + d.size() + e.size() - 3, stream.size()};
    for (size_t step = 1; step <= stream.size(); ++step) {
        bool error = false;
        std::vector<size_t> got = scan(stream, step, error);
        assert_false(error);
        assert_int_equal(got.size(), want.size());
        for (size_t i = 0; i < want.size(); ++i) assert_int_equal(got[i], want[i]);
    }
    bool error = false;
    scan("?x\r\n", 4, error);
    assert_true(error);
    scan("$3\r\nabcde", 9, error);
    assert_true(error);
    scan("*-2\r\n", 5, error);
    assert_true(error);

    ReplyHead head = read_reply_head(d.data(), d.size());
    assert_int_equal(head.type, '>');
    assert_true(head.first == "message"sv);
    assert_true(head.second == "ch"sv);
    std::string sub = "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n";
    head = read_reply_head(sub.data(), sub.size());
    assert_true(head.first == "unsubscribe"sv);
    assert_true(head.second_is_null);
    assert_int_equal(head.third_int, 0);
}

KeySpec index_range(int index, int lastkey, int keystep, int limit) {
    KeySpec s;
    s.begin = KeySpec::Begin::kIndex;
    s.index = index;
    s.find = KeySpec::Find::kRange;
    s.lastkey = lastkey;
    s.keystep = keystep;
    s.limit = limit;
    return s;
}

KeySpec keyword_range(const char *keyword, int startfrom, int lastkey, int keystep, int limit) {
    KeySpec s = index_range(0, lastkey, keystep, limit);
    s.begin = KeySpec::Begin::kKeyword;
    s.keyword = keyword;
    s.startfrom = startfrom;
    return s;
}

std::vector<std::string_view> args(std::initializer_list<std::string_view> list) { return list; }

void test_find_keys(void **) {
    std::vector<std::string_view> keys;
    CommandInfo mset;
    mset.name = "mset";
    mset.arity = -3;
    mset.key_specs = {index_range(1, -1, 2, 0)};
    assert_true(find_keys(mset, args({"MSET", "a", "1", "b", "2"}), keys));
    assert_int_equal(keys.size(), 2);
    assert_true(keys[0] == "a"sv && keys[1] == "b"sv);

    // Every STORE occurrence yields a key: the command's parser takes the last.
    CommandInfo geo;
    geo.name = "georadius";
    geo.arity = -6;
    geo.key_specs = {index_range(1, 0, 1, 0), keyword_range("STORE", 6, 0, 1, 0),
                     keyword_range("STOREDIST", 6, 0, 1, 0)};
    keys.clear();
    assert_true(find_keys(geo, args({"GEORADIUS", "orders:g", "0", "0", "1", "km", "STORE", "orders:ok",
                                     "store", "secret:d"}),
                          keys));
    assert_int_equal(keys.size(), 3);
    assert_true(keys[2] == "secret:d"sv);

    // XREADGROUP ... STREAMS STREAMS secret:s >: the second occurrence reaches secret:s.
    CommandInfo xrg;
    xrg.name = "xreadgroup";
    xrg.arity = -7;
    xrg.key_specs = {keyword_range("STREAMS", 4, -1, 1, 2)};
    keys.clear();
    assert_true(find_keys(xrg, args({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "STREAMS", "secret:s", ">"}),
                          keys));
    bool secret = false;
    for (auto k : keys) secret = secret || k == "secret:s"sv;
    assert_true(secret);

    // Key counts: negative or non-numeric is unknowable, zero is no key.
    CommandInfo zunion;
    zunion.name = "zunionstore";
    zunion.arity = -4;
    KeySpec numkeys = index_range(2, 0, 1, 0);
    numkeys.find = KeySpec::Find::kKeynum;
    numkeys.keynumidx = 0;
    numkeys.firstkey = 1;
    zunion.key_specs = {index_range(1, 0, 1, 0), numkeys};
    keys.clear();
    assert_true(find_keys(zunion, args({"ZUNIONSTORE", "d", "2", "a", "b"}), keys));
    assert_int_equal(keys.size(), 3);
    keys.clear();
    assert_false(find_keys(zunion, args({"ZUNIONSTORE", "d", "-1", "a"}), keys));
    keys.clear();
    assert_false(find_keys(zunion, args({"ZUNIONSTORE", "d", "x", "a"}), keys));
    keys.clear();
    assert_false(find_keys(zunion, args({"ZUNIONSTORE", "d", "5", "a"}), keys));  // past the end

    // Incomplete or unknown specs make the keys unknowable.
    CommandInfo sort;
    sort.name = "sort";
    sort.arity = -2;
    KeySpec unknown;
    unknown.uncertain = true;
    sort.key_specs = {index_range(1, 0, 1, 0), unknown};
    keys.clear();
    assert_false(find_keys(sort, args({"SORT", "orders:l"}), keys));

    // Shard channels (not_key) are not keys.
    CommandInfo spublish;
    spublish.name = "spublish";
    spublish.arity = 3;
    KeySpec channel = index_range(1, 0, 1, 0);
    channel.not_key = true;
    spublish.key_specs = {channel};
    keys.clear();
    assert_true(find_keys(spublish, args({"SPUBLISH", "ch", "msg"}), keys));
    assert_int_equal(keys.size(), 0);

    assert_true(arity_ok(-2, 2) && arity_ok(-2, 5) && !arity_ok(-2, 1));
    assert_true(arity_ok(3, 3) && !arity_ok(3, 4));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multibulk),  cmocka_unit_test(test_multibulk_errors),
        cmocka_unit_test(test_inline),     cmocka_unit_test(test_parse_ll),
        cmocka_unit_test(test_reply_scanner), cmocka_unit_test(test_find_keys),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
