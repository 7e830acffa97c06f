#!/usr/bin/env bash
# Adds `deb-src` to the Types of Debian's deb822 sources (needed by `apt-get source`,
# which the corpus builder uses for languages Debian ships compiled: Java, C#, C/C++),
# then refreshes the package lists. Idempotent; needs root (or sudo).
#   bash training/corpus/enable-deb-src.sh
set -euo pipefail
sources=/etc/apt/sources.list.d/debian.sources
[ -f "$sources" ] || { echo "enable-deb-src: $sources not found (not a deb822 Debian system?); add deb-src lines by hand" >&2; exit 1; }
if grep -q '^Types:.*deb-src' "$sources"; then
  echo "enable-deb-src: deb-src already enabled in $sources"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo sed -i 's/^Types: deb$/Types: deb deb-src/' "$sources"
$sudo apt-get update -qq
echo "enable-deb-src: deb-src enabled in $sources"
