/*
 * cli_cert.h: the certificate commands of the s2sauth CLI.
 *
 *   s2sauth cert inspect chain.pem   -> s2s_cli_cert_inspect
 *   mint/attenuate --bind-cert leaf.pem -> s2s_cli_cert_x5t
 */
#ifndef S2S_CLI_CERT_H
#define S2S_CLI_CERT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * `cert inspect`: argv[0] is the subcommand name ("inspect"), argv[1] the PEM
 * chain file (leaf first).  Prints the leaf's subject, issuer, serial,
 * validity, SANs, SPIFFE ID, SHA-256 fingerprint, x5t#S256 and SPKI pin to
 * stdout.  Returns the process exit status: 0 done, 2 usage, or the file is
 * unreadable or not a certificate chain (the CLI keeps 1 for a deny).
 */
int s2s_cli_cert_inspect(int argc, char **argv);

/*
 * Writes the x5t#S256 (base64url SHA-256 of the leaf's DER, no padding, 43
 * characters + NUL) of the first certificate of a PEM file into `out`.
 * Returns 0, or -1 after printing the reason to stderr.
 */
int s2s_cli_cert_x5t(const char *pem_path, char *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* S2S_CLI_CERT_H */
