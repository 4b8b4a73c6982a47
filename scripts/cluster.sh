#!/usr/bin/env bash
# A three-node RabbitMQ cluster on loopback for development and the cluster chaos tests, run from the
# installed rabbitmq-server beside (never instead of) the machine's own broker:
#
#   scripts/cluster.sh up            start the nodes that are down, join them, enable the plugins
#   scripts/cluster.sh down          stop every node and remove everything this script made
#   scripts/cluster.sh kill-node N   kill -9 node N (1-3), as a crash would
#   scripts/cluster.sh start-node N  start node N again; it rejoins the cluster from its data directory
#   scripts/cluster.sh status        the nodes, which are running, and the URLs to give waggle
#   scripts/cluster.sh urls          the WAGGLE_AMQP_URL and WAGGLE_MANAGEMENT_URL lists, as shell assignments
#
# Node N is waggle-cN@localhost with AMQP on 5680+N, distribution on 25680+N and management on 15680+N
# (WAGGLE_CLUSTER_BASE_PORT moves all three ranges: AMQP base+N, distribution base+20000+N, management
# base+10000+N). Everything lives under WAGGLE_CLUSTER_DIR (default .cluster/ in the repository, ignored by
# git): per node its rabbitmq.conf, enabled plugins, data and logs, and one HOME whose .erlang.cookie all
# three nodes and rabbitmqctl share. Safe to run again: `up` leaves running nodes alone.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${WAGGLE_CLUSTER_DIR:-$here/.cluster}"
BASE="${WAGGLE_CLUSTER_BASE_PORT:-5680}"
NODES=(1 2 3)
PLUGINS="rabbitmq_consistent_hash_exchange,rabbitmq_management"
RABBIT_BIN="${RABBITMQ_BIN_DIR:-/usr/lib/rabbitmq/bin}"

say() { echo "cluster: $*" >&2; }
node_name() { echo "waggle-c$1@localhost"; }
amqp_port() { echo $((BASE + $1)); }
dist_port() { echo $((BASE + 20000 + $1)); }
mgmt_port() { echo $((BASE + 10000 + $1)); }
node_dir() { echo "$DIR/node$1"; }
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The installed server, or apt-get's on a fresh Debian machine (as scripts/services.sh installs it).
ensure_installed() {
  [[ -x "$RABBIT_BIN/rabbitmq-server" ]] && return 0
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing rabbitmq-server with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
    # The package starts the machine's own broker; the cluster needs only its programs.
  fi
  [[ -x "$RABBIT_BIN/rabbitmq-server" ]] || {
    say "no rabbitmq-server in $RABBIT_BIN: install it (apt-get install rabbitmq-server) or set RABBITMQ_BIN_DIR"
    exit 1
  }
}

# Runs a RabbitMQ program for node N with that node's environment: its own files, the shared cookie.
rabbit() {
  local n=$1 program=$2; shift 2
  local d; d=$(node_dir "$n")
  env HOME="$DIR/home" \
    RABBITMQ_NODENAME="$(node_name "$n")" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$(amqp_port "$n")" \
    RABBITMQ_DIST_PORT="$(dist_port "$n")" \
    RABBITMQ_CONF_ENV_FILE="$DIR/rabbitmq-env.conf" \
    RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$d/advanced.config" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$d/data" \
    RABBITMQ_LOG_BASE="$d/log" \
    RABBITMQ_PID_FILE="$d/pid" \
    ERL_EPMD_ADDRESS=127.0.0.1 \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    "$RABBIT_BIN/$program" "$@"
}

ctl() { local n=$1; shift; rabbit "$n" rabbitmqctl -n "$(node_name "$n")" "$@"; }

write_files() {
  mkdir -p "$DIR/home"
  if [[ ! -f "$DIR/home/.erlang.cookie" ]]; then
    # One cookie for the three nodes and for rabbitmqctl; Erlang refuses a cookie others can read.
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DIR/home/.erlang.cookie"
    chmod 400 "$DIR/home/.erlang.cookie"
  fi
  : >"$DIR/rabbitmq-env.conf" # keeps /etc/rabbitmq/rabbitmq-env.conf (the machine broker's) out
  local n d
  for n in "${NODES[@]}"; do
    d=$(node_dir "$n")
    mkdir -p "$d/data" "$d/log"
    cat >"$d/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$(amqp_port "$n")
management.tcp.ip = 127.0.0.1
management.tcp.port = $(mgmt_port "$n")
loopback_users = none
cluster_formation.peer_discovery_backend = classic_config
cluster_formation.classic_config.nodes.1 = $(node_name 1)
cluster_formation.classic_config.nodes.2 = $(node_name 2)
cluster_formation.classic_config.nodes.3 = $(node_name 3)
cluster_formation.randomized_startup_delay_range.min = 0
cluster_formation.randomized_startup_delay_range.max = 1
EOF
    echo "[]." >"$d/advanced.config"
    echo "[${PLUGINS}]." >"$d/enabled_plugins"
  done
}

is_running() { local pid; pid=$(cat "$(node_dir "$1")/pid" 2>/dev/null) && kill -0 "$pid" 2>/dev/null; }

# Starts node N in the background unless it runs; `await_node N` then waits for it to boot.
launch_node() {
  local n=$1
  if is_running "$n" && answers "$(amqp_port "$n")"; then return 0; fi
  say "starting $(node_name "$n") (AMQP $(amqp_port "$n"), management $(mgmt_port "$n"))"
  rm -f "$(node_dir "$n")/pid"
  rabbit "$n" rabbitmq-server -detached
}

await_node() {
  local n=$1 i
  for ((i = 0; i < 240; i++)); do [[ -s "$(node_dir "$n")/pid" ]] && break; sleep 0.5; done
  ctl "$n" await_startup --timeout 120 >/dev/null 2>&1 || {
    say "$(node_name "$n") did not start; its log: $(node_dir "$n")/log"
    return 1
  }
}

members_of() { ctl "$1" cluster_status --formatter json 2>/dev/null | tr -d ' \n' | grep -o '"disk_nodes":\[[^]]*\]' || true; }

join_node() {
  local n=$1 seed; seed=$(node_name 1)
  say "joining $(node_name "$n") to $seed"
  # rabbitmqctl logs the joining node's restart on stderr; only its exit status matters here.
  ctl "$n" stop_app >/dev/null 2>&1
  ctl "$n" reset >/dev/null 2>&1
  ctl "$n" join_cluster "$seed" >/dev/null 2>&1
  ctl "$n" start_app >/dev/null 2>&1
  ctl "$n" await_startup --timeout 120 >/dev/null 2>&1
}

wait_management() {
  local n=$1 i
  for ((i = 0; i < 120; i++)); do answers "$(mgmt_port "$n")" && return 0; sleep 0.5; done
  say "management of $(node_name "$n") does not answer on $(mgmt_port "$n")"
  return 1
}

urls() {
  local n amqp="" mgmt=""
  for n in "${NODES[@]}"; do
    amqp="${amqp:+$amqp,}amqp://guest:guest@127.0.0.1:$(amqp_port "$n")"
    mgmt="${mgmt:+$mgmt,}http://guest:guest@127.0.0.1:$(mgmt_port "$n")"
  done
  echo "WAGGLE_AMQP_URL=$amqp"
  echo "WAGGLE_MANAGEMENT_URL=$mgmt"
}

check_node_arg() {
  [[ "${1:-}" =~ ^[123]$ ]] || { say "node number must be 1, 2 or 3 (got '${1:-}')"; exit 2; }
}

up() {
  ensure_installed
  write_files
  local n
  # Peer discovery (classic config) joins a booting node to the first listed node that runs, so node 1 boots
  # first and the other two join it side by side; join_cluster catches a node that booted on its own.
  launch_node 1
  await_node 1
  for n in "${NODES[@]:1}"; do launch_node "$n"; done
  for n in "${NODES[@]:1}"; do await_node "$n"; done
  local members; members=$(members_of 1)
  for n in "${NODES[@]:1}"; do
    grep -q "\"$(node_name "$n")\"" <<<"$members" || join_node "$n"
  done
  for n in "${NODES[@]}"; do wait_management "$n"; done
  say "up: $(members_of 1)"
  urls
}

down() {
  local n pid pids="" i
  for n in "${NODES[@]}"; do
    pid=$(cat "$(node_dir "$n")/pid" 2>/dev/null || true)
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      # SIGTERM is the Erlang VM's orderly stop; the data goes with it, so a node slow to stop is killed.
      say "stopping $(node_name "$n")"
      kill -TERM "$pid" 2>/dev/null || true
      pids="$pids $pid"
    fi
  done
  for pid in $pids; do
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$DIR"
}

kill_node() {
  check_node_arg "$1"
  local pid; pid=$(cat "$(node_dir "$1")/pid" 2>/dev/null || true)
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    say "kill -9 $(node_name "$1") (pid $pid)"
    kill -9 "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
}

status() {
  local n state
  for n in "${NODES[@]}"; do
    if is_running "$n"; then state=running; else state=down; fi
    echo "$(node_name "$n") $state amqp=$(amqp_port "$n") dist=$(dist_port "$n") management=$(mgmt_port "$n")"
  done
  urls
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  kill-node) kill_node "${2:-}" ;;
  start-node)
    check_node_arg "${2:-}"
    ensure_installed
    launch_node "$2"
    await_node "$2"
    wait_management "$2"
    ;;
  status) status ;;
  urls) urls ;;
  *)
    echo "usage: $0 up|down|kill-node N|start-node N|status|urls" >&2
    exit 2
    ;;
esac
