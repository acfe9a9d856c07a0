#!/usr/bin/env bash
# Refreshes cmd/archivist/default.pgo, the CPU profile that `go build` and
# `go install` of ./cmd/archivist use for profile-guided optimisation
# (README: Performance, "Profile-guided optimisation"). The profile is the
# one `archivist bench` takes of its crawl: the capture pipeline (fetch,
# extraction, WARC, store, catalog) that `crawl` and `serve` spend their
# CPU on. Refresh it after large changes to those paths; a stale profile
# only optimises less.
#
# Usage: bash cmd/pgo.sh            (PGO_PAGES=N for another fixture size)
# Run it from anywhere; the benchmark reads ../shared/eval from the
# repository root, as cmd/bench.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# The profile of an unoptimised build: what the code costs as written,
# not after an older profile's inlining.
go build -pgo=off -o "$tmp/archivist" ./cmd/archivist
ARCHIVIST_DEBUG_CPUPROFILE="$tmp/crawl.pprof" \
	"$tmp/archivist" bench --pages "${PGO_PAGES:-3000}" --only pipeline --work "$tmp/work" >&2
mv "$tmp/crawl.pprof" cmd/archivist/default.pgo
echo "pgo.sh: wrote cmd/archivist/default.pgo ($(wc -c <cmd/archivist/default.pgo) bytes)" >&2
