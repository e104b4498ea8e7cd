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
The hook needs the library loaded, which turns a trust line into a token
check, so it has a server of its own; both servers are up for the whole run
and the four are measured in interleaved rounds (the best round is kept).
Tokens carry five caveats (db, role, time, client.ip, service).

Usage: bench_postgres.py --build BUILD_DIR [--seconds 3] [--rounds 2] [--clients 4]
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


def prepare(c, settings, hba):
    c.conf(dict({"log_connections": "off", "max_connections": "20"}, **settings), hba)
    c.start()
    c.sql("create database bench")
    for role in ("b_trust", "b_scram", "b_pam", "b_hook"):
        c.sql("create role %s login" % role)
    c.sql("alter role b_scram password 'bench-password'")
    pgcluster.run(pgcluster.as_postgres() + ["pgbench", "-q", "-i", "-s", "1", "-h", c.dir,
                                             "-p", str(c.port), "bench"])
    c.sql("grant select on all tables in schema public to public", db="bench")


def caveats(role):
    return ["pg.db in bench", "pg.role in " + role, "time < " + pgcluster.rfc3339(3600),
            "client.ip in 127.0.0.0/8", "service = postgres"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2)
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

    # Two servers up at once, so that the four ways in can be measured in
    # interleaved rounds: "plain" without the library (trust, scram, PAM),
    # "hooked" with it (a trust line there means a token check).
    plain = pgcluster.Cluster(prefix="s2s-pgbench-")
    hooked = pgcluster.Cluster(prefix="s2s-pgbench-hook-")
    results = {}
    try:
        hook_token, _ = hooked.keys.mint(caveats("b_hook"))
        pam_token, _ = plain.keys.mint(caveats("b_pam"))
        with open(pam_file, "w") as f:
            f.write("auth required %s config=%s db=bench\n" % (pam_module, plain.keys.config))
            f.write("account required pam_permit.so\n")
        prepare(plain, {}, [
            "hostssl bench b_trust 127.0.0.1/32 trust",
            "hostssl bench b_scram 127.0.0.1/32 scram-sha-256",
            "hostssl bench b_pam 127.0.0.1/32 pam pamservice=%s" % pam_service])
        prepare(hooked, {"shared_preload_libraries": "'%s'" % hook,
                         "s2sauth.config": "'%s'" % hooked.keys.config},
                ["hostssl bench b_hook 127.0.0.1/32 trust"])

        runs = [("trust", plain, "b_trust", None),
                ("scram-sha-256", plain, "b_scram", "bench-password"),
                ("s2sauth-hook", hooked, "b_hook", hook_token),
                ("s2sauth-pam", plain, "b_pam", pam_token)]
        for _ in range(args.rounds):
            for name, cluster, user, password in runs:
                rate = pgbench(cluster, user, password, args.seconds, args.clients)
                results.setdefault(name, []).append(rate)
    finally:
        try:
            os.unlink(pam_file)
        except OSError:
            pass
        plain.destroy()
        hooked.destroy()

    # The best round of each: the machine's noise only ever slows a run down.
    best = {name: max(rates) for name, rates in results.items()}
    ref = best["trust"]
    for name in ("trust", "scram-sha-256", "s2sauth-hook", "s2sauth-pam"):
        print("postgres pgbench -C -S sslmode=require %-14s %8.1f conn/s  %.2fx trust"
              % (name, best[name], best[name] / ref))
    return 0


if __name__ == "__main__":
    sys.exit(main())
