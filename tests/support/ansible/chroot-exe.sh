#!/bin/bash
# chroot_exe for Ansible's chroot connection (community.general.chroot), which runs
#   chroot_exe CHROOT_DIR /bin/sh -c CMD        (files go through `dd` the same way)
# A test server is more than a chroot: it runs in its own namespaces (network, PID,
# mount, UTS, IPC) under its own PID 1. This enters all of them and the server's root, as
# an ssh session on a real server would land in its system, so the playbook sees the
# server's network, processes and service manager, not the host's:
#   chroot-exe.sh LEADER_PID CHROOT_DIR CMD...   (LEADER_PID: the server's PID 1, on the host)
# tests/support/ansible.ts writes a per-server chroot_exe that calls this with its PID.
set -eu
pid=$1 root=$2
shift 2
# The PID must be the server at CHROOT_DIR (not a reused PID): same root directory.
if [ "$(stat -Lc %d:%i "/proc/$pid/root" 2>/dev/null)" != "$(stat -c %d:%i "$root")" ]; then
  echo "chroot-exe: process $pid is not the server at $root" >&2
  exit 125
fi
exec nsenter -t "$pid" --mount --uts --ipc --net --pid --root /usr/bin/env -i -C / \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root USER=root LANG=C.UTF-8 "$@"
