import fs from 'node:fs';
import path from 'node:path';
import { resolveProgram, startDaemon, type Daemon } from './daemon.js';
import { canConnect } from './net.js';

export interface FpmLayout {
  /** Holds the pool sockets, named like WordOps' (php82-fpm.sock). */
  socketDir: string;
  socket: string;
  conf: string;
  pidFile: string;
  errorLog: string;
}

export function fpmLayout(dir: string): FpmLayout {
  return {
    socketDir: dir,
    socket: path.join(dir, 'php82-fpm.sock'),
    conf: path.join(dir, 'php-fpm.conf'),
    pidFile: path.join(dir, 'php-fpm.pid'),
    errorLog: path.join(dir, 'php-fpm.log'),
  };
}

export interface FpmSettings {
  webUser: string;
  children: number;
  /**
   * Directories PHP may open (WordOps: "/var/www/:/usr/share/php/:/tmp/"); empty = no
   * open_basedir, as stock Debian. NB: PHP turns its realpath cache off while
   * open_basedir is set, which changes how fast a symlink switch is seen (DESIGN §5.2).
   */
  openBasedir: readonly string[];
  /** PHP's temp/upload/session dir, inside openBasedir. */
  tmpDir: string;
}

function openBasedirLine(dirs: readonly string[]): string {
  if (dirs.length === 0) return '; no open_basedir (stock Debian)';
  return `php_admin_value[open_basedir] = "${dirs.map((d) => `${d.replace(/\/+$/, '')}/`).join(':')}"`;
}

/**
 * One PHP-FPM 8.2 master with one pool `www`, configured as WordOps configures it:
 * workers run as www-data, socket owned by www-data, open_basedir limited to the sites
 * root, opcache on with validate_timestamps=1 / revalidate_freq=5, realpath_cache_ttl at
 * PHP's default (120 s). The master writes its own pid and error log here.
 */
export function writeFpmConfig(layout: FpmLayout, settings: FpmSettings): void {
  fs.writeFileSync(
    layout.conf,
    `; private PHP-FPM of a wofleet test stack
[global]
pid = ${layout.pidFile}
error_log = ${layout.errorLog}
log_level = notice
daemonize = no

[www]
user = ${settings.webUser}
group = ${settings.webUser}
listen = ${layout.socket}
listen.owner = ${settings.webUser}
listen.group = ${settings.webUser}
listen.mode = 0660
pm = static
pm.max_children = ${settings.children}
catch_workers_output = yes
${openBasedirLine(settings.openBasedir)}
php_admin_value[sys_temp_dir] = ${settings.tmpDir}
php_admin_value[upload_tmp_dir] = ${settings.tmpDir}
php_admin_value[session.save_path] = ${settings.tmpDir}
php_admin_flag[log_errors] = on
`,
  );
}

/** INI settings WordOps puts in php.ini for FPM (given as -d, the system php.ini stays as is). */
const OPCACHE_INI = ['opcache.enable=1', 'opcache.validate_timestamps=1', 'opcache.revalidate_freq=5'];

export function startFpm(layout: FpmLayout): Promise<Daemon> {
  return startDaemon({
    name: 'php-fpm8.2',
    command: resolveProgram('php-fpm8.2'),
    args: ['--nodaemonize', '--fpm-config', layout.conf, ...OPCACHE_INI.flatMap((ini) => ['-d', ini])],
    outputLog: path.join(layout.socketDir, 'php-fpm.stdout.log'),
    errorLogs: [layout.errorLog],
    ready: () => canConnect({ path: layout.socket }),
  });
}
