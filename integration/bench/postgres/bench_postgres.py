#!/usr/bin/python3
"""bench_postgres.py: new-connection rate of PostgreSQL over SSL with s2sauth.

pgbench -C -S (a new connection for every select-only transaction), all with
sslmode=require, against one cluster made for the run (integration/postgres/
pgcluster.py).  Four ways in, one line each with its ratio to trust measured in
the same run:
  trust          a hostssl trust line, library not loaded (the reference)
  scram-sha-256  a password checked by the server
  s2sauth-pam    the pam method with pam_s2sauth.so (library not loaded)
  s2sauth-hook   shared_preload_libraries = s2sauth, a hostssl trust line
The hook needs the library loaded, which would turn the trust line into a
token check, so it runs after a restart; the others share the first start.
Tokens carry five caveats (db, role, time, client.ip, service).

Usage: bench_postgres.py --build BUILD_DIR [--seconds 5] [--clients 4]
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "postgres"))
import pgcluster  # noqa: E402


def pgbench(cluster, user, password, seconds, clients):
    env = dict(os.environ, PGSSLMODE="require", PGPASSWORD=password or "")
    cmd = ["timeout", str(seconds + 20), "pgbench", "-n", "-C", "-S", "-T", str(seconds),
           "-c", str(clients), "-j", str(min(clients, 2)), "-h", "127.0.0.1",
           "-p", str(cluster.port), "-U", user, "bench"]
    r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    m = re.search(r"^tps = ([0-9.]+)", r.stdout, re.M)
    failed = re.search(r"number of failed transactions: ([0-9]+)", r.stdout)
    if r.returncode != 0 or m is None or (failed and int(failed.group(1)) > 0):
        raise RuntimeError("pgbench as %s failed:\n%s" % (user, r.stdout[-2000:]))
    return float(m.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--clients", type=int, default=4)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("bench_postgres: must run as root (setpriv to postgres, /etc/pam.d)")
        return 1
    build = os.path.abspath(args.build)
    hook = os.path.join(build, "adapters", "postgres", "s2sauth")
    pam_module = os.path.join(build, "adapters", "postgres", "pam_s2sauth.so")
    pam_service = "s2sauth-bench-%d" % os.getpid()
    pam_file = os.path.join("/etc/pam.d", pam_service)

    c = pgcluster.Cluster(prefix="s2s-pgbench-")
    results = {}
    try:
        keys = c.keys
        caveats = lambda role: ["pg.db in bench", "pg.role in " + role,  # noqa: E731
                                "time < " + pgcluster.rfc3339(3600),
                                "client.ip in 127.0.0.0/8", "service = postgres"]
        hook_token, _ = keys.mint(caveats("b_hook"))
        pam_token, _ = keys.mint(caveats("b_pam"))
        with open(pam_file, "w") as f:
            f.write("auth required %s config=%s db=bench\n" % (pam_module, keys.config))
            f.write("account required pam_permit.so\n")

        hba = ["hostssl bench b_trust 127.0.0.1/32 trust",
               "hostssl bench b_scram 127.0.0.1/32 scram-sha-256",
               "hostssl bench b_pam 127.0.0.1/32 pam pamservice=%s" % pam_service,
               "hostssl bench b_hook 127.0.0.1/32 trust"]
        c.conf({"log_connections": "off", "max_connections": "20"}, hba)
        c.start()
        c.sql("create database bench")
        for role in ("b_trust", "b_scram", "b_pam", "b_hook"):
            c.sql("create role %s login" % role)
        c.sql("alter role b_scram password 'bench-password'")
        pgcluster.run(pgcluster.as_postgres() + ["pgbench", "-q", "-i", "-s", "1", "-h", c.dir,
                                                 "-p", str(c.port), "bench"])
        c.sql("grant select on all tables in schema public to public", db="bench")

        results["trust"] = pgbench(c, "b_trust", None, args.seconds, args.clients)
        results["scram-sha-256"] = pgbench(c, "b_scram", "bench-password", args.seconds,
                                           args.clients)
        results["s2sauth-pam"] = pgbench(c, "b_pam", pam_token, args.seconds, args.clients)

        c.stop()
        c.conf({"log_connections": "off", "max_connections": "20",
                "shared_preload_libraries": "'%s'" % hook,
                "s2sauth.config": "'%s'" % keys.config}, hba)
        c.start()
        results["s2sauth-hook"] = pgbench(c, "b_hook", hook_token, args.seconds, args.clients)
    finally:
        try:
            os.unlink(pam_file)
        except OSError:
            pass
        c.destroy()

    ref = results["trust"]
    for name in ("trust", "scram-sha-256", "s2sauth-hook", "s2sauth-pam"):
        print("postgres pgbench -C -S sslmode=require %-14s %8.1f conn/s  %.2fx trust"
              % (name, results[name], results[name] / ref))
    return 0


if __name__ == "__main__":
    sys.exit(main())
