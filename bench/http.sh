#!/usr/bin/env bash
# `make bench-http`: HTTPServer (bench/http-hello) vs a Hummingbird 2 peer (bench/peers/hummingbird-hello).
# Release builds; each server pinned to CPU 1, wrk pinned to CPU 0; per route a 3 s warm-up, then
# 3 runs of `wrk -t1 -c64 -d10s` (medians), plus `wrk -t1 -c1 -d5s` for unloaded latency; then RSS
# while holding 10,000 idle keep-alive connections. Prints a markdown table (also in bench/out/).
# Every loop is bounded and every process is ended by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=bench/out
mkdir -p "$OUT"
DURATION=${BENCH_DURATION:-10}
RUNS=${BENCH_RUNS:-3}
IDLE_CONNS=${BENCH_IDLE_CONNS:-10000}
OURS_PORT=${OURS_PORT:-18080}
HB_PORT=${HB_PORT:-18081}
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

command -v wrk >/dev/null || scripts/deps.sh wrk
command -v taskset >/dev/null || scripts/deps.sh util-linux

echo "bench-http: building release binaries" >&2
swift build -c release --package-path bench/http-hello --scratch-path "$ROOT/.build-bench-ours" >&2
swift build -c release --package-path bench/peers/hummingbird-hello --scratch-path "$ROOT/.build-bench-hb" >&2
OURS_BIN="$ROOT/.build-bench-ours/release/http-hello"
HB_BIN="$ROOT/.build-bench-hb/release/hummingbird-hello"

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

wait_port() { # port: bounded wait until it accepts
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "server on $1 did not start" >&2
  return 1
}

to_ms() { # wrk latency like 123.45us / 1.20ms / 2.00s -> milliseconds
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# run_wrk port path connections duration -> "rps p50ms p99ms"
run_wrk() {
  local out
  out=$(taskset -c 0 wrk -t1 -c"$3" -d"$4"s --latency "http://127.0.0.1:$1$2")
  local rps p50 p99
  rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  echo "$rps $(to_ms "$p50") $(to_ms "$p99")"
}

rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

declare -A RESULT
bench_server() { # name bin port args...
  local name=$1 bin=$2 port=$3
  shift 3
  taskset -c 1 "$bin" "$port" "$@" >"$OUT/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  wait_port "$port"
  for route in /plaintext /json; do
    echo "bench-http: $name $route warm-up" >&2
    taskset -c 0 wrk -t1 -c64 -d3s "http://127.0.0.1:$port$route" >/dev/null
    local rpss=() p50s=() p99s=()
    for run in $(seq 1 "$RUNS"); do
      read -r rps p50 p99 < <(run_wrk "$port" "$route" 64 "$DURATION")
      echo "bench-http: $name $route run $run: $rps req/s p50 ${p50}ms p99 ${p99}ms" >&2
      rpss+=("$rps"); p50s+=("$p50"); p99s+=("$p99")
    done
    RESULT[$name,$route,rps]=$(printf '%s\n' "${rpss[@]}" | median)
    RESULT[$name,$route,p50]=$(printf '%s\n' "${p50s[@]}" | median)
    RESULT[$name,$route,p99]=$(printf '%s\n' "${p99s[@]}" | median)
    read -r _ c1p50 c1p99 < <(run_wrk "$port" "$route" 1 5)
    RESULT[$name,$route,c1p50]=$c1p50
    RESULT[$name,$route,c1p99]=$c1p99
    echo "bench-http: $name $route -c1: p50 ${c1p50}ms p99 ${c1p99}ms" >&2
  done
  RESULT[$name,rss0]=$(rss_mb "$pid")
  echo "bench-http: $name holding $IDLE_CONNS idle keep-alive connections" >&2
  local fifo="$OUT/idle-$name.out"
  python3 bench/idle_conns.py "$port" "$IDLE_CONNS" 120 >"$fifo" 2>&1 &
  local cpid=$!
  PIDS+=("$cpid")
  local ready=""
  for _ in $(seq 1 900); do
    ready=$(awk '/^ready/ { print $2 }' "$fifo" 2>/dev/null || true)
    [ -n "$ready" ] && break
    kill -0 "$cpid" 2>/dev/null || break
    sleep 0.1
  done
  sleep 1
  RESULT[$name,rss]=$(rss_mb "$pid")
  RESULT[$name,idle]=${ready:-0}
  kill "$cpid" 2>/dev/null || true
  wait "$cpid" 2>/dev/null || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

bench_server ours "$OURS_BIN" "$OURS_PORT" 1
bench_server hummingbird "$HB_BIN" "$HB_PORT"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
{
  echo "### HTTP core vs Hummingbird 2 ($(date -u +%Y-%m-%d), $(nproc) cores, $(awk -F: '/model name/ { print $2; exit }' /proc/cpuinfo | sed 's/^ *//'))"
  echo
  echo "Server pinned to CPU 1, wrk to CPU 0; \`wrk -t1 -c64 -d${DURATION}s --latency\` after a 3 s warm-up, median of $RUNS runs; -c1 is one 5 s run."
  echo
  echo "| route | server | req/s (c64) | p50 ms | p99 ms | c1 p50 ms | c1 p99 ms |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  for route in /plaintext /json; do
    for name in ours hummingbird; do
      label=$name; [ "$name" = ours ] && label="HTTPServer"; [ "$name" = hummingbird ] && label="Hummingbird 2.28.1"
      echo "| $route | $label | ${RESULT[$name,$route,rps]} | ${RESULT[$name,$route,p50]} | ${RESULT[$name,$route,p99]} | ${RESULT[$name,$route,c1p50]} | ${RESULT[$name,$route,c1p99]} |"
    done
    echo "| $route | **ratio** | **$(ratio "${RESULT[ours,$route,rps]}" "${RESULT[hummingbird,$route,rps]}")×** | | | | |"
  done
  echo
  echo "| server | RSS after load (MB) | RSS holding idle keep-alive conns (MB) | conns held |"
  echo "|---|---:|---:|---:|"
  echo "| HTTPServer | ${RESULT[ours,rss0]} | ${RESULT[ours,rss]} | ${RESULT[ours,idle]} |"
  echo "| Hummingbird 2.28.1 | ${RESULT[hummingbird,rss0]} | ${RESULT[hummingbird,rss]} | ${RESULT[hummingbird,idle]} |"
} | tee "$OUT/http-$(date -u +%Y%m%dT%H%M%SZ).md"
