#!/usr/bin/env bash
# Checks every function's zip in target/lambda (or only those in FUNCTIONS, as make package built): it holds a `bootstrap` that is an AArch64 ELF,
# no symbol of it needs a GLIBC newer than 2.34 (Amazon Linux 2023's is 2.34), and reports sizes.
# Exits non-zero on the first rule broken, after the table.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
max_glibc=${MAX_GLIBC:-2.34}
limit_bytes=${ZIP_LIMIT_BYTES:-4000000}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=0
printf '| function | zip bytes | bootstrap bytes | machine | newest GLIBC needed |\n|---|---|---|---|---|\n'
for name in ${FUNCTIONS:-$(ls "$root/functions")}; do
  zip="$root/target/lambda/$name/bootstrap.zip"
  if [ ! -f "$zip" ]; then
    echo "| $name | missing | | | |"; failed=1; continue
  fi
  unzip -p "$zip" bootstrap >"$scratch/bootstrap"
  machine=$(readelf -h "$scratch/bootstrap" | awk -F: '/Machine:/ {gsub(/^ +/, "", $2); print $2}')
  glibc=$( { readelf -W --dyn-syms "$scratch/bootstrap"; readelf -W -V "$scratch/bootstrap"; } \
    | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n 1)
  zip_bytes=$(stat -c %s "$zip")
  printf '| %s | %s | %s | %s | %s |\n' "$name" "$zip_bytes" "$(stat -c %s "$scratch/bootstrap")" "$machine" "${glibc:-none}"
  if [ "$machine" != "AArch64" ]; then echo "  $name: not an AArch64 ELF ($machine)" >&2; failed=1; fi
  if [ -n "$glibc" ] && [ "$(printf '%s\n%s\n' "$glibc" "$max_glibc" | sort -V | tail -n 1)" != "$max_glibc" ]; then
    echo "  $name: needs GLIBC_$glibc, newer than $max_glibc" >&2; failed=1
  fi
  if [ "$zip_bytes" -gt "$limit_bytes" ]; then
    echo "  $name: zip of $zip_bytes bytes is over the $limit_bytes-byte target" >&2
  fi
done
exit $failed
