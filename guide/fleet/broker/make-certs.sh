#!/bin/sh
# A test CA, the broker's server certificate and the accounts of a fleet:
# for tests, and as a starting point for a depot (a real depot keeps its CA
# key offline and may use a CA it already has).
#
#   make-certs.sh DIR [--host NAME|IP]... CART...
#
# Writes into DIR (made if missing; files that exist are kept, so that a
# second run adds carts without re-keying the broker or the others):
#   ca.crt, ca.key          the CA (ca.crt goes on every cart: guide-fleet --ca)
#   server.crt, server.key  the broker's certificate, for localhost, 127.0.0.1
#                           and every --host (the name the carts dial)
#   passwd                  mosquitto's password file (mosquitto_passwd
#                           hashes), every cart and the account "depot"
#   CART.credentials        the cart's login for guide-fleet --credentials: one
#   depot.credentials       line USER:PASSWORD, mode 600 (the agent refuses a
#                           file others may read)
# Needs openssl and mosquitto_passwd (Debian: openssl, mosquitto).
set -eu
usage() { echo "usage: $0 DIR [--host NAME|IP]... CART..." >&2; exit 2; }
[ $# -ge 1 ] || usage
dir=$1; shift
hosts=""
while [ $# -gt 0 ]; do
	case "$1" in
	--host) [ $# -ge 2 ] || usage; hosts="$hosts $2"; shift 2 ;;
	-h|--help) usage ;;
	-*) usage ;;
	*) break ;;
	esac
done
for c in "$@"; do
	case "$c" in
	depot|*[!A-Za-z0-9_-]*|'') echo "$0: bad cart id '$c' (letters, digits, - and _; not depot)" >&2; exit 2 ;;
	esac
done
command -v openssl >/dev/null || { echo "$0: needs openssl" >&2; exit 1; }
command -v mosquitto_passwd >/dev/null || { echo "$0: needs mosquitto_passwd (mosquitto)" >&2; exit 1; }
umask 077
mkdir -p "$dir"
cd "$dir"

if [ ! -f ca.crt ]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout ca.key -out ca.crt -days 3650 -subj "/CN=guide fleet test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	chmod 644 ca.crt
fi
if [ ! -f server.crt ]; then
	san="DNS:localhost,IP:127.0.0.1"
	for h in $hosts; do
		case "$h" in
		*[!0-9.]*) san="$san,DNS:$h" ;;
		*) san="$san,IP:$h" ;;
		esac
	done
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout server.key -out server.csr -subj "/CN=guide depot broker" 2>/dev/null
	printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
		"$san" >server.ext
	openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
		-out server.crt -days 825 -extfile server.ext 2>/dev/null
	rm -f server.csr server.ext
	chmod 644 server.crt
fi

# one account: a random password, its hash in passwd, the login in NAME.credentials
account() {
	[ -f "$1.credentials" ] && return 0
	pw=$(openssl rand -hex 16)
	if [ -f passwd ]; then
		mosquitto_passwd -b passwd "$1" "$pw"
	else
		mosquitto_passwd -c -b passwd "$1" "$pw"
	fi
	printf '%s:%s\n' "$1" "$pw" >"$1.credentials"
	chmod 600 "$1.credentials"
}
account depot
for c in "$@"; do
	account "$c"
done
