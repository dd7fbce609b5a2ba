#!/usr/bin/env bash
# A throwaway certificate authority and one server certificate per process, for a cluster whose every link is TLS:
# the servers present their certificates (--tls-cert, --tls-key) and every client trusts the CA (--ca-file, or
# FLASHSALE_CA_FILE for the CLI and herd). For rehearsals and tests; a production cluster uses the certificates of
# its own PKI the same way.
#
#   deploy/tls-certs.sh DIR NAME [NAME...]
#
# Makes DIR/ca.pem and DIR/ca.key once, then DIR/NAME.pem and DIR/NAME.key for each NAME (P-256 keys, 30 days);
# a certificate is made again when it expires within a day, is not signed by the CA, or is for other names. Private
# keys are readable by their owner only (the servers refuse them otherwise). The names the certificates are valid
# for come from TLS_SAN (default IP:127.0.0.1,DNS:localhost: every process on loopback), in openssl's subjectAltName
# syntax, e.g. TLS_SAN=IP:10.77.0.2.
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: deploy/tls-certs.sh DIR NAME [NAME...]" >&2; exit 64; }
command -v openssl >/dev/null || { echo "error: openssl is needed (apt-get install openssl)" >&2; exit 69; }
dir=$1
shift
san=${TLS_SAN:-IP:127.0.0.1,DNS:localhost}
umask 077
mkdir -p "$dir"

# A CA that expires within a day is made anew (and with it every certificate).
if [ -s "$dir/ca.pem" ] && ! openssl x509 -in "$dir/ca.pem" -noout -checkend 86400 >/dev/null 2>&1; then
    rm -f "$dir/ca.pem" "$dir/ca.key"
fi
if [ ! -s "$dir/ca.pem" ] || [ ! -s "$dir/ca.key" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
        -subj "/CN=flashsale throwaway CA $(date -u +%Y-%m-%dT%H:%M:%SZ)" \
        -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout "$dir/ca.key" -out "$dir/ca.pem.tmp" 2>/dev/null
    mv "$dir/ca.pem.tmp" "$dir/ca.pem"
fi

for name in "$@"; do
    case "$name" in
        *[!A-Za-z0-9._-]* | "" | .*) echo "error: $name: names are letters, digits, '.', '_' and '-'" >&2; exit 64 ;;
    esac
    # Kept while it is signed by this CA, valid for another day, and for the names asked (TLS_SAN).
    if [ -s "$dir/$name.pem" ] && [ -s "$dir/$name.key" ] \
        && openssl verify -CAfile "$dir/ca.pem" "$dir/$name.pem" >/dev/null 2>&1 \
        && openssl x509 -in "$dir/$name.pem" -noout -checkend 86400 >/dev/null 2>&1 \
        && [ "$(openssl x509 -in "$dir/$name.pem" -noout -ext subjectAltName 2>/dev/null | tail -n 1 | tr -d ' ')" \
            = "$(printf '%s' "$san" | sed -e 's/IP:/IPAddress:/g')" ]; then
        continue
    fi
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
        -keyout "$dir/$name.key" -out "$dir/$name.csr" 2>/dev/null
    extensions="subjectAltName=$san
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth"
    openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -days 30 \
        -set_serial "0x$(openssl rand -hex 16)" -extfile <(printf '%s\n' "$extensions") \
        -out "$dir/$name.pem.tmp" 2>/dev/null
    mv "$dir/$name.pem.tmp" "$dir/$name.pem"
    rm -f "$dir/$name.csr"
done
# Certificates are public; keys stay 0600.
chmod 0644 "$dir/ca.pem"
for name in "$@"; do chmod 0644 "$dir/$name.pem"; done
