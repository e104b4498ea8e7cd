# part-postgres.sh: the PostgreSQL rows of the demo (sourced by demo.sh).
# A cluster with the s2sauth hook on a hostssl trust line and a PAM line;
# one token for orders/billing as reader, tried against each.  Needs root
# (initdb runs as postgres, the PAM service goes in /etc/pam.d).
if [ -e "$build/adapters/postgres/s2sauth.so" ] && [ -e "$build/adapters/postgres/pam_s2sauth.so" ] &&
    [ "$(id -u)" -eq 0 ]; then
    echo
    echo "== PostgreSQL: a token as the password, through the hook and through PAM"
    table_header
    /usr/bin/python3 "$here/../postgres/demo_postgres.py" "$build" "$S2S"
fi
