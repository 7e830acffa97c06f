#!/usr/bin/env bash
# Fetches the speed-benchmark corpus: real code in 9 languages (Go, Rust, Python, C, C++, Java, PHP, Ruby, JavaScript/TypeScript) at fixed
# versions, from Debian's archive and the npm registry, into
# ${CODEGRAPH_SPEED_CORPUS:-~/.cache/codegraph/speed-corpus}. Idempotent; the corpus stays out of git.
#   bash bench/speed/fetch-corpus.sh
# The versions actually fetched are listed in <corpus>.versions (a pinned version that left the archive is replaced by its current one).
set -euo pipefail
out="${CODEGRAPH_SPEED_CORPUS:-$HOME/.cache/codegraph/speed-corpus}"
work="$out.download"
mkdir -p "$out" "$work"
cd "$work"

# name=version  then the paths (inside the package) kept, relative to the extraction root.
debs=(
  "golang-1.19-src=1.19.8-2 usr/share/go-1.19/src/net usr/share/go-1.19/src/go usr/share/go-1.19/src/crypto usr/share/go-1.19/src/encoding usr/share/go-1.19/src/text"
  "rust-src=1.63.0+dfsg1-2 usr/src/rustc-1.63.0/library/core usr/src/rustc-1.63.0/library/alloc usr/src/rustc-1.63.0/library/std"
  "python3-django=3:3.2.25-0+deb12u7 usr/lib/python3/dist-packages/django"
  "python3-sympy=1.11.1-1 usr/lib/python3/dist-packages/sympy/core usr/lib/python3/dist-packages/sympy/solvers usr/lib/python3/dist-packages/sympy/polys"
  "libeigen3-dev=3.4.0-4 usr/include/eigen3"
  "libglib2.0-dev=2.74.6-2+deb12u9 usr/include/glib-2.0"
  "linux-libc-dev=6.1.192-2 usr/include/linux"
  "php-twig=3.5.1-1+deb12u3 usr/share/php/Twig"
  "php-symfony-console=5.4.53+dfsg-0+deb12u1 usr/share/php/Symfony/Component/Console"
  "ruby-rspec-core=3.12.0c0e1m1s0-1 usr/share/rubygems-integration"
  "openjdk-17-source=17.0.21.1+2-1~deb12u1 usr/lib/jvm/openjdk-17/lib/src.zip"
  "python3-pandas=1.5.3+dfsg-2 usr/lib/python3/dist-packages/pandas"
  "python3-sklearn=1.2.1+dfsg-1 usr/lib/python3/dist-packages/sklearn"
  "librust-tokio-dev=1.24.2-1 usr/share/cargo/registry/tokio-1.24.2"
  "librust-syn-dev=1.0.107-1 usr/share/cargo/registry/syn-1.0.107"
  "ruby-activesupport=2:6.1.7.10+dfsg-1~deb12u3 usr/share/rubygems-integration/all/gems/activesupport-6.1.7.10"
  "golang-github-prometheus-client-golang-dev=1.14.0-3 usr/share/gocode/src/github.com/prometheus"
  "php-laravel-framework=8.83.26+dfsg-2 usr/share/php/Illuminate"
  "libboost1.81-dev=1.81.0-5+deb12u1 usr/include/boost/asio usr/include/boost/beast"
)
for entry in "${debs[@]}"; do
  read -r spec keep <<<"$entry"
  name="${spec%%=*}"
  [ -f "$out/.done-$name" ] && continue
  echo "fetching $spec"
  rm -rf "x-$name" && mkdir "x-$name"
  # Security and point-release updates replace pinned versions in the archive. Then take the archive's
  # current version of the same package (the same sources, give or take a patch) and record it.
  if ! (apt-get download "$spec" >/dev/null 2>&1); then
    echo "pinned $spec is gone from the archive; using the current version of $name" >&2
    # The candidate can be a locally installed version the archive no longer serves: then try each archive version.
    (apt-get download "$name" >/dev/null 2>&1) || {
      fetched=""
      for version in $(apt-cache madison "$name" | awk -F'|' '{gsub(/ /, "", $2); print $2}'); do
        if apt-get download "$name=$version" >/dev/null 2>&1; then fetched=$version; break; fi
      done
      [ -n "$fetched" ] || { echo "cannot download $name from the archive" >&2; exit 1; }
    }
  fi
  echo "$name $(dpkg-deb -f "${name}"_*.deb Version)" >> "$out.versions"
  dpkg -x "${name}"_*.deb "x-$name"
  for path in $keep; do
    if [[ "$path" == *.zip ]]; then
      mkdir -p "$out/java"
      (cd "$out/java" && unzip -q -o "$work/x-$name/$path" 'java.base/java/util/*' 'java.base/java/lang/*' 'java.base/java/io/*' 'java.base/java/net/*' 'java.base/java/time/*')
    else
      mkdir -p "$out/$name"
      cp -r "x-$name/$path" "$out/$name/"
    fi
  done
  rm -rf "x-$name" "${name}"_*.deb
  touch "$out/.done-$name"
done

npms=("rxjs@7.8.1" "lodash@4.17.21")
for spec in "${npms[@]}"; do
  name="${spec%@*}"
  [ -f "$out/.done-npm-$name" ] && continue
  echo "fetching npm $spec"
  tarball=$(npm pack --silent "$spec")
  mkdir -p "$out/npm-$name" && tar -xzf "$tarball" -C "$out/npm-$name" && rm -f "$tarball"
  touch "$out/.done-npm-$name"
done
echo "corpus at $out: $(find "$out" -type f ! -name '.done-*' | wc -l) files, $(du -sh --exclude='.done-*' "$out" | cut -f1)"
