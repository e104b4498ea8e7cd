#!/usr/bin/python3
"""demo_postgres.py BUILD_DIR S2S_CLI: the PostgreSQL rows of the README demo.

Starts a throw-away cluster (pgcluster.py) with the s2sauth hook on a hostssl
"trust" line, plus a PAM line for a second database, mints one token with the
CLI (orders as reader, 1 hour), and prints one row per connection attempt in
demo.sh's table format, with the reason taken from the server log.
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgcluster  # noqa: E402


def row(request, result, why):
    print("%-10s %-44s %-9s %s" % ("postgres", request, result, why))


def main():
    build, cli = os.path.abspath(sys.argv[1]), sys.argv[2]
    c = pgcluster.Cluster(prefix="s2sauth-demo-pg-")
    pam_file = "/etc/pam.d/s2sauth-demo-%d" % os.getpid()
    try:
        with open(pam_file, "w") as f:
            f.write("auth required %s/adapters/postgres/pam_s2sauth.so config=%s db=billing\n"
                    % (build, c.keys.config))
            f.write("account required pam_permit.so\n")
        c.conf({"shared_preload_libraries": "'%s/adapters/postgres/s2sauth'" % build,
                "s2sauth.config": "'%s'" % c.keys.config},
               ["hostssl billing all 127.0.0.1/32 pam pamservice=%s" % os.path.basename(pam_file),
                "hostssl all all 127.0.0.1/32 trust",
                "hostnossl all all 127.0.0.1/32 trust"])
        c.start()
        for role in ("reader", "writer"):
            c.sql("create role %s login" % role)
        for db in ("orders", "inventory", "billing"):
            c.sql("create database %s" % db)

        def mint(*caveats):
            args = [cli, "mint", "--keyring", c.keys.keyring, "--identity", "svc-reports"]
            for cav in caveats:
                args += ["--caveat", cav]
            return subprocess.run(args, check=True, stdout=subprocess.PIPE,
                                  text=True).stdout.strip()

        token = mint("pg.db in orders,billing", "pg.role in reader",
                     "time < " + pgcluster.rfc3339(3600))
        expired = mint("pg.db in orders", "pg.role in reader",
                       "time < " + pgcluster.rfc3339(-60))

        def attempt(request, user, db, secret, sslmode="require"):
            before = len(c.log_text())
            env = dict(os.environ, PGPASSWORD=secret, PGCONNECT_TIMEOUT="5")
            r = subprocess.run(["timeout", "10", "psql", "-X", "-w", "-A", "-t", "-c",
                                "select current_user || '@' || current_database()",
                                "host=127.0.0.1 port=%d user=%s dbname=%s sslmode=%s"
                                % (c.port, user, db, sslmode)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
            if r.returncode == 0:
                row(request, "allow", "connected as " + r.stdout.strip())
                return
            time.sleep(0.1)
            log = c.log_text()[before:]
            m = re.search(r"Reason: ([a-z_]+); token id \"[^\"]*\"; failed caveat \"([^\"]*)\"",
                          log)
            if m:
                why = m.group(1) + (": " + m.group(2) if m.group(2) else "")
            elif "s2sauth.allow_non_ssl" in log:
                why = "no TLS: refused before asking for a token"
            elif "PAM authentication failed" in log:
                why = "PAM: pam_s2sauth refused the token"
            else:
                why = r.stdout.strip().splitlines()[-1][:60]
            row(request, "DENY", why)

        attempt("psql orders as reader (hook)", "reader", "orders", token)
        attempt("psql inventory as reader (hook)", "reader", "inventory", token)
        attempt("psql orders as writer (hook)", "writer", "orders", token)
        attempt("psql orders as reader, expired token", "reader", "orders", expired)
        attempt("psql orders as reader, sslmode=disable", "reader", "orders", token, "disable")
        attempt("psql billing as reader (PAM)", "reader", "billing", token)
        attempt("psql billing as writer (PAM)", "writer", "billing", token)
    finally:
        try:
            os.unlink(pam_file)
        except OSError:
            pass
        c.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
