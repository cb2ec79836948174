#!/bin/sh
# Chart.js for the CHART element (docs/blocks.md), vendored from its npm package: the site serves
# it with its own static files (no CDN; the site works offline). Run by `make install`; writes
# blocks/static/blocks/vendor/chart.umd.js, its source map (which the file names, and which
# collectstatic's manifest storage follows: without it, collectstatic fails) and its licence,
# checked against the pinned version.
set -eu
VERSION=4.5.1
DEST="$(dirname "$0")/../blocks/static/blocks/vendor"
if [ -f "$DEST/chart.umd.js.map" ] && grep -q "Chart.js v$VERSION" "$DEST/chart.umd.js"; then
    exit 0
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "chart.js@$VERSION" >/dev/null)
tar -xzf "$WORK/chart.js-$VERSION.tgz" -C "$WORK" package/dist/chart.umd.js \
    package/dist/chart.umd.js.map package/LICENSE.md
mkdir -p "$DEST"
cp "$WORK/package/dist/chart.umd.js" "$WORK/package/dist/chart.umd.js.map" "$DEST/"
cp "$WORK/package/LICENSE.md" "$DEST/chart.js-LICENSE.md"
echo "chartjs.sh: Chart.js $VERSION in $DEST"
