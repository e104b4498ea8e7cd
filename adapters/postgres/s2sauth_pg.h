/*-------------------------------------------------------------------------
 *
 * s2sauth_pg.h
 *	  Declarations shared by the files of the s2sauth authentication hook.
 *
 * The hook is split by concern: s2sauth.c registers the settings and the
 * ClientAuthentication_hook and decides what to do with a connection;
 * verifier.c owns the s2s verifier built from the settings; exchange.c asks
 * the client for its token with the server's own protocol functions; peer.c
 * turns what the server knows about the client (address, TLS certificate
 * chain) into facts for the verifier.
 *
 *-------------------------------------------------------------------------
 */
#ifndef S2SAUTH_PG_H
#define S2SAUTH_PG_H

#include "libpq/libpq-be.h"

#include "s2sauth.h"

/*
 * The longest token accepted from a client, in bytes.  It matches the core's
 * default token limit; a password message longer than this (plus its NUL and
 * length word) is refused before its body is read.
 */
#define S2SAUTH_MAX_TOKEN_BYTES 65536

/* Settings (s2sauth.c) */
extern char *s2sauth_config_file;
extern char *s2sauth_keyring;
extern char *s2sauth_revocation_list;
extern char *s2sauth_service;
extern bool s2sauth_allow_non_ssl;
extern bool s2sauth_allow_replication;

/* verifier.c */
extern void s2sauth_verifier_init(void);
extern const s2s_verifier *s2sauth_verifier_current(s2s_error *err);

/* exchange.c */
extern char *s2sauth_receive_token(Port *port, size_t *len);

/* peer.c */
extern bool s2sauth_client_address(const Port *port, char *buf, size_t buflen);
extern s2s_status s2sauth_peer_new(const s2s_verifier *verifier, Port *port,
								   s2s_peer **peer, s2s_error *err);

#endif							/* S2SAUTH_PG_H */
