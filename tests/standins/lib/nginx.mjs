// Site vhosts in WordOps' layout (sites-available/D + a link in sites-enabled) and
// nginx reloads. After a reload the stand-in waits until nginx actually serves the
// change (a reload is asynchronous), so tests do not race the worker hand-over;
// real wo does not wait, but on a real server the window is the same ~100 ms.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { run } from './run.mjs';

/** The probe path: a dotfile, which every vhost denies (403) without running PHP. */
const PROBE_PATH = '/.wo-standin-reload-probe';

export function phpSocket(config, version) {
  return path.join(config.php.socketDir, `php${version.replace('.', '')}-fpm.sock`);
}

/**
 * WordOps' wpredis rules fetch pages through the redis2 module. Debian's nginx (here and in
 * the recorded real runs) has no such module, so `nginx -t` fails on such a vhost.
 */
const REDIS_LOCATION = `
    location = /redis-fetch {
        internal;
        redis2_query get $arg_key;
        redis2_pass 127.0.0.1:6379;
    }
`;

export function vhostText(config, domain, siteRoot, version, cacheType) {
  const header = cacheType === 'basic' ? 'WORDPRESS' : cacheType.toUpperCase();
  return `# ${header} NGINX CONFIGURATION
# DO NOT MODIFY, ALL CHANGES WILL BE LOST AFTER AN WordOps (wo) UPDATE
# (written by the wofleet test STAND-IN for wo)
server {
    listen ${config.nginx.listen};
    server_name ${domain} www.${domain};

    access_log ${siteRoot}/logs/access.log;
    error_log ${siteRoot}/logs/error.log;

    root ${siteRoot}/htdocs;
    index index.php index.html index.htm;

    location / {
        try_files $uri $uri/ /index.php$is_args$args;
    }

    location ~ \\.php$ {
        try_files $uri =404;
        include fastcgi_params;
        fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
        fastcgi_pass unix:${phpSocket(config, version)};
    }

    # deny access to dotfiles (.htaccess, .git, .user.ini ...)
    location ~ /\\.(?!well-known) {
        deny all;
    }

${cacheType === 'wpredis' ? REDIS_LOCATION : ''}
    include ${siteRoot}/conf/nginx/*.conf;
}
`;
}

export function vhostPaths(config, domain) {
  return {
    available: path.join(config.nginx.sitesAvailable, domain),
    enabled: path.join(config.nginx.sitesEnabled, domain),
  };
}

export function writeVhost(config, domain, text) {
  const { available, enabled } = vhostPaths(config, domain);
  fs.writeFileSync(available, text, { mode: 0o644 });
  fs.rmSync(enabled, { force: true });
  fs.symlinkSync(available, enabled);
}

export function removeVhost(config, domain) {
  const { available, enabled } = vhostPaths(config, domain);
  fs.rmSync(enabled, { force: true });
  fs.rmSync(available, { force: true });
}

/** `nginx -t` on the whole configuration: true when it passes. */
export function nginxConfigOk(config) {
  const [command, ...args] = config.nginx.test;
  try {
    run(command, args);
    return true;
  } catch {
    return false;
  }
}

/** Children of the nginx master (its workers), read from /proc. */
function workerPids(masterPid) {
  const pids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === masterPid) pids.push(Number(entry));
    } catch {
      // process went away while we looked
    }
  }
  return pids;
}

/**
 * `nginx -s reload`, then waits until the old workers have exited: the master starts
 * new workers and lets the old ones accept for another ~100 ms, so a request right
 * after the signal may still see the old configuration.
 */
export async function reloadNginx(config, timeoutMs = 10_000) {
  const masterPid = Number(fs.readFileSync(config.nginx.pidFile, 'utf8').trim());
  const oldWorkers = workerPids(masterPid);
  const [command, ...args] = config.nginx.reload;
  run(command, args);
  const deadline = Date.now() + timeoutMs;
  while (oldWorkers.some((pid) => fs.existsSync(`/proc/${pid}`))) {
    if (Date.now() > deadline) throw new Error(`old nginx workers ${oldWorkers.join(', ')} did not exit after the reload`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Status of GET PROBE_PATH for Host: domain, or 0 when nginx closed the connection (default server: 444). */
function probe(config, domain) {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port: config.nginx.port, path: PROBE_PATH, headers: { host: domain }, timeout: 2000, agent: false },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** Waits until nginx serves (present=true) or no longer serves (present=false) the vhost of domain. */
export async function waitForVhost(config, domain, present, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await probe(config, domain);
    if (present ? status === 403 : status === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`nginx did not ${present ? 'start' : 'stop'} serving ${domain} after the reload (last probe: ${status || 'closed'})`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
