// test_mtls_cli.cpp: `s2sauth cert inspect` output and the --bind-cert
// fingerprint (adapters/cli/cli_cert.cpp, compiled into this test).
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>

#include "cli_cert.h"
#include "mtls/digest.hpp"
#include "pki.hpp"

// cmocka last: its macros clash with the standard library headers.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
extern "C" {
#include <cmocka.h>
}

using namespace s2s::testpki;

namespace {

std::string dir;

// Runs inspect with stdout captured into a file; returns the exit status.
int inspect(const std::string &path, std::string &output) {
    std::string out_file = dir + "/out.txt";
    std::fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    int fd = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, STDOUT_FILENO);
    close(fd);
    std::string arg0 = "inspect";
    char *argv[] = {arg0.data(), const_cast<char *>(path.c_str()), nullptr};
    int rc = s2s_cli_cert_inspect(2, argv);
    std::fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    std::ifstream f(out_file);
    output.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    return rc;
}

void test_inspect_and_x5t(void **) {
    dir = make_temp_dir();
    KeyPtr ca_key = make_key();
    CertPtr ca = make_cert(ca_spec("Inspect CA"), ca_key.get(), nullptr, nullptr);
    KeyPtr key = make_key();
    CertSpec spec = leaf_spec("inspected", "spiffe://example.org/cli");
    spec.org = "Acme";
    spec.dns = {"api.example.org", std::string("bad\0name", 8)};
    spec.serial = 0x1234;
    CertPtr leaf = make_cert(spec, key.get(), ca.get(), ca_key.get());
    std::string path = dir + "/chain.pem";
    write_file(path, pem_of(leaf.get()) + pem_of(ca.get()));

    std::string want;
    assert_true(s2s::mtls::sha256_b64url(der_of(leaf.get()), want));
    char x5t[64];
    assert_int_equal(s2s_cli_cert_x5t(path.c_str(), x5t, sizeof x5t), 0);
    assert_string_equal(x5t, want.c_str());
    char small[10];
    assert_int_equal(s2s_cli_cert_x5t(path.c_str(), small, sizeof small), -1);
    assert_int_equal(s2s_cli_cert_x5t((dir + "/missing.pem").c_str(), x5t, sizeof x5t), -1);

    std::string out;
    assert_int_equal(inspect(path, out), 0);
    std::fputs(out.c_str(), stderr);  // shown in the test log
    assert_non_null(std::strstr(out.c_str(), "subject:      CN=inspected,O=Acme\n"));
    assert_non_null(std::strstr(out.c_str(), "issuer:       CN=Inspect CA\n"));
    assert_non_null(std::strstr(out.c_str(), "serial:       0x1234\n"));
    assert_non_null(std::strstr(out.c_str(), "san dns:      api.example.org\n"));
    assert_non_null(std::strstr(out.c_str(), "san dns:      bad\\x00name\n"));
    assert_non_null(std::strstr(out.c_str(), "san uri:      spiffe://example.org/cli\n"));
    assert_non_null(std::strstr(out.c_str(), "spiffe id:    spiffe://example.org/cli\n"));
    assert_non_null(std::strstr(out.c_str(), ("x5t#S256:     " + want + "\n").c_str()));
    assert_non_null(std::strstr(out.c_str(), "(valid now)"));
    assert_non_null(std::strstr(out.c_str(), "chain:        2 certificates\n"));
    std::string hex;
    assert_true(s2s::mtls::sha256_hex(der_of(leaf.get()), hex));
    std::string colon_hex;
    for (size_t i = 0; i < hex.size(); i += 2) {
        if (i) colon_hex += ':';
        colon_hex += static_cast<char>(std::toupper(hex[i]));
        colon_hex += static_cast<char>(std::toupper(hex[i + 1]));
    }
    assert_non_null(std::strstr(out.c_str(), ("sha256:       " + colon_hex + "\n").c_str()));

    std::string junk = dir + "/junk.pem";
    write_file(junk, "not a certificate\n");
    assert_int_equal(inspect(junk, out), 2);
    char *usage[] = {const_cast<char *>("inspect"), nullptr};
    assert_int_equal(s2s_cli_cert_inspect(1, usage), 2);
    remove_dir(dir);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inspect_and_x5t),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
