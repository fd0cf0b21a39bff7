#!/usr/bin/env bash
# A local PushService cluster without Docker: the topology of deploy/docker-compose.yml
# (redis-server, N nodes, nginx running deploy/nginx/pushservice.conf) as plain processes on
# loopback ports. Everything it starts, logs and generates lives in one folder.
#
#   deploy/local/cluster.sh up [--aof]   start what is not running (builds the service in Release if needed)
#   deploy/local/cluster.sh status       each process: pid, alive, ready
#   deploy/local/cluster.sh down         stop exactly what "up" started (SIGTERM, then SIGKILL after a bound)
#   deploy/local/cluster.sh node stop|kill|start N
#                                        node N: SIGTERM (it drains) | SIGKILL | start it again on its port
#   deploy/local/cluster.sh redis stop|kill|start|pause|resume
#                                        redis-server: SIGTERM | SIGKILL | start | SIGSTOP | SIGCONT
#
# Settings (environment):
#   CLUSTER_DIR        state folder: pid files, logs, keys       (default: <repo>/.cluster)
#   CLUSTER_NODES      number of nodes                           (default: 3)
#   CLUSTER_PORT       nginx port; clients and publishers use it (default: 8080)
#   CLUSTER_NODE_PORT  first node's port, then +1 per node       (default: 5081)
#   CLUSTER_REDIS_PORT redis-server port                         (default: 6380)
#   CLUSTER_REDIS_OPTIONS  appended to the nodes' Push__Redis    (default: abortConnect=false)
#   CLUSTER_AOF=1      redis-server keeps an append-only file in CLUSTER_DIR (same as --aof);
#                      CLUSTER_AOF=always fsyncs every write
#   CLUSTER_STOP_TIMEOUT seconds a stop waits after SIGTERM before SIGKILL (default: 40)
#   CLUSTER_DLL        the PushService.dll to run (default: the Release build, built if missing)
#   Push__*, Logging__*  passed to every node (Push__Drain__Timeout, Push__History__Size...)
# All of these are fixed by the first "up" (kept in CLUSTER_DIR/cluster.env and nodes.env) until "down".
# CLUSTER_DIR holds <name>.pid and <name>.log for redis, node1..N and nginx, nginx-access.log,
# the rendered nginx config and secrets.env (the keys; a secrets.env made beforehand is used as it is).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="${CLUSTER_DIR:-$repo/.cluster}"
dll="${CLUSTER_DLL:-$repo/src/PushService/bin/Release/net10.0/PushService.dll}"
template="$repo/deploy/nginx/pushservice.conf"
stop_timeout="${CLUSTER_STOP_TIMEOUT:-40}"

die() {
  echo "cluster.sh: $*" >&2
  exit 1
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit "${1:-0}"
}

# --- state --------------------------------------------------------------------------------

load_settings() {
  if [ -f "$dir/cluster.env" ]; then
    # shellcheck source=/dev/null
    . "$dir/cluster.env"
  else
    nodes="${CLUSTER_NODES:-3}"
    port="${CLUSTER_PORT:-8080}"
    node_port="${CLUSTER_NODE_PORT:-5081}"
    redis_port="${CLUSTER_REDIS_PORT:-6380}"
    redis_options="${CLUSTER_REDIS_OPTIONS:-abortConnect=false}"
    aof="${CLUSTER_AOF:-0}"
  fi
  [[ "$nodes" =~ ^[1-9][0-9]*$ ]] || die "CLUSTER_NODES must be a positive number, not '$nodes'"
  [[ "$aof" =~ ^(0|1|always)$ ]] || die "CLUSTER_AOF must be 0, 1 or always, not '$aof'"
  for p in "$port" "$node_port" "$redis_port"; do
    if ! [[ "$p" =~ ^[0-9]+$ ]] || [ "$p" -lt 1 ] || [ "$p" -gt 65535 ]; then
      die "'$p' is not a port"
    fi
  done
}

# Kept until "down", so that a node started again later gets the same ports and settings.
save_settings() {
  printf 'nodes=%q\nport=%q\nnode_port=%q\nredis_port=%q\nredis_options=%q\naof=%q\ndll=%q\n' \
    "$nodes" "$port" "$node_port" "$redis_port" "$redis_options" "$aof" "$dll" >"$dir/cluster.env"
  local name
  (
    umask 077
    for name in $(compgen -e); do
      case "$name" in
        Push__* | Logging__*) printf '%s=%q\n' "$name" "${!name}" ;;
      esac
    done >"$dir/nodes.env"
  )
}

require_cluster() {
  [ -f "$dir/cluster.env" ] || die "no cluster in $dir (run: cluster.sh up)"
  load_settings
}

# The keys are made once, on the first "up", and kept (readable by this user only).
ensure_secrets() {
  if [ ! -f "$dir/secrets.env" ]; then
    (
      umask 077
      printf 'Push__ApiKeys__0__Name=local\nPush__ApiKeys__0__Key=%s\nPush__Jwt__SigningKey=%s\n' \
        "$(random_hex 24)" "$(random_hex 32)" >"$dir/secrets.env"
    )
    echo "cluster.sh: generated an API key and a JWT signing key in $dir/secrets.env"
  fi
}

random_hex() {
  od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

# A key as the nodes see it: secrets.env, overridden by a Push__ setting given to "up".
secret() {
  (
    # shellcheck source=/dev/null
    . "$dir/secrets.env"
    # shellcheck source=/dev/null
    [ ! -f "$dir/nodes.env" ] || . "$dir/nodes.env"
    echo "${!1:-}"
  )
}

# --- processes ----------------------------------------------------------------------------

# The recorded PID, if that process still runs and is the program it was started as
# (a PID reused by something else is never signalled; a zombie has no command line).
live_pid() {
  local name="$1" program="$2" pid
  [ -f "$dir/$name.pid" ] || return 1
  pid="$(cat "$dir/$name.pid")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$program" || return 1
  echo "$pid"
}

# Waits up to $3 seconds for the process to be gone; false if it is still there.
wait_gone() {
  local name="$1" program="$2" tries=$(($3 * 10))
  while live_pid "$name" "$program" >/dev/null; do
    [ "$tries" -gt 0 ] || return 1
    sleep 0.1
    tries=$((tries - 1))
  done
}

# SIGTERM, then SIGKILL after CLUSTER_STOP_TIMEOUT (and then false: it did not stop by itself).
stop_process() {
  local name="$1" program="$2" pid started=$SECONDS forced=0
  if pid="$(live_pid "$name" "$program")"; then
    kill -TERM "$pid" 2>/dev/null || true
    # A paused process (redis pause) handles the SIGTERM only once it runs again.
    kill -CONT "$pid" 2>/dev/null || true
    if ! wait_gone "$name" "$program" "$stop_timeout"; then
      echo "cluster.sh: $name (pid $pid) still runs ${stop_timeout} s after SIGTERM: SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      wait_gone "$name" "$program" 10 || die "$name (pid $pid) survived SIGKILL"
      forced=1
    fi
    echo "stopped $name (pid $pid, $((SECONDS - started)) s)"
  fi
  rm -f "$dir/$name.pid"
  [ "$forced" = 0 ]
}

kill_process() {
  local name="$1" program="$2" pid
  if pid="$(live_pid "$name" "$program")"; then
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$name" "$program" 10 || die "$name (pid $pid) survived SIGKILL"
    echo "killed $name (pid $pid)"
  else
    echo "$name is not running"
  fi
  rm -f "$dir/$name.pid"
}

signal_process() {
  local name="$1" program="$2" signal="$3" pid
  pid="$(live_pid "$name" "$program")" || die "$name is not running"
  kill "-$signal" "$pid"
  echo "sent SIG$signal to $name (pid $pid)"
}

# Whether the process runs (not a zombie: that has no command line). Unlike live_pid, true
# also while a node's shell is still on its way to exec dotnet.
running() {
  local cmdline
  cmdline="$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)" || return 1
  [ -n "$cmdline" ]
}

# Polls until the check passes; fails early when the process it waits for died.
wait_until() {
  local what="$1" name="$2" seconds="$3"
  shift 3
  local tries=$((seconds * 10))
  until "$@"; do
    running "$(cat "$dir/$name.pid")" \
      || die "$what exited while starting; the end of $dir/$name.log:$(printf '\n')$(tail -n 15 "$dir/$name.log" 2>/dev/null)"
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || die "$what did not come up within $seconds s (logs: $dir)"
    sleep 0.1
  done
}

redis_answers() {
  [ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" = "PONG" ]
}

http_status() {
  curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null || true
}

ready() {
  [ "$(http_status "$1/healthz/ready")" = "200" ]
}

node_url() {
  echo "http://127.0.0.1:$((node_port + $1 - 1))"
}

start_redis() {
  local pid
  if pid="$(live_pid redis redis-server)"; then
    echo "redis already running (pid $pid)"
    return
  fi
  command -v redis-server >/dev/null || die "redis-server is not installed (apt-get install redis-server)"
  local persistence=(--save "" --appendonly no)
  [ "$aof" = "1" ] && persistence=(--save "" --appendonly yes --appendfsync everysec)
  [ "$aof" = "always" ] && persistence=(--save "" --appendonly yes --appendfsync always)
  nohup redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$dir" "${persistence[@]}" \
    >>"$dir/redis.log" 2>&1 &
  echo $! >"$dir/redis.pid"
  wait_until "redis-server on port $redis_port" redis 10 redis_answers
  echo "started redis (pid $(cat "$dir/redis.pid"), 127.0.0.1:$redis_port$([ "$aof" != "0" ] && echo ", AOF in $dir"))"
}

start_node() {
  local i="$1" url pid
  url="$(node_url "$i")"
  if pid="$(live_pid "node$i" PushService.dll)"; then
    echo "node$i already running (pid $pid)"
    return
  fi
  [ -f "$dll" ] || die "$dll does not exist (build it, or set CLUSTER_DLL before the first up)"
  (
    # Only the settings "up" recorded: every node of the cluster gets the same ones.
    while read -r name; do unset "$name"; done < <(compgen -e | grep -E '^(Push__|Logging__)')
    # One line per event with its time, so that the logs of the folder line up.
    export Logging__Console__FormatterName=simple Logging__Console__FormatterOptions__SingleLine=true \
      Logging__Console__FormatterOptions__TimestampFormat="HH:mm:ss.fff " Logging__Console__FormatterOptions__ColorBehavior=Disabled
    set -a
    # shellcheck source=/dev/null
    . "$dir/secrets.env"
    # shellcheck source=/dev/null
    [ ! -f "$dir/nodes.env" ] || . "$dir/nodes.env"
    set +a
    export ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS="$url" \
      Push__NodeId="node$i" Push__Redis="127.0.0.1:$redis_port,$redis_options"
    cd "$(dirname "$dll")"
    exec nohup dotnet "$dll" >>"$dir/node$i.log" 2>&1
  ) &
  echo $! >"$dir/node$i.pid"
}

wait_node_ready() {
  wait_until "node$1 ($(node_url "$1"))" "node$1" 60 ready "$(node_url "$1")"
  echo "node$1 ready (pid $(cat "$dir/node$1.pid"), $(node_url "$1"))"
}

# deploy/nginx/pushservice.conf with its example upstream servers replaced by the nodes (keeping
# the first one's parameters), "listen 80" by the loopback port and the access log's path by
# CLUSTER_DIR/nginx-access.log.
render_nginx() {
  local servers=() i
  for ((i = 1; i <= nodes; i++)); do
    servers+=("127.0.0.1:$((node_port + i - 1))")
  done
  awk -v servers="${servers[*]}" -v port="$port" -v accesslog="$dir/nginx-access.log" '
    /^[ \t]*server[ \t]+[^ \t;]+:[0-9]+[^;]*;[ \t]*$/ {
      if (!done) {
        match($0, /^[ \t]*/); indent = substr($0, 1, RLENGTH)
        params = $0; sub(/^[ \t]*server[ \t]+[^ \t;]+/, "", params); sub(/;[ \t]*$/, "", params)
        n = split(servers, list, " ")
        for (k = 1; k <= n; k++) print indent "server " list[k] params ";"
        done = 1
      }
      next
    }
    /^[ \t]*listen[ \t]+80;/ { sub(/listen[ \t]+80;/, "listen 127.0.0.1:" port ";") }
    /^[ \t]*access_log[ \t]+/ { sub(/access_log[ \t]+[^ \t;]+/, "access_log " accesslog) }
    { print }' "$template" >"$dir/nginx/pushservice.conf"
  grep -q "listen 127.0.0.1:$port;" "$dir/nginx/pushservice.conf" \
    || die "$template has no 'listen 80;' line any more; update render_nginx"
  cat >"$dir/nginx/nginx.conf" <<EOF
# Generated by deploy/local/cluster.sh around deploy/nginx/pushservice.conf.
worker_processes 1;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx.log notice;
events {
    worker_connections 4096;
}
http {
    # Paths only: hub URLs carry the subscriber's token in ?access_token=...
    log_format push '\$remote_addr [\$time_local] "\$request_method \$uri" \$status \$request_time upstream=\$upstream_addr';
    access_log $dir/nginx-access.log push;
    client_body_temp_path $dir/nginx/client_body;
    proxy_temp_path $dir/nginx/proxy;
    fastcgi_temp_path $dir/nginx/fastcgi;
    uwsgi_temp_path $dir/nginx/uwsgi;
    scgi_temp_path $dir/nginx/scgi;
    # Local only (it names the backends): which node answered, e.g. to see stickiness at work.
    add_header X-Push-Upstream \$upstream_addr always;
    include $dir/nginx/pushservice.conf;
}
EOF
}

find_nginx() {
  command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || die "nginx is not installed (apt-get install nginx)"
}

start_nginx() {
  local binary pid
  if pid="$(live_pid nginx nginx)"; then
    echo "nginx already running (pid $pid)"
    return
  fi
  binary="$(find_nginx)"
  mkdir -p "$dir/nginx"
  # nginx's workers may run as another user (nobody when started as root): let them in.
  chmod 755 "$dir" "$dir/nginx"
  render_nginx
  "$binary" -t -q -p "$dir/nginx/" -c "$dir/nginx/nginx.conf" 2>>"$dir/nginx.log" || die "nginx rejected its config (see $dir/nginx.log)"
  nohup "$binary" -p "$dir/nginx/" -c "$dir/nginx/nginx.conf" -g "daemon off;" >>"$dir/nginx.log" 2>&1 &
  echo $! >"$dir/nginx.pid"
  wait_until "nginx on port $port" nginx 10 ready "http://127.0.0.1:$port"
  echo "started nginx (pid $(cat "$dir/nginx.pid"), http://127.0.0.1:$port)"
}

# --- commands -----------------------------------------------------------------------------

up() {
  command -v curl >/dev/null || die "curl is not installed (apt-get install curl): readiness is checked with it"
  mkdir -p "$dir"
  if [ ! -f "$dir/cluster.env" ]; then
    load_settings
    save_settings
  fi
  load_settings
  ensure_secrets
  if [ ! -f "$dll" ]; then
    echo "cluster.sh: building the service (dotnet build -c Release src/PushService)"
    dotnet build -c Release "$repo/src/PushService" -v quiet -nologo >"$dir/build.log" 2>&1 \
      || die "the build failed (see $dir/build.log)"
  fi
  start_redis
  local i
  for ((i = 1; i <= nodes; i++)); do
    start_node "$i"
  done
  for ((i = 1; i <= nodes; i++)); do
    wait_node_ready "$i"
  done
  start_nginx
  cat <<EOF

PushService cluster up: http://127.0.0.1:$port (nginx) in front of $nodes nodes; state and logs in $dir
  API key (X-Api-Key):   $(secret Push__ApiKeys__0__Key)
  JWT signing key (HS256): $(secret Push__Jwt__SigningKey)
Try:
  curl -s http://127.0.0.1:$port/api/v1/notifications -H 'X-Api-Key: $(secret Push__ApiKeys__0__Key)' \\
       -H 'Content-Type: application/json' -d '{"type":"hello","broadcast":true}'
EOF
}

status() {
  if [ ! -f "$dir/cluster.env" ]; then
    echo "no cluster in $dir"
    return
  fi
  load_settings
  local pid alive health i
  printf '%-7s %-8s %-6s %s\n' NAME PID ALIVE READY
  row() {
    if pid="$(live_pid "$1" "$2")"; then alive=yes; else pid="$(cat "$dir/$1.pid" 2>/dev/null || echo -)" alive=no health=-; fi
    printf '%-7s %-8s %-6s %s\n' "$1" "$pid" "$alive" "$health"
  }
  health="$(redis_answers && echo "PONG (127.0.0.1:$redis_port)" || echo "no answer (127.0.0.1:$redis_port)")"
  row redis redis-server
  for ((i = 1; i <= nodes; i++)); do
    health="/healthz/ready $(http_status "$(node_url "$i")/healthz/ready") ($(node_url "$i"))"
    row "node$i" PushService.dll
  done
  health="/healthz/ready $(http_status "http://127.0.0.1:$port/healthz/ready") (http://127.0.0.1:$port)"
  row nginx nginx
}

down() {
  if [ ! -d "$dir" ]; then
    return
  fi
  local pidfile name
  stop_process nginx nginx || true
  # Nodes drain in parallel (each within Push:Drain:Timeout), then Redis goes.
  for pidfile in "$dir"/node*.pid; do
    [ -e "$pidfile" ] || continue
    name="$(basename "$pidfile" .pid)"
    stop_process "$name" PushService.dll &
  done
  wait || true
  stop_process redis redis-server || true
  rm -f "$dir/cluster.env" "$dir/nodes.env"
  echo "cluster down (keys and logs kept in $dir)"
}

node_command() {
  local action="${1:-}" i="${2:-}"
  require_cluster
  if ! [[ "$i" =~ ^[1-9][0-9]*$ ]] || [ "$i" -gt "$nodes" ]; then
    die "no node '$i' (this cluster has nodes 1 to $nodes)"
  fi
  case "$action" in
    stop) stop_process "node$i" PushService.dll || die "node$i did not exit within ${stop_timeout} s of SIGTERM" ;;
    kill) kill_process "node$i" PushService.dll ;;
    start)
      start_node "$i"
      wait_node_ready "$i"
      ;;
    *) usage 2 ;;
  esac
}

redis_command() {
  require_cluster
  case "${1:-}" in
    stop) stop_process redis redis-server || die "redis did not exit within ${stop_timeout} s of SIGTERM" ;;
    kill) kill_process redis redis-server ;;
    start) start_redis ;;
    pause) signal_process redis redis-server STOP ;;
    resume) signal_process redis redis-server CONT ;;
    *) usage 2 ;;
  esac
}

command="${1:-}"
shift || true
case "$command" in
  up)
    for argument in "$@"; do
      case "$argument" in
        --aof) export CLUSTER_AOF="${CLUSTER_AOF:-1}" ;;
        *) usage 2 ;;
      esac
    done
    up
    ;;
  status) status ;;
  down) down ;;
  node) node_command "$@" ;;
  redis) redis_command "$@" ;;
  -h | --help | help) usage 0 ;;
  *) usage 2 ;;
esac
