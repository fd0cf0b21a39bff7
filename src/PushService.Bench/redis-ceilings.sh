#!/usr/bin/env bash
# The Redis ceilings of BENCHMARKS.md: PUBLISH, XADD, and PushService's own append script
# (EVALSHA, as StackExchange.Redis sends it), pipelined (-P 16) and not (-c 50), each with the
# redis-server CPU per operation read from /proc. Starts its own redis-server on a free loopback
# port without persistence and kills it (by PID) at the end. `redis-benchmark -t publish` is a
# no-op on Redis 7, hence the explicit commands.
set -euo pipefail
cd "$(dirname "$0")/../.."

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" --loglevel warning >/dev/null &
pid=$!
trap 'kill "$pid"; rm -rf "$dir"' EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done

# The append script exactly as the service runs it: Position + Append from RedisHistoryScripts.cs.
script=$(python3 - <<'PY'
import re, textwrap
s = open("src/PushService/History/RedisHistoryScripts.cs").read()
position = re.search(r'private const string Position = """\n(.*?)\n\s*""";', s, re.S).group(1)
append = re.search(r'public const string Append = Position \+ """\n(.*?)\n\s*""";', s, re.S).group(1)
print(textwrap.dedent(position) + "\n" + textwrap.dedent(append))
PY
)
sha=$(redis-cli -p "$port" SCRIPT LOAD "$script")
payload='{"id":"0196f0d2-3c4e-7a51-9b1e-2f0c9d7e8a10","type":"bench","data":{"t":123456789012,"k":42},"createdAt":"2026-11-22T17:16:15.123Z"}'
cpu() { awk '{print $14+$15}' "/proc/$pid/stat"; }

echo "redis $(redis-server --version | grep -o 'v=[0-9.]*'), $(nproc) CPUs, $(uptime | sed 's/.*load/load/')"
run() { # name, requests, redis-benchmark arguments…
  local name=$1 n=$2; shift 2
  local c0; c0=$(cpu)
  local rate; rate=$(redis-benchmark -p "$port" -q -n "$n" "$@" 2>&1 | tr '\r' '\n' | grep -o '[0-9.]* requests per second' | tail -1)
  local c1; c1=$(cpu)
  printf '%-28s %28s   redis CPU %6.2f µs/op   (%s)\n' "$name" "$rate" "$(python3 -c "print(($c1-$c0)*1e4/$n)")" "$(uptime | sed 's/.*load average: //')"
}
run "PUBLISH -P 16" 400000 -P 16 PUBLISH ch "$payload"
run "PUBLISH -c 50" 200000 -c 50 PUBLISH ch "$payload"
run "XADD MAXLEN 1000 -P 16" 400000 -P 16 XADD '{s1}:log' MAXLEN 1000 '*' n "$payload"
run "XADD MAXLEN 1000 -c 50" 200000 -c 50 XADD '{s1}:log' MAXLEN 1000 '*' n "$payload"
# KEYS: meta, log, a fresh idempotency key; ARGV: epoch, MetaTtl, entry, Size, Ttl, IdempotencyWindow, createdAt.
run "EVALSHA append -P 16" 200000 -r 1000000000 -P 16 EVALSHA "$sha" 3 '{s2}:meta' '{s2}:log' '{s2}:id:__rand_int__' \
  epoch1 604800000 "$payload" 1000 86400000 86400000 638000000000000000
run "EVALSHA append -c 50" 100000 -r 1000000000 -c 50 EVALSHA "$sha" 3 '{s3}:meta' '{s3}:log' '{s3}:id:__rand_int__' \
  epoch1 604800000 "$payload" 1000 86400000 86400000 638000000000000000
