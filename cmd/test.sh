#!/usr/bin/env bash
# Runs Archivist's whole test suite on a fresh machine: installs what the
# tests need (cached between runs), then runs vet, gofmt and every test.
# The tests start their own servers (MinIO, fixture sites) on loopback and
# stop them when done.
#
# Usage: bash cmd/test.sh [go test flags...]   e.g. bash cmd/test.sh -run TestEndToEnd
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${XDG_CACHE_HOME:-$HOME/.cache}/archivist"
minio_version="v0.0.0-20260212201848-7aac2a2c5b7c"
mkdir -p "$cache/bin"

# MinIO: the S3 tests run against a real server, never a fake.
if [ ! -x "$cache/bin/minio" ] || [ "$(cat "$cache/bin/minio.version" 2>/dev/null)" != "$minio_version" ]; then
	echo "test.sh: installing MinIO $minio_version into $cache/bin (about 3 minutes the first time)"
	GOBIN="$cache/bin" GOFLAGS=-buildvcs=false go install "github.com/minio/minio@$minio_version"
	echo "$minio_version" >"$cache/bin/minio.version"
fi
export ARCHIVIST_MINIO_BIN="$cache/bin/minio"
# Fail, rather than skip, any test whose server is missing.
export ARCHIVIST_REQUIRE_MINIO=1

# Chromium: the web UI's end-to-end tests drive Debian's headless chromium.
if ! command -v chromium >/dev/null 2>&1 && [ -z "${ARCHIVIST_CHROMIUM:-}" ]; then
	echo "test.sh: installing chromium (apt-get) for the browser tests"
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "test.sh: apt-get is missing: install Chromium and set ARCHIVIST_CHROMIUM=/path/to/chromium" >&2
		exit 1
	fi
	sudo=""
	if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
	$sudo apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
# Fail, rather than skip, the browser tests when Chromium is missing.
export ARCHIVIST_REQUIRE_CHROMIUM=1

# PostgreSQL: the PostgreSQL catalog, frontier and host slots, and the
# three-replica test, run against real servers that the tests start
# themselves (archive/pgdb/pgtest: initdb into a temporary directory, listen on
# 127.0.0.1, killed by PID at the end). Only the binaries are needed.
if [ -z "${ARCHIVIST_POSTGRES_BIN:-}" ] && [ -z "${ARCHIVIST_TEST_POSTGRES:-}" ] &&
	! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	echo "test.sh: installing postgresql (apt-get) for the PostgreSQL tests"
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "test.sh: apt-get is missing: install PostgreSQL and set ARCHIVIST_POSTGRES_BIN to the directory of initdb and postgres" >&2
		exit 1
	fi
	sudo=""
	if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
	$sudo apt-get update -qq >/dev/null
	# The tests use only the binaries; a system cluster the package may
	# start on port 5432 is not touched.
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
fi
# Fail, rather than skip, the PostgreSQL tests when the server is missing.
export ARCHIVIST_REQUIRE_POSTGRES=1

# cmd/archivist/default.pgo makes every build of the binary (go build, go
# run, the tests' own builds of it, go test of its package) a
# profile-guided one, which compiles every dependency a second time, with
# the profile: minutes on a fresh machine. PGO changes only the compiler's
# inlining and layout choices, never what the code does, so the tests
# build without it and share one build of the dependencies.
export GOFLAGS="-pgo=off${GOFLAGS:+ $GOFLAGS}"

echo "test.sh: gofmt and go vet"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi
go vet ./...

echo "test.sh: go test"
go test -count=1 -timeout 20m "$@" ./...

# Fuzzing: each target runs briefly on top of its seed corpus in testdata
# (which the plain test run above already replays). Only for the whole
# suite (no arguments) unless ARCHIVIST_FUZZTIME is set; 0 skips it.
# The default budgets count executions (3 to 5 s each here), not time: a
# duration budget trips a race in Go 1.26's fuzzing coordinator that fails
# a target with "context deadline exceeded" and no crasher
# (go.dev/issue/75804, fixed in Go 1.27). ARCHIVIST_FUZZTIME (a duration
# or a count such as 1000x) replaces every budget.
fuzztime="${ARCHIVIST_FUZZTIME:-}"
if [ "$fuzztime" != 0 ] && { [ $# -eq 0 ] || [ -n "$fuzztime" ]; }; then
	for target in FuzzNormalize:./crawler/urlnorm:60000x FuzzExtract:./extract:4000x \
		FuzzReadCapture:./archive/warc:5000x FuzzGrams:./archive/catalog/sqlite:500x; do
		IFS=: read -r name pkg budget <<<"$target"
		budget="${fuzztime:-$budget}"
		echo "test.sh: fuzz $name for $budget"
		go test -run '^$' -fuzz "^$name\$" -fuzztime "$budget" "$pkg"
	done
fi
