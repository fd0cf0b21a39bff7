#!/usr/bin/env bash
# Runs every test. Installs what the tests need first (redis-server, nginx, curl and chromium from Debian,
# the JavaScript client and the TypeScript SDK's packages from npm, and Node itself if absent) when
# missing, so a fresh Debian machine with the .NET SDK needs nothing else. CI runs this same script.
set -euo pipefail
cd "$(dirname "$0")"

packages=()
command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || packages+=(nginx)
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
command -v curl >/dev/null 2>&1 || packages+=(curl)   # deploy/local/cluster.sh's readiness checks
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || packages+=(chromium)
if ((${#packages[@]})); then
  echo "test.sh: installing ${packages[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

# The official JavaScript SignalR client for the cluster tests (tests/js-client), with the
# machine's Node and npm, pinned by its package-lock.json.
if [ ! -d tests/js-client/node_modules ]; then
  echo "test.sh: installing tests/js-client (npm ci)"
  npm ci --prefix tests/js-client --no-audit --no-fund >/dev/null
fi

# The TypeScript SDK (src/PushService.Client.TypeScript): TypeScript, SignalR and playwright-core,
# pinned by its package-lock.json.
sdk=src/PushService.Client.TypeScript
if [ ! -d "$sdk/node_modules" ]; then
  echo "test.sh: installing $sdk (npm ci)"
  npm ci --prefix "$sdk" --no-audit --no-fund >/dev/null
fi

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
status=0
# Two runs: the real-process suites (cluster, fault, bench smoke) load both cores with node
# processes, nginx and load generators, so they run after the in-process tests, not beside them.
heavy="FullyQualifiedName~PushService.Tests.Cluster|FullyQualifiedName~PushService.Tests.Bench"
dotnet build PushService.sln -v quiet -nologo
dotnet test PushService.sln --no-build --filter "FullyQualifiedName!~PushService.Tests.Cluster&FullyQualifiedName!~PushService.Tests.Bench" \
  --logger "console;verbosity=normal" --logger "trx;LogFileName=in-process.trx" --results-directory "$results" "$@" || status=$?
dotnet test PushService.sln --no-build --filter "$heavy" \
  --logger "console;verbosity=normal" --logger "trx;LogFileName=processes.trx" --results-directory "$results" "$@" || status=$?

# The TypeScript SDK's suites against real nodes, Redis and nginx, and the demo app in headless
# Chromium (they start the service from the build above). The TAP copy is counted below.
if npm run --prefix "$sdk" --silent build; then
  (cd "$sdk" && node --test --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$results/sdk.tap" test/unit/*.test.mjs test/sdk/*.test.mjs test/e2e/*.test.mjs) || status=$?
else
  echo "test.sh: the TypeScript SDK does not build" >&2
  status=1
fi

# One closing line for people and CI: "N passed, N failed".
passed=0 failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})) failed=$((failed + ${f:-0}))
done
for tap in "$results"/*.tap; do
  [ -f "$tap" ] || continue
  for counter in pass fail cancelled; do
    n=$(sed -n "s/^# $counter \([0-9]*\)$/\1/p" "$tap" | tail -n 1)
    if [ "$counter" = pass ]; then passed=$((passed + ${n:-0})); else failed=$((failed + ${n:-0})); fi
  done
done
echo
echo "tests: $passed passed, $failed failed"
if [ "$passed" -eq 0 ] && [ "$status" -eq 0 ]; then
  echo "test.sh: no test ran" >&2
  exit 1
fi
exit "$status"
