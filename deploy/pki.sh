#!/usr/bin/env bash
# Makes the certificates of the compose setup (deploy/compose.yaml), next to this script:
#   pki/                     the federation's root CA and every city's CAs (keep it off
#                            the nodes; it is never mounted into a container)
#   cities/<city>/tls/       what city's node needs: root CA and CRL, its node and
#                            signer certificates and keys, its user CA and CRL — owned by
#                            the image's user 10001 (so run this as root)
#   profiles/<city>-<role>.toml  client profiles (admin, coordinator, viewer) for the
#                            host's loopback ports the compose file publishes
# Each node certificate names the city's host name on the compose network (and
# localhost, 127.0.0.1). Idempotent: existing certificates and keys are kept; a city added
# later (e.g. guilin) is one more run: deploy/pki.sh guilin.
#
# Usage: deploy/pki.sh [CITY...]        (default: hezhou qingyuan yongzhou)
# Env:   LIANLUO_IMAGE  image whose `lianluo tls` runs (default lianluo:local)
#        LIANLUO_BIN    a local lianluo binary to run instead of the image
set -euo pipefail
cd "$(dirname "$0")"
image="${LIANLUO_IMAGE:-lianluo:local}"
cities=("$@")
[ ${#cities[@]} -gt 0 ] || cities=(hezhou qingyuan yongzhou)
if [ "$(id -u)" != 0 ]; then
  echo "pki.sh: run as root (sudo): the nodes' keys must belong to the image's user 10001" >&2
  exit 1
fi
mkdir -p pki profiles

tls() {
  if [ -n "${LIANLUO_BIN:-}" ]; then
    "$LIANLUO_BIN" tls "$@" --pki pki
  else
    docker run --rm --network none --read-only --user 0:0 -v "$PWD/pki:/pki" "$image" tls "$@" --pki /pki
  fi
}

# The host port of a city's client API (compose.yaml publishes 127.0.0.1:<port>).
api_port() {
  case "$1" in
    hezhou) echo 7101 ;; qingyuan) echo 7111 ;; yongzhou) echo 7121 ;; guilin) echo 7131 ;;
    *) echo "pki.sh: no published port for city $1; add it to api_port in $0" >&2; exit 1 ;;
  esac
}

tls init >/dev/null
for city in "${cities[@]}"; do
  port="$(api_port "$city")"
  tls city --city "$city" --host "$city" >/dev/null
  for role in admin coordinator viewer; do
    [ -f "pki/$city/users/$role.pem" ] || tls user --city "$city" --name "$role" >/dev/null
    cat >"profiles/$city-$role.toml" <<PROFILE
# $city's $role, for the node published on this host's loopback by compose.yaml.
endpoint = "https://127.0.0.1:$port"
ca = "../pki/root-ca.pem"
cert = "../pki/$city/users/$role.pem"
key = "../pki/$city/users/$role.key"
PROFILE
  done
  dir="cities/$city/tls"
  install -d -o 10001 -g 10001 -m 0750 "$dir"
  for f in root-ca.pem root-ca.crl.pem; do
    install -o 10001 -g 10001 -m 0644 "pki/$f" "$dir/$f"
  done
  for f in node.pem signer.pem user-ca.pem user-ca.crl.pem; do
    install -o 10001 -g 10001 -m 0644 "pki/$city/$f" "$dir/$f"
  done
  for f in node.key signer.key; do
    install -o 10001 -g 10001 -m 0600 "pki/$city/$f" "$dir/$f"
  done
  echo "pki.sh: $city: certificates in $dir, profiles in profiles/$city-*.toml"
done
# The user certificates and profiles are for whoever ran sudo, not root.
if [ -n "${SUDO_UID:-}" ]; then
  chown -R "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" pki profiles
fi
