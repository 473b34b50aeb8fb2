#!/usr/bin/env bash
# Alert fan-out benchmark (docs/performance.md "Telegram fan-out"): starts the telegram-test-api
# emulator (tests/unit/telegram/emulator.cjs) on a free port, runs bench/telegram_fanout_bench
# against it, and stops the emulator. Usage:
#   scripts/bench-telegram.sh [BUILD_DIR] [USERS]      (defaults: build/default, 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/default}"
users="${2:-10000}"
bin="$build/bench/telegram_fanout_bench"
[[ -x "$bin" ]] || { echo "bench-telegram: $bin not built (cmake --build $build --target telegram_fanout_bench)" >&2; exit 1; }
tmp="$(mktemp -d)"
mkfifo "$tmp/stdin"
exec 3<>"$tmp/stdin"  # the emulator exits when its stdin closes: hold it open until we exit
node tests/unit/telegram/emulator.cjs <"$tmp/stdin" >"$tmp/stdout" &
emu_pid=$!
trap 'kill "$emu_pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
port=""
for _ in $(seq 100); do
  port="$(sed -n 's/^READY \([0-9]*\)$/\1/p' "$tmp/stdout")"
  [[ -n "$port" ]] && break
  sleep 0.1
done
[[ -n "$port" ]] || { echo "bench-telegram: emulator did not start" >&2; exit 1; }
echo "emulator on port $port; fan-out to $users users"
BITTEN_TG_URL="http://127.0.0.1:$port" BITTEN_FANOUT_USERS="$users" "$bin" --benchmark_counters_tabular=true
