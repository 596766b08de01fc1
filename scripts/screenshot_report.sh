#!/usr/bin/env bash
# Render a report page in a real browser (headless Chromium) to a PNG, to look at it.
#   scripts/screenshot_report.sh STUDY/report/report.html [OUT.png] [HEIGHT]
# Needs Debian's chromium (apt-get install -y chromium); not part of CI. HEIGHT (default 4000)
# is the window's height in pixels: the screenshot shows the page's top HEIGHT pixels.
set -euo pipefail
page=$(realpath "$1")
out=$(realpath -m "${2:-${page%.html}.png}")
height=${3:-4000}
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars --screenshot="$out" \
  --window-size=1280,"$height" "file://$page" 2>/dev/null
echo "$out"
