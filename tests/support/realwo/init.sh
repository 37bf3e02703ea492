#!/bin/bash
# PID 1 of a real-WordOps test server (tests/support/realwo.ts), inside its chroot and
# namespaces: starts WordOps' stack, says so, and stops it again on SIGTERM.
ip link set lo up
mkdir -p /run/php /run/mysqld /run/redis /run/nginx /run/lock
chown mysql:root /run/mysqld
chown redis:redis /run/redis
LOG=/var/log/wofleet-realwo-services.log
stop() {
  { service nginx stop; service php8.2-fpm stop; service redis-server stop; service mariadb stop; } >> $LOG 2>&1
  exit 0
}
trap stop TERM INT
{ service mariadb start && service redis-server start && service php8.2-fpm start && service nginx start; } >> $LOG 2>&1 || {
  echo "service start failed, see $LOG" > /run/wofleet-realwo-failed
}
touch /run/wofleet-realwo-ready
while :; do sleep 3600 & wait $!; done
