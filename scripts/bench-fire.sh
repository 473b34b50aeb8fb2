#!/usr/bin/env bash
# The fire API benchmark of issue 4 (docs/performance.md "Fire API"): POST /api/fire against
# GET /healthz on the same `bitten serve`, measured with wrk in the same run, plus the memory of a
# server holding 1,000,000 registered users.
#
#   scripts/bench-fire.sh [BUILD_DIR]          (default build/default; needs bitten and bench_seed)
#
# Environment: DURATION (seconds per wrk run, default 5), THREADS (wrk threads, default 2),
# CONNECTIONS (peak runs, default 32), USERS / MISSIONS (seeded users and missions per user,
# default 200 x 400 = 80,000 missions, used in 8 slices), TERMINALS (default 20), PACED_CONNECTIONS
# (connections of the paced runs, default 64), SKIP_MEMORY=1 (skip the 1M-user run), BRIDGE_ROOT
# (where the terminals' folders go: default /dev/shm when it is a writable tmpfs, else the temporary
# directory; see below).
#
# Steps: seed a store (users spread over TERMINALS terminals t-1..t-N, pending missions, dev
# tokens) -> start the server and one paper bridge process running every terminal (it keeps them
# online and executes the commands) -> wrk GET /healthz
# (reference) -> wrk POST /api/fire on fresh missions (each mission fired once: 202) -> wrk POST
# /api/fire on missions already fired (200 duplicate) -> POST /api/fire paced at half (and a
# quarter of) the peak fresh rate, open-loop (wrk2 is not packaged in Debian 12; bench-fire.lua paces
# plain wrk), and that run's p99 is the "p99 at half the peak rate".
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/default}
BITTEN=$BUILD/bitten
SEED=$BUILD/bench_seed
DURATION=${DURATION:-5}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
USERS=${USERS:-200}
MISSIONS=${MISSIONS:-400}
TERMINALS=${TERMINALS:-20}
for b in "$BITTEN" "$SEED"; do
  [ -x "$b" ] || { echo "bench-fire: $b not built (cmake --build $BUILD --target bitten bench_seed)" >&2; exit 2; }
done
command -v wrk >/dev/null || { echo "bench-fire: wrk not installed (scripts/setup.sh)" >&2; exit 2; }

TMP=$(mktemp -d)
# The terminals' folders belong to the terminals (the MT5 hosts), emulated here by the paper bridge.
# On this machine's journal-less ext4, every new file scans past the inodes deleted in the last 1 to
# 6 minutes (the kernel's recently_deleted check), and the emulated terminals replace heartbeat.txt
# 40 times a second: the server's thread writing fire.txt then spends most of its time in that scan,
# more with every minute (docs/performance.md "Session 6"). So the folders go on tmpfs unless
# BRIDGE_ROOT says otherwise; the store stays on disk, with its fsyncs.
if [ -z "${BRIDGE_ROOT:-}" ]; then
  BRIDGE_ROOT=$TMP
  if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ]; then BRIDGE_ROOT=/dev/shm; fi
fi
BRIDGE=$(mktemp -d "$BRIDGE_ROOT/bench-fire-terminals.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP" "$BRIDGE"
}
trap cleanup EXIT

SECRET=6b1f0c2a9d8e7f6051423324150617283940aabbccddeeff0011223344556677
DEV=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT

write_config() { # $1 = store file
  cat > "$TMP/bitten.toml" <<TOML
log_level = "warn"
[server]
address = "127.0.0.1"
port = $PORT
io_threads = 2
[store]
path = "$1"
[auth]
dev_login = true
dev_login_secret_hex = "$DEV"
[engine]
symbols = ["GBPUSD"]
[[tiers]]
name = "FANG"
fires_per_day = 1000000
max_open = 1000000
daily_loss_cap_pct = 100.0
auto_fire = false
may_fire_rapid = true
TOML
  # $TERMINALS terminals t-1..t-N (users spread round robin by bench_seed), one paper bridge
  # process runs them all: the fire rate is the server's, not one terminal's command queue
  # (1,000 commands waiting per terminal, after which fires to it are refused with 503).
  for i in $(seq 1 "$TERMINALS"); do
    cat >> "$TMP/bitten.toml" <<TOML
[[terminals]]
terminal_id = "t-$i"
secret_hex = "$SECRET"
dir = "$BRIDGE/t-$i"
heartbeat_ttl_ms = 10000
TOML
  done
}

wait_up() { # [$1 = seconds, default 10]
  for _ in $(seq 1 $(( ${1:-10} * 20 ))); do
    curl -fsS "$BASE/healthz" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "bench-fire: server did not start; log:" >&2
  cat "$TMP/server.log" >&2
  exit 1
}

# wrk's summary lines: Requests/sec, latency percentiles (--latency) and the status counts.
summarize() { # $1 = label, $2 = wrk output file
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$2")
  p50=$(awk '$1=="50%" {print $2}' "$2")
  p99=$(awk '$1=="99%" {print $2}' "$2")
  printf '%-34s %10s req/s   p50 %-9s p99 %-9s load %-5s %s\n' "$1" "$rps" "$p50" "$p99" \
    "$(cut -d' ' -f1 /proc/loadavg)" "$(grep '^status' "$2" | tr '\n' ' ')"
  echo "$rps"> "$2.rps"
}

echo "== setup: $USERS users x $MISSIONS missions, wrk -t$THREADS, ${DURATION}s per run, $(nproc) cores, $(date -u '+%F %T') UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   store: $TMP ($(stat -f -c %T "$TMP")), terminal folders: $BRIDGE ($(stat -f -c %T "$BRIDGE"))"
"$SEED" --db "$TMP/bitten.db" --users "$USERS" --missions "$MISSIONS" --terminal t \
  --terminals "$TERMINALS" --dev-secret "$DEV" --out "$TMP/missions.txt"
TOTAL=$(wc -l < "$TMP/missions.txt")
write_config "$TMP/bitten.db"
"$BITTEN" serve --config "$TMP/bitten.toml" > "$TMP/server.log" 2>&1 &
SERVER=$!
PIDS+=("$SERVER")
wait_up 120  # recovery reads every pending mission (160,000 with MISSIONS=800)
"$BITTEN" paper-bridge --dir "$BRIDGE" --terminal t --terminals "$TERMINALS" --secret "$SECRET" --server "$BASE" \
  --symbol EURUSD --speed 1 --heartbeat-ms 500 --log-level warn > "$TMP/bridge.log" 2>&1 &
PIDS+=("$!")
# The terminal is online once a heartbeat has arrived.
sleep 2

wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$BASE/healthz" > "$TMP/healthz.txt"
summarize "GET /healthz (reference)" "$TMP/healthz.txt"

# Fresh fires: each run gets a slice of missions that no run has used yet. The rate that counts is
# the FRESH rate (202 answers / duration): a thread that runs out of its missions starts again on
# them and gets 200 duplicates, which are far cheaper (no commit), so a run whose slice ran out is
# flagged and its total req/s and latencies are not the fire figure.
OFFSET=0
SLICE=$(( TOTAL / 8 ))
# Between runs: wait (up to 60 s) until the paper terminals have claimed every command and the
# store writer's queue is empty, so that a run does not pay for the previous run's executions.
drain() {
  for _ in $(seq 1 600); do
    local left
    left=$(curl -fsS "$BASE/metrics" | awk '/^bitten_terminal_command_queue\{/ {q += $2} /^bitten_store_queue_depth / {q += $2} END {print q + 0}')
    [ "$left" = 0 ] && return 0
    sleep 0.1
  done
  echo "   (not drained after 60 s: $left commands and works still waiting)"
}
fire_run() { # $1 = label, $2 = connections, $3 = count of missions, $4 = output file, [$5 = paced rate/s]
  drain
  local t=$THREADS
  [ "$2" -lt "$t" ] && t=$2
  BENCH_FIRE_RATE=${5:-} wrk -t"$t" -c"$2" -d"${DURATION}s" --latency -s scripts/bench-fire.lua "$BASE/api/fire" \
    -- "$TMP/missions.txt" "$OFFSET" "$3" "$t" > "$4"
  summarize "$1" "$4"
  local fresh dup
  fresh=$(awk '/^status 202/ {print $3}' "$4"); fresh=${fresh:-0}
  dup=$(awk '/^status 200/ {print $3}' "$4"); dup=${dup:-0}
  awk -v f="$fresh" -v d="$DURATION" 'BEGIN {printf "%.1f\n", f / d}' > "$4.fresh"
  echo "   fresh (202): $fresh = $(cat "$4.fresh")/s, duplicates (200): $dup$([ "$dup" -gt 0 ] && [ "$fresh" -gt 1 ] && echo '  <- slice ran out: not a clean fresh-fire run')"
  OFFSET=$(( OFFSET + $3 ))
}
fire_run "POST /api/fire fresh (c=$CONNECTIONS)" "$CONNECTIONS" "$SLICE" "$TMP/peak.txt"
PEAK=$(cat "$TMP/peak.txt.fresh")
HEALTHZ=$(cat "$TMP/healthz.txt.rps")
echo "   fire/healthz throughput ratio: $(awk -v a="$PEAK" -v b="$HEALTHZ" 'BEGIN {printf "%.1f%%", 100*a/b}') (fresh fires/s over /healthz req/s; target >= 25%)"
# Duplicates: missions the peak run fired, again (all answered 200 from memory, no commit).
FRESH=$(awk '/^status 202/ {print $3}' "$TMP/peak.txt")
SAVED=$OFFSET; OFFSET=0
DUPS=$(( ${FRESH:-0} * 9 / 10 ))
[ "$DUPS" -ge "$THREADS" ] || DUPS=$THREADS
fire_run "POST /api/fire duplicates (c=$CONNECTIONS)" "$CONNECTIONS" "$DUPS" "$TMP/dup.txt"
OFFSET=$SAVED

# Half the peak rate, offered open-loop: scripts/bench-fire.lua's paced mode sends PEAK/2 requests
# per second on a fixed schedule over PACED_CONNECTIONS connections, so the p99 is the answer time at
# that rate. (A closed loop with fewer connections measures its own queueing instead: each
# connection waits for its answer before the next request.) A quarter of the peak shows the curve.
PACED_CONNECTIONS=${PACED_CONNECTIONS:-64}
for share in 2 4; do
  [ $(( OFFSET + SLICE )) -le "$TOTAL" ] || { echo "   no missions left for the paced runs (raise MISSIONS)"; break; }
  RATE=$(awk -v p="$PEAK" -v s="$share" 'BEGIN {printf "%d", p / s}')
  [ "$RATE" -gt 0 ] || break
  fire_run "POST /api/fire fresh, paced $RATE/s (c=$PACED_CONNECTIONS)" "$PACED_CONNECTIONS" "$SLICE" "$TMP/paced-$share.txt" "$RATE"
  [ "$share" = 2 ] && echo "   at half the peak ($RATE/s offered, $(cat "$TMP/paced-$share.txt.fresh")/s answered 202): p99 $(awk '$1=="99%" {print $2}' "$TMP/paced-$share.txt") (target <= 5 ms)"
done
curl -fsS "$BASE/metrics" | grep -E '^bitten_(fires_total|store_batch_works_(sum|count)|store_commits_total|store_wal_frames_total|store_(commit|batch)_seconds_(sum|count)|fire_latency_seconds_(sum|count))' || true
# CPU per accepted fire, by server thread (utime + stime over the whole run, from /proc): less
# noisy than the rates on a shared machine, and comparable between builds. The writer and the core
# see only fresh fires (duplicates are answered from memory); the io threads also parse every
# duplicate and /healthz request.
ACCEPTED=$(curl -fsS "$BASE/metrics" | awk '/^bitten_fires_total\{outcome="accepted"\}/ {print $2}')
TICK=$(getconf CLK_TCK)
for t in /proc/"$SERVER"/task/*; do
  read -r line < "$t/stat" || continue
  set -- ${line##*) }
  echo "$(cat "$t/comm") $(( ${12} + ${13} ))"
done | awk -v n="${ACCEPTED:-0}" -v hz="$TICK" '{c[$1] += $2; all += $2}
  END {if (n > 0) {printf "   server CPU per accepted fire (%d fires): %.3f ms;", n, all * 1000 / hz / n;
       for (k in c) if (c[k] * 1000 / hz / n >= 0.005) printf " %s %.3f", k, c[k] * 1000 / hz / n; print " ms"}}'
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true

if [ "${SKIP_MEMORY:-0}" != 1 ]; then
  # MEM_USERS (default 1,000,000) users with no mission, then the same users with one pending
  # mission each (what the core holds after one signal fanned out to every user: bench_seed writes
  # the missions as the fan-out would; the server loads them as live missions at startup), against
  # the same server on an empty store. VmRSS once /healthz answers (after recovery) and VmHWM (peak).
  MEM_USERS=${MEM_USERS:-1000000}
  echo "== memory: bitten serve, empty store (reference) vs $MEM_USERS users, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  mem() { awk '/VmRSS|VmHWM/ {printf "%s %s kB  ", $1, $2}' "/proc/$1/status"; }
  for run in "0 0" "$MEM_USERS 0" "$MEM_USERS 1"; do
    set -- $run
    rm -f "$TMP/mem.db"*
    if [ "$1" -gt 0 ]; then
      /usr/bin/time -f "   seeding $1 users x $2 missions: %e s" "$SEED" --db "$TMP/mem.db" --users "$1" --missions "$2" --terminal t --terminals "$TERMINALS"
    fi
    write_config "$TMP/mem.db"
    START=$(date +%s.%N)
    "$BITTEN" serve --config "$TMP/bitten.toml" > "$TMP/server-mem.log" 2>&1 &
    S=$!
    PIDS+=("$S")
    wait_up 600
    UP=$(awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN {printf "%.2f", e - s}')
    sleep 1
    echo "   users=$1 missions/user=$2: $(mem "$S")(up in ${UP}s, load $(cut -d' ' -f1 /proc/loadavg))"
    kill "$S"; wait "$S" 2>/dev/null || true
  done
fi
