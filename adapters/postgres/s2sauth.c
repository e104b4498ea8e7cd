/*-------------------------------------------------------------------------
 *
 * s2sauth.c
 *	  A ClientAuthentication_hook that admits connections by macaroon (and
 *	  client certificate) with libs2sauth.
 *
 * The hook runs after pg_hba.conf has chosen a method and that method has
 * succeeded.  For a line whose method is "trust" or "cert", it then asks the
 * client for a password (the token, or a stack of a token and its
 * discharges) and verifies it against the facts of the connection: the
 * database (pg.db), the role (pg.role), the client address (client.ip), the
 * service, the time, and the client certificate when there is one.  Lines
 * with any other method are left alone, so an administrator can keep a
 * "local ... peer" or a scram-sha-256 line.
 *
 * Nothing here reads the catalogs: no database is selected yet.  A failure
 * is FATAL with one generic message to the client (28P01 for a credential
 * that does not authenticate, 28000 for one that is not allowed here); the
 * reason and the token id go to the server log only, and the token never
 * appears anywhere.
 *
 * A "trust" line without this library loaded admits anyone, so the library
 * refuses to be loaded any way other than shared_preload_libraries, and a
 * server whose settings cannot be turned into a verifier does not start.
 * docs/postgres.md gives the safe pg_hba.conf patterns and the PAM
 * alternative, which fails closed by construction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <netdb.h>

#include "fmgr.h"
#include "libpq/auth.h"
#include "miscadmin.h"
#include "postmaster/postmaster.h"
#include "replication/walsender.h"
#include "storage/ipc.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "s2sauth_pg.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Settings */
char	   *s2sauth_config_file = NULL;
char	   *s2sauth_keyring = NULL;
char	   *s2sauth_revocation_list = NULL;
char	   *s2sauth_service = NULL;
bool		s2sauth_allow_non_ssl = false;
bool		s2sauth_allow_replication = false;

static ClientAuthentication_hook_type prev_client_auth_hook = NULL;

/*
 * Reused for the one authentication a backend performs; created in the
 * postmaster so that a backend allocates nothing for them.
 */
static s2s_context *auth_context = NULL;
static s2s_decision *auth_decision = NULL;

static void s2sauth_client_auth(Port *port, int status);
static void reject(Port *port, int sqlstate, const char *detail) pg_attribute_noreturn();

/*
 * Refuses the connection.  The client sees only the generic message; the
 * facts (detail) go to the server log with the pg_hba.conf line.
 */
static void
reject(Port *port, int sqlstate, const char *detail)
{
	ereport(FATAL,
			(errcode(sqlstate),
			 errmsg("s2sauth authentication failed for user \"%s\"",
					port->user_name),
			 errdetail_log("%s Connection matched pg_hba.conf line %d.",
						   detail, port->hba->linenumber)));
	pg_unreachable();
}

/*
 * Records who was admitted, for log_connections, as the server's own methods
 * do.  "cert" lines have already set the certificate's name.
 */
static void
record_identity(Port *port, const s2s_decision *decision)
{
	const char *identity = s2s_decision_identity(decision);
	char		buf[S2S_TOKEN_ID_MAX + 16];

	if (port->authn_id != NULL)
		return;
	if (identity[0] == '\0')
	{
		snprintf(buf, sizeof(buf), "token:%s", s2s_decision_token_id(decision));
		identity = buf;
	}
	port->authn_id = MemoryContextStrdup(TopMemoryContext, identity);
	if (Log_connections)
		ereport(LOG,
				(errmsg("connection authenticated: identity=\"%s\" method=s2sauth (%s:%d)",
						port->authn_id, HbaFileName, port->hba->linenumber)));
}

/*
 * The database name the verifier sees.  A physical replication connection has
 * none; it is given the pg_hba.conf keyword "replication", so only a token
 * that names it (or names no database at all) admits one.
 */
static const char *
connection_database(Port *port)
{
	if (am_walsender && !am_db_walsender)
		return "replication";
	return port->database_name;
}

static void
s2sauth_authenticate(Port *port)
{
	const s2s_verifier *verifier;
	s2s_peer   *peer = NULL;
	s2s_error	err;
	s2s_status	status;
	char		address[NI_MAXHOST];
	const char *database;
	char	   *token;
	size_t		token_len;
	char		detail[1024];

	memset(&err, 0, sizeof(err));

	if (am_walsender && !s2sauth_allow_replication)
		reject(port, ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
			   "Replication connections are refused while s2sauth.allow_replication is off.");

	/* Never solicit a token over a connection that would reveal it. */
	if (!port->ssl_in_use && !s2sauth_allow_non_ssl)
		reject(port, ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
			   "The connection does not use SSL and s2sauth.allow_non_ssl is off.");

	verifier = s2sauth_verifier_current(&err);
	if (verifier == NULL)
		reject(port, ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
			   "The s2sauth settings are invalid (see the previous message).");

	status = s2sauth_peer_new(verifier, port, &peer, &err);
	if (status != S2S_OK)
	{
		snprintf(detail, sizeof(detail),
				 "The client certificate was refused: %s (%s).",
				 err.message, err.detail);
		reject(port, ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, detail);
	}

	token = s2sauth_receive_token(port, &token_len);
	if (token == NULL)
	{
		/* The client hung up, as libpq does before prompting: no noise. */
		s2s_peer_free(peer);
		proc_exit(0);
	}

	database = connection_database(port);
	s2s_context_reset(auth_context);
	s2s_context_set(auth_context, S2S_ATTR_PG_DB, database, strlen(database));
	s2s_context_set(auth_context, S2S_ATTR_PG_ROLE, port->user_name,
					strlen(port->user_name));
	if (s2sauth_client_address(port, address, sizeof(address)))
		s2s_context_set(auth_context, S2S_ATTR_CLIENT_IP, address, strlen(address));
	if (peer != NULL)
		s2s_context_set_peer(auth_context, peer);

	status = s2s_verify(verifier, auth_context, token, token_len, auth_decision, &err);

	explicit_bzero(token, token_len);
	pfree(token);
	s2s_context_reset(auth_context);
	s2s_peer_free(peer);

	if (status == S2S_OK && s2s_decision_allowed(auth_decision))
	{
		record_identity(port, auth_decision);
		return;
	}

	snprintf(detail, sizeof(detail),
			 "Reason: %s; token id \"%s\"; failed caveat \"%s\"; %s.",
			 status == S2S_OK ?
			 s2s_reason_name(s2s_decision_reason(auth_decision)) : "internal",
			 s2s_decision_token_id(auth_decision),
			 s2s_decision_failed_caveat(auth_decision),
			 status == S2S_OK ? s2s_decision_detail(auth_decision) : err.message);
	reject(port,
		   status == S2S_OK &&
		   s2s_decision_outcome(auth_decision) == S2S_DENY_UNAUTHENTICATED ?
		   ERRCODE_INVALID_PASSWORD : ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
		   detail);
}

static void
s2sauth_client_auth(Port *port, int status)
{
	if (prev_client_auth_hook)
		prev_client_auth_hook(port, status);

	/* A failed method is reported by the server itself. */
	if (status != STATUS_OK)
		return;

	if (port->hba->auth_method == uaTrust || port->hba->auth_method == uaCert)
		s2sauth_authenticate(port);
}

void
_PG_init(void)
{
	s2s_error	err;

	/*
	 * Loaded any later (LOAD, session_preload_libraries), the hook would be
	 * installed after authentication and "trust" would mean trust.
	 */
	if (!process_shared_preload_libraries_in_progress)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("s2sauth must be loaded via shared_preload_libraries")));

	DefineCustomStringVariable("s2sauth.config",
							   "Path of the s2sauth configuration file.",
							   NULL, &s2sauth_config_file, "",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("s2sauth.keyring",
							   "Path of the key ring that verifies tokens (added to s2sauth.config).",
							   NULL, &s2sauth_keyring, "",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("s2sauth.revocation_list",
							   "Path of the list of revoked token ids.",
							   NULL, &s2sauth_revocation_list, "",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("s2sauth.service",
							   "Service name that \"service\" caveats are checked against.",
							   NULL, &s2sauth_service, "",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("s2sauth.allow_non_ssl",
							 "Asks for tokens over connections without SSL.",
							 "Off by default: a token sent in the clear can be replayed by anyone who sees it.",
							 &s2sauth_allow_non_ssl, false,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("s2sauth.allow_replication",
							 "Admits replication connections by token.",
							 "A physical replication connection is verified with pg.db = \"replication\".",
							 &s2sauth_allow_replication, false,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("s2sauth");

	memset(&err, 0, sizeof(err));
	if (s2s_context_new(&auth_context, &err) != S2S_OK ||
		s2s_decision_new(&auth_decision, &err) != S2S_OK)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("s2sauth could not initialize: %s", err.message)));

	/* In the postmaster: backends inherit the verifier. */
	s2sauth_verifier_init();

	prev_client_auth_hook = ClientAuthentication_hook;
	ClientAuthentication_hook = s2sauth_client_auth;
}
