#!/usr/bin/env bash
# `make bench-http`: HTTPServer (bench/http-hello) vs a Hummingbird 2 peer (bench/peers/hummingbird-hello).
# Release builds; each server pinned to CPU 1, wrk pinned to CPU 0; per route a 3 s warm-up, then
# 3 runs of `wrk -t1 -c64 -d10s` (medians, with the server's CPU µs per request), plus `wrk -t1 -c1 -d5s`
# for unloaded latency; /json also through HTTPServer's worker pool (/worker/json); then RSS
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

# run_wrk port path connections duration [server-pid] -> "rps p50ms p99ms cpu-us-per-request"
# CPU µs/request: the server process's utime+stime (/proc/PID/stat) across the run ÷ requests; unlike
# req/s it hardly moves when other processes compete for the cores.
run_wrk() {
  local out c0=0 c1=0
  [ -z "${5:-}" ] || c0=$(awk '{ print $14 + $15 }' "/proc/$5/stat")
  out=$(taskset -c 0 wrk -t1 -c"$3" -d"$4"s --latency "http://127.0.0.1:$1$2")
  [ -z "${5:-}" ] || c1=$(awk '{ print $14 + $15 }' "/proc/$5/stat")
  local rps p50 p99 n
  rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  n=$(awk '/requests in/ { print $1 }' <<<"$out")
  echo "$rps $(to_ms "$p50") $(to_ms "$p99") $(awk -v a="$c0" -v b="$c1" -v n="$n" -v t="$(getconf CLK_TCK)" \
    'BEGIN { if (n > 0 && b > a) printf "%.1f", (b - a) / t * 1e6 / n; else print "n/a" }')"
}

rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

declare -A RESULT
declare -A PORT=([ours]=$OURS_PORT [hummingbird]=$HB_PORT)
declare -A SPID

# Both servers run at once (an idle server uses no CPU) and their wrk runs alternate, so that load
# from elsewhere on the machine hits both alike instead of whichever happened to run second.
taskset -c 1 "$OURS_BIN" "$OURS_PORT" 1 >"$OUT/ours.log" 2>&1 &
SPID[ours]=$!
PIDS+=("${SPID[ours]}")
taskset -c 1 "$HB_BIN" "$HB_PORT" >"$OUT/hummingbird.log" 2>&1 &
SPID[hummingbird]=$!
PIDS+=("${SPID[hummingbird]}")
wait_port "$OURS_PORT"
wait_port "$HB_PORT"

# Our hello answers /plaintext and /json on the event loop (as Hummingbird does); /worker/json is the
# same answer through the worker pool (how checkoutd's database routes run), measured as a third
# "server" against Hummingbird's /json.
declare -A PATH_OF=([ours]="" [hummingbird]="" [worker]=/worker)
PORT[worker]=$OURS_PORT
for route in /plaintext /json; do
  names="ours hummingbird"
  [ "$route" = /json ] && names="ours hummingbird worker"
  for name in $names; do
    echo "bench-http: $name $route warm-up" >&2
    taskset -c 0 wrk -t1 -c64 -d3s "http://127.0.0.1:${PORT[$name]}${PATH_OF[$name]}$route" >/dev/null
  done
  declare -A RPS=() P50=() P99=() CPU=()
  for run in $(seq 1 "$RUNS"); do
    for name in $names; do
      pid=${SPID[$name]:-${SPID[ours]}}
      read -r rps p50 p99 cpu < <(run_wrk "${PORT[$name]}" "${PATH_OF[$name]}$route" 64 "$DURATION" "$pid")
      echo "bench-http: $name $route run $run: $rps req/s p50 ${p50}ms p99 ${p99}ms ${cpu} CPU-µs/req" >&2
      RPS[$name]+="$rps "; P50[$name]+="$p50 "; P99[$name]+="$p99 "; CPU[$name]+="$cpu "
    done
  done
  for name in $names; do
    RESULT[$name,$route,rps]=$(tr ' ' '\n' <<<"${RPS[$name]}" | grep . | median)
    RESULT[$name,$route,p50]=$(tr ' ' '\n' <<<"${P50[$name]}" | grep . | median)
    RESULT[$name,$route,p99]=$(tr ' ' '\n' <<<"${P99[$name]}" | grep . | median)
    RESULT[$name,$route,cpu]=$(tr ' ' '\n' <<<"${CPU[$name]}" | grep . | median)
    read -r _ c1p50 c1p99 _ < <(run_wrk "${PORT[$name]}" "${PATH_OF[$name]}$route" 1 5)
    RESULT[$name,$route,c1p50]=$c1p50
    RESULT[$name,$route,c1p99]=$c1p99
    echo "bench-http: $name $route -c1: p50 ${c1p50}ms p99 ${c1p99}ms" >&2
  done
  unset RPS P50 P99 CPU
done

for name in ours hummingbird; do
  pid=${SPID[$name]}
  RESULT[$name,rss0]=$(rss_mb "$pid")
  echo "bench-http: $name holding $IDLE_CONNS idle keep-alive connections" >&2
  log="$OUT/idle-$name.out"
  python3 bench/idle_conns.py "${PORT[$name]}" "$IDLE_CONNS" 120 >"$log" 2>&1 &
  cpid=$!
  PIDS+=("$cpid")
  ready=""
  for _ in $(seq 1 900); do
    ready=$(awk '/^ready/ { print $2 }' "$log" 2>/dev/null || true)
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
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
{
  echo "### HTTP core vs Hummingbird 2 ($(date -u +%Y-%m-%d), $(nproc) cores, $(awk -F: '/model name/ { print $2; exit }' /proc/cpuinfo | sed 's/^ *//'))"
  echo
  echo "Servers pinned to CPU 1, wrk to CPU 0; \`wrk -t1 -c64 -d${DURATION}s --latency\` after a 3 s warm-up, median of $RUNS runs alternating between the servers; -c1 is one 5 s run. Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| route | server | req/s (c64) | p50 ms | p99 ms | CPU µs/req | c1 p50 ms | c1 p99 ms |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|"
  for route in /plaintext /json; do
    for name in ours hummingbird; do
      label=$name; [ "$name" = ours ] && label="HTTPServer"; [ "$name" = hummingbird ] && label="Hummingbird 2.28.1"
      echo "| $route | $label | ${RESULT[$name,$route,rps]} | ${RESULT[$name,$route,p50]} | ${RESULT[$name,$route,p99]} | ${RESULT[$name,$route,cpu]} | ${RESULT[$name,$route,c1p50]} | ${RESULT[$name,$route,c1p99]} |"
    done
    echo "| $route | **ratio** | **$(ratio "${RESULT[ours,$route,rps]}" "${RESULT[hummingbird,$route,rps]}")×** | | | CPU: $(ratio "${RESULT[hummingbird,$route,cpu]}" "${RESULT[ours,$route,cpu]}")× less | | |"
  done
  route=/json
  echo "| /worker/json | HTTPServer, handler on a worker thread | ${RESULT[worker,$route,rps]} | ${RESULT[worker,$route,p50]} | ${RESULT[worker,$route,p99]} | ${RESULT[worker,$route,cpu]} | ${RESULT[worker,$route,c1p50]} | ${RESULT[worker,$route,c1p99]} |"
  echo "| /worker/json | **worker ratio** | **$(ratio "${RESULT[worker,$route,rps]}" "${RESULT[hummingbird,$route,rps]}")×** | | | CPU: $(ratio "${RESULT[hummingbird,$route,cpu]}" "${RESULT[worker,$route,cpu]}")× less | | |"
  echo
  echo "| server | RSS after load (MB) | RSS holding idle keep-alive conns (MB) | conns held |"
  echo "|---|---:|---:|---:|"
  echo "| HTTPServer | ${RESULT[ours,rss0]} | ${RESULT[ours,rss]} | ${RESULT[ours,idle]} |"
  echo "| Hummingbird 2.28.1 | ${RESULT[hummingbird,rss0]} | ${RESULT[hummingbird,rss]} | ${RESULT[hummingbird,idle]} |"
} | tee "$OUT/http-$(date -u +%Y%m%dT%H%M%SZ).md"
