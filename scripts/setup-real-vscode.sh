#!/usr/bin/env bash
# Installs what the real-VS-Code end-to-end tests need, offline (npm registry + Debian apt only):
#   - Debian's chromium (driven by playwright-core) and libkrb5-dev (for code-server's kerberos module)
#   - code-server@4.100.3 (VS Code 1.100.3, the last release that runs on Node 20)
#     into $ROOT/.test-work/code-server, with its ripgrep download replaced by Debian's ripgrep.
# Idempotent: every step is skipped when already done. Run as root. See docs: real-vscode.md.
#
#   bash scripts/setup-real-vscode.sh          # install what is missing
#   FORCE=1 bash scripts/setup-real-vscode.sh  # reinstall code-server
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
# @vscode/ripgrep version used by code-server 4.100.3, and the asset name its postinstall looks for.
VSCODE_RIPGREP_VERSION=1.15.11
RIPGREP_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$ROOT/.test-work
CS_DIR=$WORK/code-server
CS_BIN=$CS_DIR/node_modules/.bin/code-server
MARKER=$CS_DIR/.installed-$CODE_SERVER_VERSION

t0=$(date +%s)
log() { printf '[setup-real-vscode +%ss] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }
die() { printf '[setup-real-vscode] ERROR: %s\n' "$*" >&2; exit 1; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) || die "node not found on PATH"
[ "$node_major" = 20 ] || log "warning: Node $node_major found; code-server $CODE_SERVER_VERSION is meant for Node 20"

# ---------------------------------------------------------------- apt packages
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
# native builds of code-server's modules (kerberos, node-pty, ...)
command -v make >/dev/null 2>&1 || need_apt+=(make)
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
apt_updated=0
apt_update() {
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    timeout 300 apt-get update -qq || die "apt-get update failed (or took > 300 s)"
    apt_updated=1
  fi
}
if [ ${#need_apt[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "need root to apt-get install: ${need_apt[*]}"
  apt_update
  log "apt-get install ${need_apt[*]}"
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null \
    || die "apt-get install ${need_apt[*]} failed"
else
  log "chromium and libkrb5-dev already installed"
fi
command -v chromium >/dev/null 2>&1 || die "chromium is still missing after apt-get install"
log "$(chromium --version 2>/dev/null || echo 'chromium (version unknown)')"

# ---------------------------------------------------------------- code-server
if [ "${FORCE:-0}" != 1 ] && [ -x "$CS_BIN" ] && [ -f "$MARKER" ]; then
  log "code-server $CODE_SERVER_VERSION already installed in $CS_DIR"
else
  [ "$(id -u)" = 0 ] || log "warning: not root; native builds may fail"
  rm -rf "$CS_DIR"
  mkdir -p "$WORK"
  tmp=$(mktemp -d "$WORK/setup-tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT

  log "seeding the ripgrep cache with Debian's ripgrep"
  (
    cd "$tmp"
    if command -v rg >/dev/null 2>&1; then
      mkdir -p rg/usr/bin && cp "$(command -v rg)" rg/usr/bin/rg
    else
      apt-get download ripgrep >/dev/null 2>&1 || { apt_update; apt-get download ripgrep >/dev/null; } \
        || die "apt-get download ripgrep failed"
      dpkg -x ripgrep_*.deb rg
    fi
  ) || die "could not get a ripgrep binary"
  mkdir -p "$tmp/cache/vscode-ripgrep-cache-$VSCODE_RIPGREP_VERSION" "$tmp/stage"
  cp "$tmp/rg/usr/bin/rg" "$tmp/stage/rg"
  tar -C "$tmp/stage" -czf "$tmp/cache/vscode-ripgrep-cache-$VSCODE_RIPGREP_VERSION/$RIPGREP_ASSET" rg

  log "npm install code-server@$CODE_SERVER_VERSION (native builds; ~1 min) -> $CS_DIR"
  mkdir -p "$CS_DIR"
  if ! TMPDIR=$tmp/cache npm_config_unsafe_perm=true npm_config_yes=true npm_config_nodedir=/usr \
      npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false \
      timeout 900 npm install --foreground-scripts --no-package-lock --prefix "$CS_DIR" \
      "code-server@$CODE_SERVER_VERSION" >"$tmp/npm.log" 2>&1; then
    tail -n 40 "$tmp/npm.log" >&2
    cp "$tmp/npm.log" "$WORK/code-server-npm.log" 2>/dev/null || true
    die "npm install code-server@$CODE_SERVER_VERSION failed (full log: $WORK/code-server-npm.log)"
  fi
  [ -x "$CS_BIN" ] || die "npm install finished but $CS_BIN is missing"
  ver=$(HOME=$tmp XDG_CONFIG_HOME=$tmp/.config XDG_DATA_HOME=$tmp/.local/share timeout 60 "$CS_BIN" --version 2>/dev/null \
    | grep -E '^[0-9]+\.[0-9]+\.[0-9]+ ' | head -n1) || die "'code-server --version' failed"
  case "$ver" in "$CODE_SERVER_VERSION"*) ;; *) die "unexpected code-server version: $ver";; esac
  touch "$MARKER"
  log "code-server installed: $ver"
fi

# ---------------------------------------------------------------- playwright-core
# playwright-core is a devDependency of the project (installed by npm ci / npm install).
if ! (cd "$ROOT" && node -e 'require.resolve("playwright-core")' >/dev/null 2>&1); then
  die "playwright-core is not installed in $ROOT/node_modules: run 'npm install' (it is a devDependency)"
fi
log "playwright-core $(cd "$ROOT" && node -p 'require("playwright-core/package.json").version')"
log "done"
