// test_core_files.cpp: key ring, configuration, revocation list and reloads.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "s2sauth.h"

// cmocka last: it defines macros (fail) that clash with the C++ library.
extern "C" {
#include <cmocka.h>
}

namespace {

std::string g_dir;

std::string path(const std::string &name) { return g_dir + "/" + name; }

void write_file(const std::string &p, const std::string &text, mode_t mode = 0600) {
    {
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        out << text;
    }
    chmod(p.c_str(), mode);
}

// Atomic replacement, as operators are told to do it.
void replace_file(const std::string &p, const std::string &text, mode_t mode = 0600) {
    write_file(p + ".new", text, mode);
    rename((p + ".new").c_str(), p.c_str());
}

const char kKey1[] = "k1 ERERERERERERERERERERERERERERERERERERERERERE active\n";
const char kKey2[] = "k2 IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI active\n";

std::string mint(const std::string &keyring, const char *caveat = nullptr) {
    s2s_error err{};
    s2s_keyring *kr = nullptr;
    assert_int_equal(s2s_keyring_load(keyring.c_str(), &kr, &err), S2S_OK);
    s2s_macaroon *m = nullptr;
    assert_int_equal(s2s_mint(kr, nullptr, "test", &m, &err), S2S_OK);
    if (caveat) assert_int_equal(s2s_macaroon_add_first_party_caveat(m, caveat, strlen(caveat), &err), S2S_OK);
    char *text = nullptr;
    assert_int_equal(s2s_macaroon_serialize(m, S2S_FORMAT_V2, &text, nullptr, &err), S2S_OK);
    std::string out = text;
    s2s_free(text);
    s2s_macaroon_free(m);
    s2s_keyring_free(kr);
    return out;
}

s2s_reason verify(s2s_verifier *v, const std::string &token) {
    s2s_error err{};
    s2s_context *ctx = nullptr;
    s2s_decision *d = nullptr;
    s2s_context_new(&ctx, &err);
    s2s_decision_new(&d, &err);
    s2s_verify(v, ctx, token.data(), token.size(), d, &err);
    s2s_reason r = s2s_decision_reason(d);
    if (r == S2S_REASON_OK) assert_true(s2s_decision_allowed(d));
    s2s_decision_free(d);
    s2s_context_free(ctx);
    return r;
}

s2s_verifier *verifier_for(const std::string &config_text, s2s_error *err) {
    write_file(path("s2sauth.conf"), config_text, 0644);
    s2s_verifier *v = nullptr;
    s2s_verifier_new_from_file(path("s2sauth.conf").c_str(), &v, err);
    return v;
}

// Rewriting a ring keeps its owner, group and group-read bit, and never
// carries over group write or access for others.
void test_keyring_save_keeps_owner_and_group_read(void **) {
    s2s_error err{};
    s2s_keyring *kr = nullptr;
    assert_int_equal(s2s_keyring_new(&kr, &err), S2S_OK);
    assert_int_equal(s2s_keyring_generate(kr, "a", S2S_KEY_ACTIVE, &err), S2S_OK);
    std::string ring = path("owned-ring");
    assert_int_equal(s2s_keyring_save(kr, ring.c_str(), &err), S2S_OK);
    bool root = geteuid() == 0;
    if (root) assert_int_equal(chown(ring.c_str(), 65534, 65534), 0);
    assert_int_equal(chmod(ring.c_str(), 0640), 0);

    assert_int_equal(s2s_keyring_generate(kr, "b", S2S_KEY_ACTIVE, &err), S2S_OK);
    assert_int_equal(s2s_keyring_save(kr, ring.c_str(), &err), S2S_OK);
    struct stat st;
    assert_int_equal(stat(ring.c_str(), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    if (root) {
        assert_int_equal(st.st_uid, 65534);
        assert_int_equal(st.st_gid, 65534);
    }

    // A ring loosened by hand (0666 is refused on load) keeps only group read.
    assert_int_equal(chmod(ring.c_str(), 0666), 0);
    assert_int_equal(s2s_keyring_save(kr, ring.c_str(), &err), S2S_OK);
    assert_int_equal(stat(ring.c_str(), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    s2s_keyring_free(kr);
}

void test_keyring_roundtrip_and_newest_active(void **) {
    s2s_error err{};
    s2s_keyring *kr = nullptr;
    assert_int_equal(s2s_keyring_new(&kr, &err), S2S_OK);
    assert_int_equal(s2s_keyring_generate(kr, "a", S2S_KEY_ACTIVE, &err), S2S_OK);
    assert_int_equal(s2s_keyring_generate(kr, "b", S2S_KEY_ACTIVE, &err), S2S_OK);
    assert_int_equal(s2s_keyring_generate(kr, "c", S2S_KEY_VERIFY_ONLY, &err), S2S_OK);
    assert_int_equal(s2s_keyring_generate(kr, "a", S2S_KEY_ACTIVE, &err), S2S_ERR_KEYRING);
    assert_int_equal(s2s_keyring_generate(kr, "bad id!", S2S_KEY_ACTIVE, &err), S2S_ERR_INVALID_ARGUMENT);
    assert_int_equal(s2s_keyring_save(kr, path("ring").c_str(), &err), S2S_OK);
    struct stat st;
    assert_int_equal(stat(path("ring").c_str(), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    s2s_keyring *back = nullptr;
    assert_int_equal(s2s_keyring_load(path("ring").c_str(), &back, &err), S2S_OK);
    assert_int_equal(s2s_keyring_count(back), 3);
    assert_string_equal(s2s_keyring_key_id(back, 2), "c");
    assert_int_equal(s2s_keyring_key_state(back, 2), S2S_KEY_VERIFY_ONLY);

    // The newest active key mints; a verify-only key refuses to.
    s2s_macaroon *m = nullptr;
    assert_int_equal(s2s_mint(back, nullptr, nullptr, &m, &err), S2S_OK);
    assert_string_equal(s2s_macaroon_key_id(m), "b");
    assert_int_equal(strlen(s2s_macaroon_token_id(m)), 22);
    s2s_macaroon_free(m);
    assert_int_equal(s2s_mint(back, "c", nullptr, &m, &err), S2S_ERR_KEYRING);
    assert_null(m);
    s2s_keyring_free(back);
    s2s_keyring_free(kr);
}

void test_keyring_unsafe_modes_refused(void **) {
    for (mode_t mode : {0644, 0620, 0602, 0604, 0666}) {
        write_file(path("ring-mode"), kKey1, mode);
        s2s_error err{};
        s2s_keyring *kr = nullptr;
        assert_int_equal(s2s_keyring_load(path("ring-mode").c_str(), &kr, &err), S2S_ERR_PERMISSIONS);
        assert_null(kr);
        assert_non_null(strstr(err.detail, "ring-mode"));
        char mode_text[8];
        snprintf(mode_text, sizeof mode_text, "%04o", unsigned(mode));
        assert_non_null(strstr(err.detail, mode_text));
        assert_null(strstr(err.detail, "ERERER"));  // never the key
    }
    write_file(path("ring-mode"), kKey1, 0640);  // group read is allowed
    s2s_error err{};
    s2s_keyring *kr = nullptr;
    assert_int_equal(s2s_keyring_load(path("ring-mode").c_str(), &kr, &err), S2S_OK);
    s2s_keyring_free(kr);
}

void test_keyring_malformed_lines(void **) {
    const char *bad[] = {
        "k1 ERERERERERERERERERERERERERERERERERERERERERE\n",              // no state
        "k1 ERERERERERERERERERERERERERERERERERERERERERE active extra\n", // trailing field
        "k1 ERERERERERERERERERERERERERERERERERERERERE active\n",          // 31 bytes
        "k1 ERERERERERERERERERERERERERERERERERERERERERE enabled\n",      // unknown state
        "k/1 ERERERERERERERERERERERERERERERERERERERERERE active\n",      // bad id
        "k1 ERERERERERERERERERERERERERERERERERERERERERE active\nk1 IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI active\n",
        "k1 ERERERERERERERERERERERERERERERERERERERERERE active\r\n",
    };
    int i = 0;
    for (const char *text : bad) {
        write_file(path("ring-bad"), text);
        s2s_error err{};
        s2s_keyring *kr = nullptr;
        s2s_status st = s2s_keyring_load(path("ring-bad").c_str(), &kr, &err);
        if (st == S2S_OK) print_error("case %d loaded\n", i);
        assert_int_not_equal(st, S2S_OK);
        assert_null(kr);
        assert_non_null(strstr(err.detail, "ring-bad:"));
        assert_null(strstr(err.detail, "ERERERER"));
        i++;
    }
}

void test_config_errors_name_file_and_line(void **) {
    s2s_error err{};
    write_file(path("ring"), kKey1);
    assert_null(verifier_for("keyring " + path("ring") + "\n\ncolour blue\n", &err));
    assert_int_equal(err.status, S2S_ERR_CONFIG);
    assert_non_null(strstr(err.message, "colour"));
    assert_non_null(strstr(err.detail, "s2sauth.conf:3"));

    assert_null(verifier_for("keyring " + path("ring") + "\nkeyring " + path("ring") + "\n", &err));
    assert_non_null(strstr(err.message, "duplicate"));

    assert_null(verifier_for("keyring " + path("ring") + "\nmax_caveats 0\n", &err));
    assert_non_null(strstr(err.detail, "s2sauth.conf:2"));

    assert_null(verifier_for("service orders\n", &err));
    assert_int_equal(err.status, S2S_ERR_KEYRING);

    assert_null(verifier_for("keyring " + path("missing") + "\n", &err));
    assert_int_equal(err.status, S2S_ERR_IO);
    assert_non_null(strstr(err.detail, "missing"));

    s2s_verifier *v = verifier_for("# comment\n  keyring   " + path("ring") + "  \nservice orders\n", &err);
    assert_non_null(v);
    assert_string_equal(s2s_verifier_service(v), "orders");
    s2s_verifier_free(v);
}

void test_revocation_reload(void **) {
    s2s_error err{};
    write_file(path("ring"), kKey1);
    write_file(path("revoked"), "", 0644);
    s2s_verifier *v = verifier_for("keyring " + path("ring") + "\nrevocation_list " + path("revoked") + "\n", &err);
    assert_non_null(v);
    std::string token = mint(path("ring"));
    assert_int_equal(verify(v, token), S2S_REASON_OK);

    s2s_keyring *kr = nullptr;
    s2s_keyring_load(path("ring").c_str(), &kr, &err);
    s2s_macaroon *m = nullptr;
    s2s_macaroon_parse(token.data(), token.size(), nullptr, &m, &err);
    std::string tid = s2s_macaroon_token_id(m);
    s2s_macaroon_free(m);
    s2s_keyring_free(kr);

    assert_int_equal(s2s_revocation_append(path("revoked").c_str(), tid.c_str(), &err), S2S_OK);
    assert_int_equal(s2s_verifier_reload(v, &err), S2S_OK);
    assert_int_equal(verify(v, token), S2S_REASON_REVOKED);

    // Emptied and picked up without an explicit reload (checked once a second).
    replace_file(path("revoked"), "# none\n", 0644);
    s2s_reason r = S2S_REASON_REVOKED;
    for (int i = 0; i < 40 && r != S2S_REASON_OK; i++) {
        usleep(100000);
        r = verify(v, token);
    }
    assert_int_equal(r, S2S_REASON_OK);

    // Appending to a list whose last line has no newline (edited by hand)
    // must not glue the ids together: both stay revoked.
    replace_file(path("revoked"), "AAAAAAAAAAAAAAAAAAAAAA", 0644);
    assert_int_equal(s2s_revocation_append(path("revoked").c_str(), tid.c_str(), &err), S2S_OK);
    assert_int_equal(s2s_verifier_reload(v, &err), S2S_OK);
    assert_int_equal(verify(v, token), S2S_REASON_REVOKED);
    {
        std::ifstream in(path("revoked"));
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        assert_true(text == "AAAAAAAAAAAAAAAAAAAAAA\n" + tid + "\n");
    }

    // A list that stops parsing fails closed: everything is denied until fixed.
    replace_file(path("revoked"), "not a token id\n", 0644);
    assert_int_not_equal(s2s_verifier_reload(v, &err), S2S_OK);
    assert_int_equal(verify(v, token), S2S_REASON_INTERNAL);
    replace_file(path("revoked"), "", 0644);
    assert_int_equal(s2s_verifier_reload(v, &err), S2S_OK);
    assert_int_equal(verify(v, token), S2S_REASON_OK);
    s2s_verifier_free(v);
}

void test_keyring_reload_rotates_keys(void **) {
    s2s_error err{};
    write_file(path("ring"), kKey1);
    s2s_verifier *v = verifier_for("keyring " + path("ring") + "\n", &err);
    assert_non_null(v);
    std::string t1 = mint(path("ring"));
    write_file(path("ring2"), kKey2);
    std::string t2 = mint(path("ring2"));
    assert_int_equal(verify(v, t1), S2S_REASON_OK);
    assert_int_equal(verify(v, t2), S2S_REASON_UNKNOWN_KEY);

    replace_file(path("ring"), std::string(kKey2));
    assert_int_equal(s2s_verifier_reload(v, &err), S2S_OK);
    assert_int_equal(verify(v, t1), S2S_REASON_UNKNOWN_KEY);
    assert_int_equal(verify(v, t2), S2S_REASON_OK);

    // A broken ring is refused and the old snapshot stays in force.
    replace_file(path("ring"), "garbage\n");
    assert_int_not_equal(s2s_verifier_reload(v, &err), S2S_OK);
    assert_int_equal(verify(v, t2), S2S_REASON_OK);
    replace_file(path("ring"), kKey2, 0644);
    assert_int_equal(s2s_verifier_reload(v, &err), S2S_ERR_PERMISSIONS);
    assert_int_equal(verify(v, t2), S2S_REASON_OK);
    s2s_verifier_free(v);
}

// Several threads verify on one verifier while the key ring is rotated and
// reloaded: every decision must be a correct one for some snapshot.
void test_threads_verify_during_reload(void **) {
    s2s_error err{};
    write_file(path("ring"), std::string(kKey1) + kKey2);
    s2s_verifier *v = verifier_for("keyring " + path("ring") + "\n", &err);
    assert_non_null(v);
    write_file(path("ring1"), kKey1);
    std::string good = mint(path("ring1"));
    std::string bad = good;
    bad[bad.size() - 3] = bad[bad.size() - 3] == 'A' ? 'B' : 'A';

    std::atomic<bool> stop{false};
    std::atomic<long> wrong{0}, done{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; t++) {
        threads.emplace_back([&] {
            s2s_error e{};
            s2s_context *ctx = nullptr;
            s2s_decision *d = nullptr;
            s2s_context_new(&ctx, &e);
            s2s_decision_new(&d, &e);
            while (!stop.load()) {
                s2s_verify(v, ctx, good.data(), good.size(), d, &e);
                if (!s2s_decision_allowed(d)) wrong++;
                s2s_verify(v, ctx, bad.data(), bad.size(), d, &e);
                if (s2s_decision_allowed(d)) wrong++;
                done++;
            }
            s2s_decision_free(d);
            s2s_context_free(ctx);
        });
    }
    for (int i = 0; i < 200; i++) {
        // k1 stays in every version of the ring; k2 comes and goes.
        replace_file(path("ring"), i % 2 ? std::string(kKey1) : std::string(kKey1) + kKey2);
        assert_int_equal(s2s_verifier_reload(v, &err), S2S_OK);
    }
    stop = true;
    for (auto &t : threads) t.join();
    assert_int_equal(wrong.load(), 0);
    assert_true(done.load() > 0);
    s2s_verifier_free(v);
}

void test_names_and_outcomes(void **) {
    assert_string_equal(s2s_reason_name(S2S_REASON_BAD_SIGNATURE), "bad_signature");
    assert_string_equal(s2s_status_name(S2S_ERR_PERMISSIONS), "permissions");
    assert_int_equal(s2s_reason_outcome(S2S_REASON_EXPIRED), S2S_DENY_UNAUTHENTICATED);
    assert_int_equal(s2s_reason_outcome(S2S_REASON_REVOKED), S2S_DENY_UNAUTHENTICATED);
    assert_int_equal(s2s_reason_outcome(S2S_REASON_CAVEAT_UNSATISFIED), S2S_DENY_FORBIDDEN);
    assert_int_equal(s2s_reason_outcome(S2S_REASON_CERT_MISMATCH), S2S_DENY_FORBIDDEN);
    assert_int_equal(s2s_reason_outcome(S2S_REASON_CERT_REQUIRED), S2S_DENY_UNAUTHENTICATED);
    for (int r = 0; r < S2S_REASON_COUNT; r++) {
        assert_string_not_equal(s2s_reason_name(s2s_reason(r)), "unknown");
    }
    assert_int_equal(s2s_abi_version(), S2S_ABI_VERSION);
    assert_non_null(s2s_version());
}

int setup(void **) {
    char tmpl[] = "/tmp/s2s-core-XXXXXX";
    g_dir = mkdtemp(tmpl);
    return 0;
}

int teardown(void **) {
    std::string cmd = "rm -rf '" + g_dir + "'";
    return system(cmd.c_str()) == 0 ? 0 : -1;
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keyring_roundtrip_and_newest_active),
        cmocka_unit_test(test_keyring_save_keeps_owner_and_group_read),
        cmocka_unit_test(test_keyring_unsafe_modes_refused),
        cmocka_unit_test(test_keyring_malformed_lines),
        cmocka_unit_test(test_config_errors_name_file_and_line),
        cmocka_unit_test(test_revocation_reload),
        cmocka_unit_test(test_keyring_reload_rotates_keys),
        cmocka_unit_test(test_threads_verify_during_reload),
        cmocka_unit_test(test_names_and_outcomes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
