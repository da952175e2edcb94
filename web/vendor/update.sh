#!/usr/bin/env bash
# Re-vendor the console's two small libraries (preact with its hooks, and htm) from npm.
# Usage: web/vendor/update.sh [preact-version] [htm-version]
# The console has no build step: these ES modules are embedded with go:embed and served at /vendor/.
# hooks.module.js imports the bare specifier "preact"; it is rewritten to the relative file so the
# browser needs no import map.
set -euo pipefail
cd "$(dirname "$0")"
PREACT=${1:-10.29.8}
HTM=${2:-3.1.1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "preact@$PREACT" "htm@$HTM" >/dev/null)
mkdir -p "$tmp/preact" "$tmp/htm"
tar -xzf "$tmp/preact-$PREACT.tgz" -C "$tmp/preact"
tar -xzf "$tmp/htm-$HTM.tgz" -C "$tmp/htm"
cp "$tmp/preact/package/dist/preact.module.js" preact.module.js
sed -e 's#from"preact"#from"./preact.module.js"#g' -e "s#from 'preact'#from './preact.module.js'#g" \
  "$tmp/preact/package/hooks/dist/hooks.module.js" > hooks.module.js
cp "$tmp/htm/package/dist/htm.module.js" htm.module.js
cp "$tmp/preact/package/LICENSE" LICENSE.preact
cp "$tmp/htm/package/LICENSE" LICENSE.htm
# Drop source-map comments: the maps are not vendored.
sed -i -e 's#//\# sourceMappingURL=.*##' preact.module.js hooks.module.js htm.module.js
printf 'preact %s\nhtm %s\n' "$PREACT" "$HTM" > VERSIONS
grep -q 'preact.module.js' hooks.module.js || { echo "hooks.module.js: import of preact not rewritten" >&2; exit 1; }
echo "vendored preact $PREACT and htm $HTM"
