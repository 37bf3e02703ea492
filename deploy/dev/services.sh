#!/usr/bin/env bash
# Prepares a dev/CI machine (Debian 12, as root) for wofleet's real-stack tests:
#   - installs nginx, PHP 8.2 (fpm, cli, mysql, opcache), MariaDB, sqlite3 when missing;
#   - starts MariaDB when nothing answers on 127.0.0.1:3306;
#   - makes sure root can log into MariaDB over TCP with an empty password;
#   - installs PostgreSQL when missing, starts it when nothing answers on 127.0.0.1:5432,
#     and lets the postgres user in over loopback without a password (dev/CI only).
# It does NOT start the system nginx or PHP-FPM: the tests run private instances
# (tests/support/stack.ts). Idempotent; never reads stdin; one line per action taken.
set -euo pipefail

MARIADB_HOST=127.0.0.1
MARIADB_PORT=3306
WAIT_SECONDS=60
STARTED_MARKER=/run/wofleet-dev/started-mariadb
# ansible (with community.general: the chroot connection), systemd-container (systemd-nspawn
# boots the packaged-install test servers), zsh (the completion test), dpkg-dev (.deb building).
PACKAGES=(nginx php8.2-fpm php8.2-cli php8.2-mysql php8.2-opcache mariadb-server mariadb-client sqlite3 coreutils nats-server postgresql postgresql-client ansible systemd-container zsh dpkg-dev)

say() { printf 'services.sh: %s\n' "$*"; }
die() { printf 'services.sh: ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root"
exec </dev/null

tcp_root_login() {
  mariadb --protocol=TCP -h "$MARIADB_HOST" -P "$MARIADB_PORT" -uroot --connect-timeout=2 -e 'SELECT 1' >/dev/null 2>&1
}

mariadb_answers() {
  # Any answer (even "access denied") means the server is up.
  local out
  out=$(mariadb --protocol=TCP -h "$MARIADB_HOST" -P "$MARIADB_PORT" -uroot --connect-timeout=2 -e 'SELECT 1' 2>&1) && return 0
  [[ "$out" == *"Access denied"* ]]
}

is_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

install_packages() {
  local missing=()
  for pkg in "${PACKAGES[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return
  fi
  # Keep package scripts from starting the system nginx/php-fpm/mariadb services.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created_policy=1
  fi
  say "apt-get update"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq || { [ $created_policy -eq 1 ] && rm -f "$policy"; die "apt-get update failed"; }
  say "installing: ${missing[*]}"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/wofleet-services-apt.log 2>&1; then
    [ $created_policy -eq 1 ] && rm -f "$policy"
    tail -n 30 /tmp/wofleet-services-apt.log >&2
    die "apt-get install failed (full log: /tmp/wofleet-services-apt.log)"
  fi
  [ $created_policy -eq 1 ] && rm -f "$policy"
  for pkg in "${missing[@]}"; do
    is_installed "$pkg" || die "$pkg is still not installed"
  done
}

start_mariadb() {
  if mariadb_answers; then
    return
  fi
  install -d -o mysql -g mysql -m 0755 /run/mysqld
  if [ ! -d /var/lib/mysql/mysql ]; then
    say "initialising the MariaDB data directory"
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/tmp/wofleet-services-mariadb-init.log 2>&1 ||
      die "mariadb-install-db failed (log: /tmp/wofleet-services-mariadb-init.log)"
  fi
  say "starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  # Tests stop what they started (tests/support/global-setup.ts reads this marker).
  install -d -m 0755 "$(dirname "$STARTED_MARKER")"
  : > "$STARTED_MARKER"
  local waited=0
  until mariadb_answers; do
    if [ "$waited" -ge "$WAIT_SECONDS" ]; then
      tail -n 20 /var/log/mysql/error.log 2>/dev/null >&2 || true
      die "MariaDB does not answer on $MARIADB_HOST:$MARIADB_PORT after ${WAIT_SECONDS}s"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  say "MariaDB answers on $MARIADB_HOST:$MARIADB_PORT"
}

# A fresh Debian install authenticates root@localhost by unix_socket only. Over the
# socket (as OS root) allow the empty password too, and add root@127.0.0.1 for servers
# running with skip-name-resolve, where TCP logins from loopback are matched by IP.
allow_root_tcp_login() {
  if tcp_root_login; then
    return
  fi
  say "allowing MariaDB root login over TCP with an empty password"
  mariadb -uroot <<'SQL' || die "cannot change MariaDB root authentication over the unix socket"
ALTER USER root@localhost IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');
CREATE USER IF NOT EXISTS root@'127.0.0.1' IDENTIFIED BY '';
GRANT ALL PRIVILEGES ON *.* TO root@'127.0.0.1' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
  tcp_root_login || die "root still cannot log into MariaDB on $MARIADB_HOST:$MARIADB_PORT with an empty password"
}

postgres_login() {
  psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -Atc 'SELECT 1' >/dev/null 2>&1
}

start_postgres() {
  postgres_login && return
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  [ -n "$version" ] || die "no PostgreSQL cluster under /etc/postgresql"
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $4}' | grep -q online; then
    say "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || die "cannot start PostgreSQL $version"
  fi
  if ! postgres_login; then
    local hba="/etc/postgresql/$version/main/pg_hba.conf"
    say "allowing the postgres user over loopback without a password ($hba)"
    sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  fi
  local waited=0
  until postgres_login; do
    [ "$waited" -ge "$WAIT_SECONDS" ] && die "PostgreSQL does not answer on 127.0.0.1:5432 after ${WAIT_SECONDS}s"
    sleep 1
    waited=$((waited + 1))
  done
}

install_packages
start_mariadb
allow_root_tcp_login
start_postgres
id www-data >/dev/null 2>&1 || die "user www-data is missing"
command -v php-fpm8.2 >/dev/null 2>&1 || [ -x /usr/sbin/php-fpm8.2 ] || die "php-fpm8.2 is missing"
say "ready (nginx $(/usr/sbin/nginx -v 2>&1 | sed 's/.*\///'), PHP $(php8.2 -r 'echo PHP_VERSION;'), MariaDB on $MARIADB_HOST:$MARIADB_PORT, PostgreSQL on 127.0.0.1:5432)"
