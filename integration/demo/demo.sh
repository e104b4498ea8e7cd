#!/bin/bash
# demo.sh BUILD_DIR: one root token, attenuated per service, and a table of
# what each service allows and denies, and why.  Everything lives in a
# temporary directory and every server it starts is stopped on exit.
#
# Each adapter adds its part as integration/demo/part-<adapter>.sh (sourced,
# rows of this table) or integration/<adapter>/demo.sh (run with the build
# directory).
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
S2S="$build/adapters/cli/s2sauth"
work=$(mktemp -d /tmp/s2sauth-demo.XXXXXX)
chmod 755 "$work"
cleanup_hooks=()
cleanup() {
    local h
    for h in "${cleanup_hooks[@]}"; do eval "$h" || true; done
    rm -rf "$work"
}
trap cleanup EXIT

table_header() {
    printf '%-10s %-44s %-9s %s\n' SERVICE REQUEST RESULT WHY
}
row() {  # row SERVICE REQUEST RESULT WHY
    printf '%-10s %-44s %-9s %s\n' "$1" "$2" "$3" "$4"
}

# A CLI verification as a table row: row_verify SERVICE "REQUEST" TOKEN verify-args...
row_verify() {
    local service=$1 request=$2 token=$3
    shift 3
    local out rc=0
    out=$(printf '%s' "$token" | "$S2S" verify --json "$@" -) || rc=$?
    local reason caveat
    reason=$(printf '%s' "$out" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["reason"])')
    caveat=$(printf '%s' "$out" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["failed_caveat"])')
    if [ "$rc" -eq 0 ]; then row "$service" "$request" allow "$reason"
    else row "$service" "$request" DENY "$reason${caveat:+: $caveat}"; fi
}

echo
echo "== keys and the root token"
"$S2S" keygen --keyring "$work/keyring" --key-id demo-1 >/dev/null
echo "key ring:   $work/keyring (mode $(stat -c %a "$work/keyring"))"
root=$("$S2S" mint --keyring "$work/keyring" --identity svc-billing --ttl 1h --location https://demo.example)
echo "root token: ${root:0:40}... ($(printf '%s' "$root" | wc -c) bytes)"
printf '%s' "$root" | "$S2S" inspect - | sed 's/^/  /'
touch "$work/revoked"

# A throw-away CA and two client certificates, for certificate-bound tokens.
make_leaf() {  # make_leaf NAME SPIFFE-PATH
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/$1.key" \
        -out "$work/$1.csr" -subj "/CN=$1" 2>/dev/null
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectAltName=URI:spiffe://demo.example/%s\n' \
        "$2" > "$work/$1.ext"
    openssl x509 -req -in "$work/$1.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
        -days 1 -out "$work/$1.pem" -extfile "$work/$1.ext" 2>/dev/null
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/ca.key" \
    -out "$work/ca.pem" -days 1 -subj /CN=s2sauth-demo-ca \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
make_leaf billing billing
make_leaf intruder intruder
echo "demo CA:    $work/ca.pem (client certificates billing.pem, intruder.pem)"

cat > "$work/s2sauth.conf" <<CONF
keyring $work/keyring
revocation_list $work/revoked
trust_bundle $work/ca.pem
CONF
export DEMO_WORK=$work DEMO_ROOT=$root DEMO_S2S=$S2S

echo
echo "== the CLI verifies as every host does"
table_header
cli=$(printf '%s' "$root" | "$S2S" attenuate --caveat 'http.method in GET,HEAD' --caveat 'http.path prefix /v1/orders' -)
expired=$(printf '%s' "$root" | "$S2S" attenuate --caveat "time < 2020-01-01T00:00:00Z" -)
tampered="${cli:0:$((${#cli} - 4))}AAAA"
to_revoke=$(printf '%s' "$root" | "$S2S" attenuate --caveat 'service = reports' -)
V=(--config "$work/s2sauth.conf" --ctx http.method=GET)
row_verify cli "GET /v1/orders/7" "$cli" "${V[@]}" --ctx http.path=/v1/orders/7
row_verify cli "GET /v1/ordersX" "$cli" "${V[@]}" --ctx http.path=/v1/ordersX
row_verify cli "GET /admin" "$cli" "${V[@]}" --ctx http.path=/admin
row_verify cli "POST /v1/orders" "$cli" --config "$work/s2sauth.conf" --ctx http.method=POST --ctx http.path=/v1/orders
row_verify cli "GET /v1/orders (tampered token)" "$tampered" "${V[@]}" --ctx http.path=/v1/orders
row_verify cli "GET /v1/orders (expired token)" "$expired" "${V[@]}" --ctx http.path=/v1/orders
row_verify cli "GET /v1/orders (no path supplied)" "$cli" "${V[@]}"
bound=$(printf '%s' "$root" | "$S2S" attenuate --bind-cert "$work/billing.pem" -)
row_verify cli "bound token, its own certificate" "$bound" --config "$work/s2sauth.conf" --cert "$work/billing.pem"
row_verify cli "bound token, no certificate" "$bound" --config "$work/s2sauth.conf"
row_verify cli "bound token, another certificate" "$bound" --config "$work/s2sauth.conf" --cert "$work/intruder.pem"
"$S2S" revoke --revocation-list "$work/revoked" --token - <<<"$root" >/dev/null
row_verify cli "service reports (root revoked)" "$to_revoke" --config "$work/s2sauth.conf" --service reports

# Rows of the table that adapters add (sourced: they share table_header/row).
for part in "$here"/part-*.sh; do
    [ -e "$part" ] || continue
    # shellcheck source=/dev/null
    . "$part"
done

# Each adapter's own demo: real servers on loopback, stopped on exit; each
# exits non-zero if anything differs from what it prints.
for part in "$here"/../*/demo.sh; do
    [ -x "$part" ] || continue
    [ "$part" -ef "$0" ] && continue
    echo
    "$part" "$build"
done
echo
echo "demo done; everything it started has been stopped."
