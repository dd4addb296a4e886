#!/usr/bin/env bash
# End-to-end test of the deployment on the real Docker engine: builds the image from a
# freshly built lianluo binary (deploy/build-image.sh), makes the certificates
# (deploy/pki.sh) and brings Hezhou, Qingyuan and Yongzhou up with deploy/compose.yaml,
# then deploy/e2e.py checks, with the host's lianluo CLI against the published ports:
#   1. records written at each city reach exactly their participants;
#   2. Yongzhou's network cut while all three write, then healed: everything converges;
#   3. a node's process SIGKILLed inside its container comes back (restart policy) and
#      catches up;
#   4. all three restarted one by one under a steady write load: no acknowledged write is
#      lost and every participant ends with the same state;
#   5. a fourth city (guilin) joins: certificates issued, the three running nodes get it
#      by SIGHUP alone, records shared with it arrive both ways;
#   6. an online backup taken under writes restores into a node that then converges.
# Everything it made (containers, networks, volumes, the image, the work dir) is removed
# at the end, also on failure. Run as root (pki.sh gives the keys to the image's user).
#
# Usage: deploy/e2e.sh [--bin PATH]   (default: target/debug/lianluo, built if missing)
# Env:   LIANLUO_E2E_KEEP=1 keeps the work dir and the containers for a look afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/debug/lianluo
if [ "${1:-}" = "--bin" ]; then
  bin="$2"
fi
if ! docker info >/dev/null 2>&1; then
  echo "e2e: no Docker engine answers (docker info failed); cannot run the deployment test" >&2
  exit 1
fi
if [ ! -x "$bin" ]; then
  cargo build --locked --bin lianluo
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

started=$(date +%s)
project="lle2e$$"
image="lianluo:e2e-$$"
work="$(mktemp -d /tmp/lianluo-e2e-XXXXXX)"
compose=(docker-compose -p "$project" -f "$work/compose.yaml" -f "$work/compose.guilin.yaml")

teardown() {
  local rc=$?
  if [ "$rc" != 0 ]; then
    echo "e2e: FAILED (exit $rc); the nodes' last log lines:" >&2
    "${compose[@]}" logs --no-color --tail 30 >&2 2>/dev/null || true
  fi
  if [ "${LIANLUO_E2E_KEEP:-}" = 1 ]; then
    echo "e2e: kept $work and project $project (docker-compose -p $project … down -v to remove)" >&2
  else
    "${compose[@]}" down -v --remove-orphans --timeout 5 >/dev/null 2>&1 || true
    docker image rm -f "$image" >/dev/null 2>&1 || true
    rm -rf "$work"
  fi
  echo "e2e: $(( $(date +%s) - started )) s" >&2
  exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT TERM

deploy/build-image.sh --bin "$bin" --tag "$image"
cp -r deploy/compose.yaml deploy/compose.guilin.yaml deploy/pki.sh deploy/cities "$work/"
rm -rf "$work"/cities/*/tls
LIANLUO_IMAGE="$image" "$work/pki.sh" hezhou qingyuan yongzhou >/dev/null
export LIANLUO_IMAGE="$image"
"${compose[@]}" up -d hezhou qingyuan yongzhou 2>&1 | { grep -v '^\(Creating\|Starting\)' || true; }
# The whole run is bounded: 10 minutes, teardown included.
E2E_WORK="$work" E2E_PROJECT="$project" LIANLUO_BIN="$bin" \
  timeout --kill-after 10 $(( 590 - ($(date +%s) - started) )) python3 -u deploy/e2e.py
