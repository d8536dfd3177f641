#!/usr/bin/env bash
# Builds and runs the libFuzzer target for HTTPServer's parser and connection state machine.
# Usage: fuzz/http/run.sh [seconds]   (default $FUZZ_SECONDS or 600)
# Corpus and crash artifacts live under .local/fuzz-http/ (gitignored). A crash reproduces with
#   .local/fuzz-http/fuzz-http <artifact file>
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-${FUZZ_SECONDS:-600}}"
out=.local/fuzz-http
mkdir -p "$out/corpus" "$out/artifacts"
# Every pure (socket-free) source of the module: the parser and everything it is fed into.
sources=()
for f in Sources/HTTPServer/*.swift; do
  case "$f" in
    *+Glibc.swift|*/HTTPServer.swift|*/WorkerPool.swift|*/ServerContext.swift|*/Connection.swift) ;;
    *) sources+=("$f") ;;
  esac
done
echo "fuzz-http: building (${#sources[@]} sources, -sanitize=fuzzer,address)"
swiftc -O -g -sanitize=fuzzer,address -parse-as-library -module-name HTTPFuzz \
  -enable-upcoming-feature ExistentialAny \
  "${sources[@]}" fuzz/http/FuzzEntry.swift -o "$out/fuzz-http"
echo "fuzz-http: running for ${seconds}s (corpus $out/corpus)"
exec "$out/fuzz-http" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$out/artifacts/" -dict=fuzz/http/http.dict \
  "$out/corpus" fuzz/http/seeds
