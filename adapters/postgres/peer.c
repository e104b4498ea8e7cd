/*-------------------------------------------------------------------------
 *
 * peer.c
 *	  What the server knows about the client, as facts for the verifier: its
 *	  address and its TLS certificate chain.
 *
 * The address comes from the socket (port->raddr), never from a reverse
 * lookup, so log_hostname cannot turn it into a name.  The certificate chain
 * is the one the client sent during the handshake, leaf first; the server's
 * own verification result (port->peer_cert_valid: the chain verified against
 * ssl_ca_file) is passed along, and the core checks the chain again when its
 * configuration has a trust bundle.  A token bound to a certificate
 * (cert.sha256, spiffe.id caveats) is then accepted only with that
 * certificate.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/socket.h>
#include <netdb.h>

#ifdef USE_OPENSSL
#include <openssl/ssl.h>
#include <openssl/x509.h>
#endif

#include "s2sauth_pg.h"

/* More certificates than any sane chain has: the rest are ignored. */
#define S2SAUTH_MAX_CHAIN 10

/*
 * The client's numeric address, or false for a Unix-domain socket (which has
 * none: a client.ip caveat is then unsatisfied).
 */
bool
s2sauth_client_address(const Port *port, char *buf, size_t buflen)
{
	int			family = port->raddr.addr.ss_family;

	if (family != AF_INET && family != AF_INET6)
		return false;
	return getnameinfo((const struct sockaddr *) &port->raddr.addr,
					   port->raddr.salen, buf, buflen, NULL, 0,
					   NI_NUMERICHOST) == 0;
}

/*
 * The client's certificate chain as an s2s_peer, or *peer = NULL when the
 * client sent no certificate.
 */
s2s_status
s2sauth_peer_new(const s2s_verifier *verifier, Port *port, s2s_peer **peer,
				 s2s_error *err)
{
#ifdef USE_OPENSSL
	const unsigned char *certs[S2SAUTH_MAX_CHAIN];
	size_t		lens[S2SAUTH_MAX_CHAIN];
	size_t		count = 0;
	STACK_OF(X509) *chain;
	X509	   *cert;
	int			i;
	s2s_status	status;
#endif

	*peer = NULL;
#ifdef USE_OPENSSL
	if (!port->ssl_in_use || port->peer == NULL)
		return S2S_OK;

	/* On the server side the sent chain excludes the leaf. */
	chain = SSL_get_peer_cert_chain(port->ssl);
	for (i = -1; count < S2SAUTH_MAX_CHAIN; i++)
	{
		unsigned char *der;
		unsigned char *p;
		int			len;

		if (i < 0)
			cert = port->peer;
		else if (chain != NULL && i < sk_X509_num(chain))
			cert = sk_X509_value(chain, i);
		else
			break;

		/* The leaf is sent again in some chains: skip its duplicate. */
		if (i >= 0 && X509_cmp(cert, port->peer) == 0)
			continue;

		len = i2d_X509(cert, NULL);
		if (len <= 0)
			break;
		der = palloc(len);
		p = der;
		if (i2d_X509(cert, &p) != len)
		{
			pfree(der);
			break;
		}
		certs[count] = der;
		lens[count] = (size_t) len;
		count++;
	}

	status = s2s_peer_new(verifier, certs, lens, count,
						  port->peer_cert_valid ? 1 : 0, peer, err);
	while (count > 0)
		pfree((void *) certs[--count]);
	return status;
#else
	return S2S_OK;
#endif
}
