/*-------------------------------------------------------------------------
 *
 * exchange.c
 *	  Asks the client for its token and reads it, as a password.
 *
 * Every libpq client already knows how to answer AuthenticationCleartext-
 * Password with a PasswordMessage (the PGPASSWORD environment variable, a
 * password= connection parameter, ~/.pgpass), so the token travels as a
 * password and no client changes are needed.  The message is read with the
 * server's own functions, with a length limit checked before the body is
 * read: an oversized message is refused without buffering it.
 *
 * The exchange is only ever run over TLS unless s2sauth.allow_non_ssl says
 * otherwise (checked by the caller before the token is solicited).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "libpq/auth.h"
#include "libpq/libpq.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"

#include "s2sauth_pg.h"

/* Length word, token, terminating NUL. */
#define S2SAUTH_MAX_MESSAGE_BYTES (4 + S2SAUTH_MAX_TOKEN_BYTES + 1)

/*
 * Returns the token (palloc'd, NUL-terminated, *len bytes) or NULL when the
 * client closed the connection instead of answering: libpq does that when it
 * has no password and will prompt for one, so it is not worth a log line.
 * Anything else that is not a well-formed password message is FATAL.
 */
char *
s2sauth_receive_token(Port *port, size_t *len)
{
	StringInfoData buf;
	int			mtype;

	sendAuthRequest(port, AUTH_REQ_PASSWORD, NULL, 0);

	pq_startmsgread();
	mtype = pq_getbyte();
	if (mtype == EOF)
		return NULL;
	if (mtype != 'p')
		ereport(FATAL,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("expected password response, got message type %d",
						mtype)));

	initStringInfo(&buf);
	if (pq_getmessage(&buf, S2SAUTH_MAX_MESSAGE_BYTES) != 0)
		ereport(FATAL,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("s2sauth authentication failed for user \"%s\"",
						port->user_name),
				 errdetail_log("The password message was longer than %d bytes or truncated.",
							   S2SAUTH_MAX_TOKEN_BYTES)));

	if (buf.len < 1 || strlen(buf.data) + 1 != (size_t) buf.len)
		ereport(FATAL,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("invalid password packet size")));

	*len = (size_t) buf.len - 1;
	return buf.data;
}
