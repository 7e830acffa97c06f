#!/usr/bin/env bash
# Installs what the real-VS-Code tests need, idempotently:
#   - Debian packages: chromium (driven by playwright-core), and the headers
#     code-server's postinstall compiles its native modules against;
#   - Node 24 (npm package node-linux-<arch>), which code-server requires,
#     without touching the system Node;
#   - code-server from npm.
# Node and code-server are cached outside the repository (first install takes a
# few minutes; later runs reuse it). Prints the tools folder on stdout.
#
# Environment: CODEGRAPH_E2E_CACHE overrides the cache folder
# (default ${XDG_CACHE_HOME:-~/.cache}/codegraph-e2e).
set -euo pipefail

CODE_SERVER_VERSION=4.139.1
NODE_RANGE=^24
CACHE_DIR="${CODEGRAPH_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/codegraph-e2e}"
TOOLS="$CACHE_DIR/code-server-$CODE_SERVER_VERSION"
MARKER="$TOOLS/.complete"

log() { echo "[e2e setup] $*" >&2; }
fail() {
  echo "[e2e setup] ERROR: $*" >&2
  exit 1
}

case "$(uname -m)" in
  x86_64 | amd64) NODE_ARCH=x64 ;;
  aarch64 | arm64) NODE_ARCH=arm64 ;;
  *) fail "unsupported machine $(uname -m): node-linux-<arch> has no build for it" ;;
esac
[ "$(uname -s)" = Linux ] || fail "the real-VS-Code tests run on Linux (code-server + Debian chromium)"

# 1. Debian packages.
missing=()
command -v chromium > /dev/null 2>&1 || missing+=(chromium)
for package in libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev build-essential pkg-config python3 fonts-dejavu-core; do
  dpkg-query -W -f='${Status}' "$package" 2> /dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    SUDO=()
  elif command -v sudo > /dev/null 2>&1 && sudo -n true 2> /dev/null; then
    SUDO=(sudo -n)
  else
    fail "missing Debian packages (${missing[*]}) and no root or passwordless sudo to install them"
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq || fail "apt-get update failed"
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null || fail "apt-get install ${missing[*]} failed"
fi

# The version line among whatever else code-server prints: on its very first run (no
# ~/.config/code-server/config.yaml yet) it writes "info  Wrote default config file to ..." first.
# It runs with a throw-away config folder so that the check writes nothing into the user's HOME.
code_server_version() {
  local config_home
  config_home="$(mktemp -d)"
  XDG_CONFIG_HOME="$config_home" node "$TOOLS/node_modules/code-server/out/node/entry.js" --version 2> /dev/null |
    grep -Eo "^$CODE_SERVER_VERSION[^ ]*( [0-9a-f]+)?" | head -1 || true
  rm -rf "$config_home"
}

# 2. Node 24 and code-server, cached. Each stage leaves a marker of its own, so a run that fails
# after the long npm installs (or is killed) resumes from the stage that did not finish.
NODE_MARKER="$TOOLS/.node-installed"
SERVER_MARKER="$TOOLS/.code-server-installed"
if [ ! -f "$MARKER" ]; then
  log "installing Node $NODE_RANGE and code-server $CODE_SERVER_VERSION into $TOOLS (first run: a few minutes)"
  mkdir -p "$TOOLS"
  cd "$TOOLS"
  NODE_HOME="$TOOLS/node_modules/node-linux-$NODE_ARCH"
  if [ ! -f "$NODE_MARKER" ] || [ ! -x "$NODE_HOME/bin/node" ]; then
    rm -rf "$TOOLS/node_modules" "$TOOLS/package-lock.json" "$SERVER_MARKER"
    printf '{ "name": "codegraph-e2e-tools", "private": true }\n' > package.json
    npm install --no-audit --no-fund --loglevel=error "node-linux-$NODE_ARCH@$NODE_RANGE" || fail "npm install node-linux-$NODE_ARCH failed"
    [ -x "$NODE_HOME/bin/node" ] || fail "node-linux-$NODE_ARCH has no bin/node"
    touch "$NODE_MARKER"
  else
    log "Node already installed in $NODE_HOME (resuming)"
  fi
  # Run from `npm test`, we inherit the outer npm's npm_* variables: its user agent names Node 20, which
  # code-server's postinstall rejects. The inner npm must describe itself.
  while IFS= read -r variable; do unset "$variable"; done < <(env | sed -n 's/^\(npm_[A-Za-z0-9_]*\)=.*/\1/p')
  # code-server's install scripts need Node 24 first on PATH, and its headers for node-gyp (offline).
  export PATH="$NODE_HOME/bin:$PATH"
  export npm_config_nodedir="$NODE_HOME"
  log "using $(node --version) from $NODE_HOME"
  if [ ! -f "$SERVER_MARKER" ]; then
    npm install --no-audit --no-fund --loglevel=error --foreground-scripts "code-server@$CODE_SERVER_VERSION" > "$TOOLS/install.log" 2>&1 || {
      tail -40 "$TOOLS/install.log" >&2
      fail "npm install code-server failed (log: $TOOLS/install.log)"
    }
    touch "$SERVER_MARKER"
  else
    log "code-server already installed (resuming)"
  fi
  if [ ! -d node_modules/code-server/lib/vscode/node_modules ]; then
    # npm can skip dependencies' install scripts; code-server is unusable without its postinstall.
    log "running code-server's postinstall (npm skipped it)"
    (cd node_modules/code-server && npm_config_user_agent="npm/$(npm --version) node/$(node --version) linux $NODE_ARCH" sh ./postinstall.sh) >> "$TOOLS/install.log" 2>&1 || {
      tail -40 "$TOOLS/install.log" >&2
      fail "code-server postinstall failed (log: $TOOLS/install.log)"
    }
  fi
  version="$(code_server_version)"
  [ -n "$version" ] || fail "code-server does not run: 'code-server --version' printed no $CODE_SERVER_VERSION version line ($(XDG_CONFIG_HOME="$(mktemp -d)" node node_modules/code-server/out/node/entry.js --version 2>&1 | tr '\n' ' ' | cut -c1-300)); see $TOOLS/install.log"
  printf 'node=%s\ncode-server=%s\n' "$NODE_HOME/bin/node" "$version" > "$MARKER"
  log "installed code-server $version"
fi

echo "$TOOLS"
