#!/usr/bin/env bash
# Builds the lianluo container image from a lianluo binary, with no image registry: the
# build context holds the (stripped) binary, the shared libraries `ldd` lists for it at
# the same paths, /etc/passwd and /etc/group naming the user lianluo (10001), and the
# empty config and data directories; deploy/Dockerfile copies them onto `scratch`.
#
# Usage: deploy/build-image.sh [--bin PATH] [--tag TAG]
#   --bin PATH  the binary (default: build it with `cargo build --release`)
#   --tag TAG   the image tag (default: lianluo:<version of the binary>)
# Prints the image's tag and size. Needs docker (classic builder is enough) and ldd.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=""
tag=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "build-image: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$bin" ]; then
  cargo build --release --locked --bin lianluo
  bin=target/release/lianluo
fi
[ -x "$bin" ] || { echo "build-image: $bin is not an executable; build it first" >&2; exit 1; }
version="$("$bin" --version | awk '{print $2}')"
tag="${tag:-lianluo:$version}"

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
root="$ctx/rootfs"
mkdir -p "$root/usr/local/bin" "$root/etc/lianluo" "$ctx/data"
# Debug information only makes the image bigger; the binary's symbols stay.
objcopy --strip-debug "$bin" "$root/usr/local/bin/lianluo"
# Exactly the libraries the binary links, at the paths the loader looks for them.
ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
printf 'root:x:0:0:root:/:/sbin/nologin\nlianluo:x:10001:10001:lianluo node:/var/lib/lianluo:/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nlianluo:x:10001:\n' >"$root/etc/group"
# Names resolve through /etc/hosts, then DNS (Docker and Kubernetes provide both).
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
cp deploy/Dockerfile "$ctx/Dockerfile"
# The classic builder (no BuildKit here); its deprecation notice is not news.
if ! out="$(DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$ctx" 2>&1)"; then
  echo "$out" >&2
  exit 1
fi
size="$(docker image inspect -f '{{.Size}}' "$tag")"
echo "built $tag ($((size / 1024 / 1024)) MiB: $(du -sh "$root/usr/local/bin/lianluo" | cut -f1) binary, $(find "$root/lib" "$root/lib64" "$root/usr/lib" -type f 2>/dev/null | wc -l) libraries)"
