#!/bin/bash
# Runs as the first process of a real-WordOps test server's new namespaces (net, uts,
# ipc, mount, pid; started by tests/support/realwo.ts): mounts what the chroot needs
# (the same as ../shared/realwo/run-wo.sh) plus node and the checkout, then execs init.sh.
#   enter.sh ROOT HOSTNAME NODE_BINARY RO_DIR...   (each RO_DIR is bind-mounted read-only at its own path)
#   enter.sh ROOT HOSTNAME -                       (a bare server: no node, nothing of the host's mounted)
set -e
R=$1; NAME=$2; NODE=$3; shift 3
mount --make-rprivate /
mount --bind "$R/proc/sys" "$R/proc/sys" && mount -o remount,bind,ro "$R/proc/sys"   # no sysctl writes to the host kernel
mount -t tmpfs -o mode=755 tmpfs "$R/run"
mkdir -p "$R/dev/shm" && mount -t tmpfs -o mode=1777 tmpfs "$R/dev/shm"
mkdir -p "$R/dev/pts" && mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$R/dev/pts"
[ -e "$R/dev/ptmx" ] || touch "$R/dev/ptmx"
mount --bind "$R/dev/pts/ptmx" "$R/dev/ptmx"
if [ "$NODE" != - ]; then
  touch "$R/usr/local/bin/node" && mount --bind "$NODE" "$R/usr/local/bin/node"
fi
for d in "$@"; do
  mkdir -p "$R$d" && mount --bind "$d" "$R$d" && mount -o remount,bind,ro "$R$d"
done
hostname "$NAME"
exec chroot "$R" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  HOME=/root USER=root LANG=C.UTF-8 TERM=xterm /bin/bash /usr/local/sbin/wofleet-realwo-init.sh
