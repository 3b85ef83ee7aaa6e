#!/usr/bin/env bash
# Render the HTML part of a digest built from the offline demo data, and screenshot it with
# headless Chromium (Debian's `chromium` package: apt-get install chromium), so a person can
# look at what the morning email looks like. Usage: scripts/digest_screenshot.sh [OUT.png]
set -euo pipefail
out="${1:-digest.png}"
work="$(mktemp -d -t mentionwatch-digest.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mentionwatch demo --db "$work/demo.db" --limit 1 > /dev/null
cat > "$work/config.toml" <<'TOML'
[brand]
name = "Brightloop"
terms = ["Brightloop", "Brightloop Hub"]
handles = ["BrightloopHelp", "Brightloop", "*atBrightloop"]
sla = "4h"

[digest]
from = "mentionwatch@brightloop.example"
to = ["support-lead@brightloop.example"]
TOML
mentionwatch digest --config "$work/config.toml" --db "$work/demo.db" --since 7d --format html \
    > "$work/digest.html"
# The flags keep Chromium off the network (this machine has none) and out of a sandbox that
# needs privileges a container does not have.
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile" --hide-scrollbars --window-size=900,2400 \
    --screenshot="$(realpath -m "$out")" "file://$work/digest.html"
echo "wrote $out"
