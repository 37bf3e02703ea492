#!/usr/bin/env bash
# Installs the wofleet agent on this server (Debian 12 / Ubuntu 22.04+, as root):
# the package, /etc/wofleet/agent.yaml, enrollment with the controller, the unit.
# Re-runnable: an installed package of that version, an identical config and an
# existing certificate are left as they are. For a fleet, see deploy/ansible/.
set -euo pipefail

PROG=install.sh
CONFIG=/etc/wofleet/agent.yaml
TLS_DIR=/etc/wofleet/tls
SERVICE=wofleet-agent
PREFIX=/opt/wofleet-agent
HERE=$(cd "$(dirname "$0")" && pwd)
# Set when something the running agent reads changed: the unit is restarted.
CHANGED=0

usage() {
  cat <<EOF
usage: $PROG (--deb FILE | --tarball FILE) --controller HOST:PORT --ca-fingerprint SHA256
              --nats URL [--nats URL...] [options]

Installs the wofleet agent on this server, writes $CONFIG, enrolls the agent with
the controller (one-time token from 'wofleet servers add NAME --address HOST:7443')
and starts the $SERVICE unit.

  --deb FILE              the wofleet-agent .deb (installed with apt, dependencies too)
  --tarball FILE          or the wofleet-agent artifact tarball (unpacked to $PREFIX,
                          the unit from systemd/ beside this script to /etc/systemd/system)
  --controller HOST:PORT  where this agent reaches the controller
  --ca-fingerprint SHA256 the fleet CA's fingerprint, as 'wofleet servers add' printed it
  --token-file PATH|-     the enrollment token (default -: read from stdin); skipped
                          when the agent is enrolled already
  --nats URL              a NATS server the agent publishes to (repeatable)
  --nats-user USER        NATS user, with --nats-pass-file FILE (password, first line)
  --server-id NAME        this server's name in the fleet (default: hostname -s)
  --listen HOST:PORT      the agent's gRPC listen address (default 0.0.0.0:7443)
  --reenroll              enroll again although enrolled (new key and certificate;
                          the token from 'wofleet servers token NAME')
  -h, --help              this help

Exit codes: 0 done, 1 a step failed, 2 usage error.
EOF
}

die() {
  echo "$PROG: $1" >&2
  exit "${2:-1}"
}
usage_error() { die "$1 (see --help)" 2; }
step() { echo "$PROG: $*"; }

DEB='' TARBALL='' CONTROLLER='' FINGERPRINT='' TOKEN_FILE='-' NATS_USER='' NATS_PASS_FILE=''
SERVER_ID='' LISTEN='0.0.0.0:7443' REENROLL=0
NATS=()
need_value() { [ $# -ge 2 ] && [ -n "$2" ] || usage_error "$1 needs a value"; }
while [ $# -gt 0 ]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --deb) need_value "$@"; DEB=$2; shift 2 ;;
    --tarball) need_value "$@"; TARBALL=$2; shift 2 ;;
    --controller) need_value "$@"; CONTROLLER=$2; shift 2 ;;
    --ca-fingerprint) need_value "$@"; FINGERPRINT=$2; shift 2 ;;
    --token-file) need_value "$@"; TOKEN_FILE=$2; shift 2 ;;
    --nats) need_value "$@"; NATS+=("$2"); shift 2 ;;
    --nats-user) need_value "$@"; NATS_USER=$2; shift 2 ;;
    --nats-pass-file) need_value "$@"; NATS_PASS_FILE=$2; shift 2 ;;
    --server-id) need_value "$@"; SERVER_ID=$2; shift 2 ;;
    --listen) need_value "$@"; LISTEN=$2; shift 2 ;;
    --reenroll) REENROLL=1; shift ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done

HOST_PORT='^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$'
[ -n "$DEB" ] || [ -n "$TARBALL" ] || usage_error "--deb FILE or --tarball FILE is required"
[ -z "$DEB" ] || [ -z "$TARBALL" ] || usage_error "--deb and --tarball: give one"
[ -z "$DEB" ] || [ -f "$DEB" ] || usage_error "--deb $DEB: no such file"
[ -z "$TARBALL" ] || [ -f "$TARBALL" ] || usage_error "--tarball $TARBALL: no such file"
[ -n "$CONTROLLER" ] || usage_error "--controller HOST:PORT is required: where this agent reaches the controller"
[[ $CONTROLLER =~ $HOST_PORT ]] || usage_error "--controller '$CONTROLLER': expected HOST:PORT"
[[ $LISTEN =~ $HOST_PORT ]] || usage_error "--listen '$LISTEN': expected HOST:PORT"
[ -n "$FINGERPRINT" ] || usage_error "--ca-fingerprint SHA256 is required: the fleet CA's fingerprint, as 'wofleet servers add' printed it"
[[ ${FINGERPRINT#sha256:} =~ ^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$ ]] ||
  usage_error "--ca-fingerprint '$FINGERPRINT': expected the fleet CA's SHA-256 (AB:CD:... or 64 hex digits)"
[ ${#NATS[@]} -gt 0 ] || usage_error "--nats URL is required: a NATS server the agent publishes to"
for url in "${NATS[@]}"; do [[ $url =~ ^(nats|tls)://[^[:space:]]+$ ]] || usage_error "--nats '$url': expected nats://HOST:PORT"; done
[ -z "$NATS_USER" ] || [ -n "$NATS_PASS_FILE" ] || usage_error "--nats-user needs --nats-pass-file FILE"
[ -z "$NATS_PASS_FILE" ] || [ -f "$NATS_PASS_FILE" ] || usage_error "--nats-pass-file $NATS_PASS_FILE: no such file"
[ -n "$SERVER_ID" ] || SERVER_ID=$(hostname -s)
[[ $SERVER_ID =~ ^[a-z0-9][a-z0-9-]{0,62}$ ]] ||
  usage_error "--server-id '$SERVER_ID': must be 1-63 lower-case letters, digits or hyphens (the name given to 'wofleet servers add')"
[ "$(id -u)" -eq 0 ] || die "must run as root (it installs a package and writes /etc/wofleet)"
# systemd as PID 1: the unit is what runs the agent.
[ -d /run/systemd/system ] || die "systemd is not running on this machine: the agent runs as the $SERVICE unit"

install_deb() {
  step "installing $DEB"
  # apt resolves the package's dependencies; a path needs ./ or / to be read as a file.
  case $DEB in /* | ./*) ;; *) DEB=./$DEB ;; esac
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Options::=--force-confold "$DEB" >/dev/null ||
    die "apt-get install $DEB failed"
}

install_tarball() {
  # The tarball is the program only; its unit is deploy/systemd/ beside this script.
  local unit_source="$HERE/systemd/$SERVICE.service" sum staging
  [ -f "$unit_source" ] || die "--tarball needs $unit_source (deploy/systemd/ beside install.sh; the .deb carries its own)"
  sum=$(sha256sum "$TARBALL" | cut -d' ' -f1)
  if [ "$(cat "$PREFIX/.tarball-sha256" 2>/dev/null)" = "$sum" ]; then
    step "$TARBALL already unpacked in $PREFIX"
  else
    step "unpacking $TARBALL to $PREFIX"
    staging=$(mktemp -d "$PREFIX.new.XXXXXX")
    tar -xzf "$TARBALL" -C "$staging" --strip-components=1 || { rm -rf "$staging"; die "tar -xzf $TARBALL failed"; }
    [ -x "$staging/bin/wofleet-agent" ] || { rm -rf "$staging"; die "$TARBALL has no bin/wofleet-agent: not the agent tarball"; }
    echo "$sum" >"$staging/.tarball-sha256"
    chmod 0755 "$staging"
    rm -rf "$PREFIX.old"
    [ ! -e "$PREFIX" ] || mv "$PREFIX" "$PREFIX.old"
    mv "$staging" "$PREFIX"
    rm -rf "$PREFIX.old"
    CHANGED=1
  fi
  # Where the unit's ExecStart and the package put it.
  ln -sfn "$PREFIX/bin/wofleet-agent" /usr/bin/wofleet-agent
  if ! cmp -s "$unit_source" "/etc/systemd/system/$SERVICE.service"; then
    install -m 0644 "$unit_source" "/etc/systemd/system/$SERVICE.service"
    systemctl daemon-reload
    CHANGED=1
  fi
}

yaml_string() { printf "'%s'" "${1//\'/\'\'}"; }

write_config() {
  local tmp
  mkdir -p "$(dirname "$CONFIG")" "$TLS_DIR"
  tmp=$(mktemp "$CONFIG.XXXXXX")
  {
    echo "# Written by deploy/install.sh; keys and defaults: README, \"Config\"."
    echo "serverId: $SERVER_ID"
    echo "grpc:"
    echo "  listen: $(yaml_string "$LISTEN")"
    echo "  caFile: $TLS_DIR/ca.pem"
    echo "  certFile: $TLS_DIR/agent.pem"
    echo "  keyFile: $TLS_DIR/agent.key"
    echo "nats:"
    echo "  servers:"
    for url in "${NATS[@]}"; do echo "    - $(yaml_string "$url")"; done
    if [ -n "$NATS_USER" ]; then
      echo "  user: $(yaml_string "$NATS_USER")"
      echo "  pass: $(yaml_string "$(head -n1 "$NATS_PASS_FILE")")"
    fi
  } >"$tmp"
  chmod 0600 "$tmp"
  if [ -f "$CONFIG" ] && cmp -s "$tmp" "$CONFIG"; then
    rm -f "$tmp"
    step "$CONFIG unchanged"
    return
  fi
  if [ -f "$CONFIG" ]; then
    cp -p "$CONFIG" "$CONFIG.bak"
    step "wrote $CONFIG (the previous one kept as $CONFIG.bak)"
  else
    step "wrote $CONFIG"
  fi
  mv "$tmp" "$CONFIG"
  CHANGED=1
}

enroll() {
  if [ -f "$TLS_DIR/agent.pem" ] && [ "$REENROLL" -eq 0 ]; then
    step "already enrolled ($TLS_DIR/agent.pem): no token needed"
    return
  fi
  step "enrolling $SERVER_ID with the controller at $CONTROLLER"
  local force=()
  [ "$REENROLL" -eq 0 ] || force=(--force)
  wofleet-agent --config "$CONFIG" enroll --controller "$CONTROLLER" --ca-fingerprint "$FINGERPRINT" \
    --token-file "$TOKEN_FILE" "${force[@]}" || die "wofleet-agent enroll failed (a used or expired token? 'wofleet servers token $SERVER_ID' makes a new one)"
  CHANGED=1
}

start_unit() {
  systemctl enable --quiet "$SERVICE" || die "systemctl enable $SERVICE failed"
  if [ "$CHANGED" -eq 1 ] && systemctl is-active --quiet "$SERVICE"; then
    step "restarting $SERVICE"
    systemctl restart "$SERVICE" || die "systemctl restart $SERVICE failed: journalctl -u $SERVICE"
  else
    systemctl start "$SERVICE" || die "systemctl start $SERVICE failed: journalctl -u $SERVICE"
  fi
  step "$SERVICE is $(systemctl is-active "$SERVICE")"
}

if [ -n "$DEB" ]; then install_deb; else install_tarball; fi
command -v wofleet-agent >/dev/null || die "wofleet-agent is not on PATH after the install"
write_config
enroll
start_unit
