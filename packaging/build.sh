#!/usr/bin/env bash
# Build the one-folder mammostudio bundle with PyInstaller and smoke-test it.
#
#   packaging/build.sh            # build into dist/mammostudio/, then test it
#   packaging/build.sh --test     # only test an existing bundle
#
# Needs the app's own environment (the packages of pyproject.toml, with the torch
# build you want to ship: CPU or CUDA, see docs/USER_GUIDE_DRAFT.md) plus
# `pip install pyinstaller`. The bundle contains that torch as is; it runs on
# machines with the same OS family and a glibc at least as new as this one's.
set -euo pipefail
cd "$(dirname "$0")/.."
BUNDLE=dist/mammostudio
EXE="$BUNDLE/mammostudio"

if [[ "${1:-}" != "--test" ]]; then
    python -m PyInstaller --version >/dev/null 2>&1 || {
        echo "build.sh: PyInstaller is not installed (pip install pyinstaller)" >&2; exit 2; }
    start=$(date +%s)
    python -m PyInstaller --noconfirm --clean --log-level WARN \
        --distpath dist --workpath build/pyinstaller packaging/mammostudio.spec
    end=$(date +%s)
    echo "build.sh: built $BUNDLE in $((end - start)) s"
    cp packaging/mammostudio.desktop resources/icons/mammostudio.png "$BUNDLE/"
fi

[[ -x "$EXE" ]] || { echo "build.sh: no bundle at $EXE (build it first)" >&2; exit 2; }
echo "build.sh: bundle size $(du -sh "$BUNDLE" | cut -f1) ($(find "$BUNDLE" -type f | wc -l) files)"

# Smoke tests: the CLI starts, and the GUI opens a demo dataset offscreen and renders an image.
"$EXE" --version
"$EXE" --help >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$EXE" demo-data --patients 1 --size 256 208 --quiet "$tmp/demo" >/dev/null
"$EXE" scan "$tmp/demo/workbook" >/dev/null
start=$(date +%s)
QT_QPA_PLATFORM=offscreen "$EXE" --self-test --screenshot "$tmp/self-test.png"
end=$(date +%s)
echo "build.sh: self-test passed in $((end - start)) s"
