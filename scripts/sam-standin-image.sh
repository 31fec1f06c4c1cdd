#!/usr/bin/env bash
# Builds, once, a local stand-in for the Lambda base image of provided.al2023 and prints its name.
#
# `sam local invoke` builds its container FROM public.ecr.aws/lambda/provided:al2023, which a machine
# without a container registry cannot pull. A `provided` runtime needs very little from that image: the
# bootstrap's shared libraries (glibc) and a shell with mv and chmod for the one RUN line SAM adds when it
# copies its runtime interface emulator in. This image holds exactly that, copied from this machine
# (Debian, not Amazon Linux): it runs our bootstraps, it does not prove anything about Amazon Linux.
# Handed to SAM with --invoke-image and --skip-pull-image; SAM still adds its own emulator.
#
# Usage: sam-standin-image.sh            (prints the image name; builds it if it is missing)
set -euo pipefail

arch="$(uname -m)"
case "$arch" in
  x86_64) lambda_arch=x86_64 ;;
  aarch64) lambda_arch=arm64 ;;
  *) echo "no stand-in for $arch" >&2; exit 1 ;;
esac
# The tag names what is inside: bump the version when the contents below change.
image="fanfare-webhooks/provided-standin:al2023-${lambda_arch}-v1"

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "$image"
  exit 0
fi

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT

# Copies each file, and every shared library it loads, to the same path under the root.
copy_with_libraries() {
  local file lib
  for file in "$@"; do
    mkdir -p "$root$(dirname "$file")"
    cp -L "$file" "$root$file"
    for lib in $(ldd "$file" 2>/dev/null | grep -o '/[^ ]*' || true); do
      if [[ -e "$lib" && ! -e "$root$lib" ]]; then
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
      fi
    done
  done
}

libdir="/lib/$(gcc -print-multiarch)"
# The shell and tools SAM's Dockerfile runs; the C runtime a Rust binary linked against glibc loads.
copy_with_libraries /bin/sh /bin/mv /bin/chmod /bin/cp /bin/rm /bin/cat /bin/ls
for lib in libc.so.6 libm.so.6 libgcc_s.so.1 libpthread.so.0 libdl.so.2 librt.so.1; do
  if [[ -e "$libdir/$lib" ]]; then copy_with_libraries "$libdir/$lib"; fi
done
# The dynamic loader at the path binaries name (/lib64 on x86_64, /lib on aarch64).
for loader in /lib64/ld-linux-x86-64.so.2 /lib/ld-linux-aarch64.so.1; do
  if [[ -e "$loader" ]]; then copy_with_libraries "$loader"; fi
done
mkdir -p "$root/tmp" "$root/var/task" "$root/var/runtime" "$root/opt" "$root/etc/ssl/certs"
chmod 1777 "$root/tmp"
# CA bundle, so an HTTPS client can start even though local runs talk plain HTTP to moto.
if [[ -e /etc/ssl/certs/ca-certificates.crt ]]; then
  cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
fi
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "sbx_user1051:x:993:990::/home/sbx_user1051:/sbin/nologin" >>"$root/etc/passwd"

tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/var/lang/bin:/usr/local/bin:/usr/bin:/bin:/opt/bin' \
  --change 'ENV LAMBDA_TASK_ROOT=/var/task' \
  --change 'ENV LAMBDA_RUNTIME_DIR=/var/runtime' \
  --change 'WORKDIR /var/task' \
  - "$image" >/dev/null
echo "$image"
