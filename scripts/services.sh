#!/usr/bin/env bash
# Makes RabbitMQ (with the consistent-hash and management plugins) and PostgreSQL reachable at the URLs
# waggle is configured with. In order: already answering → nothing to do; installed → start them;
# root on Debian/Ubuntu → apt-get install, then start; a Docker engine → docker compose up; else say what
# to install. Safe to run again; prints nothing when everything is already up.
set -euo pipefail

AMQP_URL="${WAGGLE_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}"
DATABASE_URL="${WAGGLE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/waggle}"
MANAGEMENT_URL="${WAGGLE_MANAGEMENT_URL:-http://guest:guest@127.0.0.1:15672}"
PLUGINS="rabbitmq_consistent_hash_exchange rabbitmq_management"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { echo "services: $*" >&2; }

# host and port out of scheme://user:pass@host:port/path
host_of() { local rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"; echo "${rest%%:*}"; }
port_of() {
  local rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"
  if [[ "$rest" == *:* ]]; then echo "${rest##*:}"; else echo "$2"; fi
}

AMQP_HOST=$(host_of "$AMQP_URL"); AMQP_PORT=$(port_of "$AMQP_URL" 5672)
PG_HOST=$(host_of "$DATABASE_URL"); PG_PORT=$(port_of "$DATABASE_URL" 5432)
MGMT_HOST=$(host_of "$MANAGEMENT_URL"); MGMT_PORT=$(port_of "$MANAGEMENT_URL" 15672)

answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
is_local() { [[ "$1" == "127.0.0.1" || "$1" == "localhost" || "$1" == "::1" ]]; }

wait_for() { # name host port seconds
  local i
  for ((i = 0; i < $4 * 2; i++)); do answers "$2" "$3" && return 0; sleep 0.5; done
  say "$1 does not answer on $2:$3 after $4 s"; return 1
}

rabbit_up() { answers "$AMQP_HOST" "$AMQP_PORT"; }
postgres_up() { answers "$PG_HOST" "$PG_PORT"; }

start_installed_rabbit() {
  command -v rabbitmq-server >/dev/null 2>&1 || return 1
  say "starting the installed RabbitMQ"
  if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
    systemctl start rabbitmq-server || rabbitmq-server -detached
  else
    rabbitmq-server -detached
  fi
  wait_for RabbitMQ "$AMQP_HOST" "$AMQP_PORT" 60
}

start_installed_postgres() {
  command -v pg_ctlcluster >/dev/null 2>&1 || return 1
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  [[ -n "$version" ]] || return 1
  say "starting the installed PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for PostgreSQL "$PG_HOST" "$PG_PORT" 30
}

apt_install() {
  [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1 || return 1
  say "installing $* with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

trust_local_postgres() {
  # A fresh Debian cluster only lets postgres in over the socket; waggle's default URL has no password.
  local version hba
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  [[ -w "$hba" ]] || return 0
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload || true
  fi
}

docker_up() {
  command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 || return 1
  say "starting rabbitmq and postgres with docker compose"
  (cd "$here" && docker compose up -d --wait rabbitmq postgres)
}

enable_plugins() {
  is_local "$AMQP_HOST" && command -v rabbitmq-plugins >/dev/null 2>&1 || return 0
  local enabled missing=""
  enabled=$(rabbitmq-plugins list -e -m 2>/dev/null || true)
  for p in $PLUGINS; do grep -qx "$p" <<<"$enabled" || missing="$missing $p"; done
  [[ -z "$missing" ]] && return 0
  say "enabling RabbitMQ plugins:$missing"
  rabbitmq-plugins enable $missing >/dev/null
}

if ! rabbit_up && is_local "$AMQP_HOST"; then
  start_installed_rabbit || { apt_install rabbitmq-server && start_installed_rabbit; } || docker_up || true
fi
if ! postgres_up && is_local "$PG_HOST"; then
  if start_installed_postgres || { apt_install postgresql && trust_local_postgres && start_installed_postgres; }; then :;
  elif ! rabbit_up || ! postgres_up; then docker_up || true; fi
fi

missing=""
rabbit_up || missing="$missing RabbitMQ at $AMQP_HOST:$AMQP_PORT;"
postgres_up || missing="$missing PostgreSQL at $PG_HOST:$PG_PORT;"
if [[ -n "$missing" ]]; then
  say "not reachable:$missing install RabbitMQ >= 3.10 and PostgreSQL >= 15 (apt-get install rabbitmq-server postgresql, run as root), or start a Docker engine and run 'docker compose up -d', or point WAGGLE_AMQP_URL / WAGGLE_DATABASE_URL at running servers"
  exit 1
fi

enable_plugins
if is_local "$MGMT_HOST" && ! answers "$MGMT_HOST" "$MGMT_PORT"; then
  wait_for "RabbitMQ management" "$MGMT_HOST" "$MGMT_PORT" 30
fi
