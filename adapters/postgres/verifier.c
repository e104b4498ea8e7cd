/*-------------------------------------------------------------------------
 *
 * verifier.c
 *	  The s2s verifier of the hook: built in the postmaster, inherited by
 *	  every backend.
 *
 * Building a verifier reads and checks files (the configuration, the key
 * ring, the revocation list, a trust bundle), so it is done once, in the
 * postmaster while _PG_init runs, and each backend inherits the finished,
 * immutable object through fork().  A bad configuration therefore stops the
 * server at start-up with a message naming the setting, instead of failing
 * every login later.
 *
 * The settings are PGC_SIGHUP, but the postmaster runs no extension code
 * after a reload.  So a backend compares the settings it sees with those its
 * inherited verifier was built from.  When they differ (a reload changed a
 * path), it builds a verifier of its own, and if that fails the connection is
 * refused: a broken configuration never admits anyone and never hangs.  When
 * they match, the core re-reads the files that changed since (a rotated key
 * ring), which costs one stat() per file when nothing changed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "s2sauth_pg.h"

/* The settings a verifier was built from, kept in TopMemoryContext. */
typedef struct VerifierSettings
{
	char	   *config_file;
	char	   *keyring;
	char	   *revocation_list;
	char	   *service;
} VerifierSettings;

static s2s_verifier *verifier = NULL;
static VerifierSettings built_from;

static bool
setting_equal(const char *built, const char *now)
{
	return built != NULL && strcmp(built, now) == 0;
}

static bool
settings_unchanged(void)
{
	return setting_equal(built_from.config_file, s2sauth_config_file) &&
		setting_equal(built_from.keyring, s2sauth_keyring) &&
		setting_equal(built_from.revocation_list, s2sauth_revocation_list) &&
		setting_equal(built_from.service, s2sauth_service);
}

static char *
remember(char *old, const char *now)
{
	if (old != NULL)
		pfree(old);
	return MemoryContextStrdup(TopMemoryContext, now);
}

static void
settings_remember(void)
{
	built_from.config_file = remember(built_from.config_file, s2sauth_config_file);
	built_from.keyring = remember(built_from.keyring, s2sauth_keyring);
	built_from.revocation_list = remember(built_from.revocation_list,
										  s2sauth_revocation_list);
	built_from.service = remember(built_from.service, s2sauth_service);
}

/*
 * Applies one setting to the core configuration; an empty setting is left
 * out so that the configuration file (if any) decides.
 */
static s2s_status
config_apply(s2s_config *cfg, const char *directive, const char *value,
			 s2s_error *err)
{
	if (value[0] == '\0')
		return S2S_OK;
	return s2s_config_set(cfg, directive, value, err);
}

/*
 * Builds a verifier from the current settings.  On failure, *setting names
 * the GUC whose value was being applied, or is NULL when the verifier as a
 * whole (the files the settings name) was refused.
 */
static s2s_status
verifier_build(s2s_verifier **out, const char **setting, s2s_error *err)
{
	s2s_config *cfg = NULL;
	s2s_status	status;

	*out = NULL;
	*setting = NULL;

	if (s2sauth_config_file[0] == '\0' && s2sauth_keyring[0] == '\0')
	{
		*setting = "s2sauth.config";
		err->status = S2S_ERR_CONFIG;
		strlcpy(err->message, "no key source is configured", sizeof(err->message));
		strlcpy(err->detail, "s2sauth.config and s2sauth.keyring are both empty",
				sizeof(err->detail));
		strlcpy(err->hint,
				"Set s2sauth.config to an s2sauth configuration file, or s2sauth.keyring to a key ring file.",
				sizeof(err->hint));
		return S2S_ERR_CONFIG;
	}

	status = s2s_config_new(&cfg, err);
	if (status == S2S_OK && s2sauth_config_file[0] != '\0')
	{
		*setting = "s2sauth.config";
		status = s2s_config_load(cfg, s2sauth_config_file, err);
	}
	if (status == S2S_OK)
	{
		*setting = "s2sauth.keyring";
		status = config_apply(cfg, "keyring", s2sauth_keyring, err);
	}
	if (status == S2S_OK)
	{
		*setting = "s2sauth.revocation_list";
		status = config_apply(cfg, "revocation_list", s2sauth_revocation_list, err);
	}
	if (status == S2S_OK)
	{
		*setting = "s2sauth.service";
		status = config_apply(cfg, "service", s2sauth_service, err);
	}
	if (status == S2S_OK)
	{
		*setting = NULL;
		status = s2s_verifier_new(cfg, out, err);
	}
	s2s_config_free(cfg);
	return status;
}

/*
 * Reports a failed build at the given level.  Paths are not secret; the core's
 * message and detail never contain key material.
 */
static void
report_build_failure(int elevel, const char *setting, const s2s_error *err)
{
	if (setting != NULL)
		ereport(elevel,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("invalid value for parameter \"%s\": %s",
						setting, err->message),
				 err->detail[0] ? errdetail("%s", err->detail) : 0,
				 err->hint[0] ? errhint("%s", err->hint) : 0));
	else
		ereport(elevel,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("s2sauth could not build its verifier: %s", err->message),
				 errdetail("%s%sSettings: s2sauth.config = \"%s\", s2sauth.keyring = \"%s\", s2sauth.revocation_list = \"%s\".",
						   err->detail, err->detail[0] ? " " : "",
						   s2sauth_config_file, s2sauth_keyring,
						   s2sauth_revocation_list),
				 err->hint[0] ? errhint("%s", err->hint) : 0));
}

/*
 * Called from _PG_init in the postmaster: any error stops the server.
 */
void
s2sauth_verifier_init(void)
{
	s2s_error	err;
	const char *setting;

	memset(&err, 0, sizeof(err));
	if (verifier_build(&verifier, &setting, &err) != S2S_OK)
		report_build_failure(ERROR, setting, &err);
	settings_remember();
}

/*
 * The verifier for this connection, or NULL (reported to the server log) when
 * the settings cannot be turned into one.
 */
const s2s_verifier *
s2sauth_verifier_current(s2s_error *err)
{
	s2s_verifier *fresh;
	const char *setting;

	if (verifier != NULL && settings_unchanged())
	{
		if (s2s_verifier_reload(verifier, err) != S2S_OK)
			ereport(LOG,
					(errmsg("s2sauth kept its previous key ring and revocation list: %s",
							err->message),
					 err->detail[0] ? errdetail("%s", err->detail) : 0,
					 err->hint[0] ? errhint("%s", err->hint) : 0));
		return verifier;
	}

	if (verifier_build(&fresh, &setting, err) != S2S_OK)
	{
		report_build_failure(LOG, setting, err);
		return NULL;
	}
	s2s_verifier_free(verifier);
	verifier = fresh;
	settings_remember();
	return verifier;
}
