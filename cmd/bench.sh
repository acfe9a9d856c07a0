#!/usr/bin/env bash
# Builds archivist and runs its benchmark harness (README: Performance) for
# 1,000 and 10,000 pages, writing each report as JSON under bench-results/.
# Extra arguments go to every `archivist bench` run, e.g.
#   bash cmd/bench.sh --minio-bin none
#   BENCH_PAGES="1000" bash cmd/bench.sh        # only the 1,000-page run
# Run it from anywhere; it works from the repository root, where the
# extraction benchmark's pages are found (../shared/eval).
#
# Each run's work directory (stores, catalogs, the crawl's data) is kept
# until every run is done: on ext4 without a journal (this machine's disk),
# creating a file right after tens of thousands were deleted costs kernel
# time for minutes (the allocator skips recently deleted inodes one by
# one), and a run deleting its files would slow the next run's stores.
# For the same reason, start it a few minutes after deleting many files.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p bench-results
bin="bench-results/archivist"
# -buildvcs=true stamps the commit into the binary, so each report names it.
if ! go build -buildvcs=true -o "$bin" ./cmd/archivist 2>/dev/null; then
	go build -o "$bin" ./cmd/archivist
fi

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
works=()
trap 'rm -rf "${works[@]}"' EXIT
for pages in ${BENCH_PAGES:-1000 10000}; do
	out="bench-results/bench-$pages-$stamp.json"
	work="bench-results/work-$pages-$stamp"
	works+=("$work")
	echo "bench.sh: archivist bench --pages $pages $* (report: $out)" >&2
	"$bin" bench --pages "$pages" --json "$out" --work "$work" --keep "$@" | tee "bench-results/bench-$pages-$stamp.txt"
done
