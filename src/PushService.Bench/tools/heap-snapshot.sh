#!/usr/bin/env bash
# Records a heap snapshot of a running .NET process (e.g. a node during `bench connections`) and
# sums it by type. Needs dotnet-trace (`dotnet tool install -g dotnet-trace`).
# Usage: heap-snapshot.sh <pid> [objects-to-divide-by, e.g. the connection count]
set -euo pipefail
pid=$1 per=${2:-0}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)/heap.nettrace
# GC (0x1) | Type (0x80000) | GCHeapDump (0x100000) | GCHeapCollect (0x800000) | GCHeapAndTypeNames
# (0x1000000), verbose: the runtime collects and walks the heap once, as dotnet-gcdump does.
"${DOTNET_TRACE:-$HOME/.dotnet/tools/dotnet-trace}" collect -p "$pid" \
  --providers "Microsoft-Windows-DotNETRuntime:0x1980001:5" --duration 00:00:00:15 -o "$out" >/dev/null
dotnet run "$here/heap-summary.cs" -- "$out" 40 "$per"
