import fs from 'node:fs';
import path from 'node:path';
import { resolveProgram, startDaemon, type Daemon } from './daemon.js';
import { canConnect, findFreePort } from './net.js';

/** Where a private nginx keeps everything: nothing outside `dir` but the binary and mime types. */
export interface NginxLayout {
  dir: string;
  conf: string;
  sitesAvailable: string;
  sitesEnabled: string;
  logsDir: string;
  errorLog: string;
  pidFile: string;
}

export function nginxLayout(dir: string): NginxLayout {
  return {
    dir,
    conf: path.join(dir, 'nginx.conf'),
    sitesAvailable: path.join(dir, 'sites-available'),
    sitesEnabled: path.join(dir, 'sites-enabled'),
    logsDir: path.join(dir, 'logs'),
    errorLog: path.join(dir, 'logs', 'error.log'),
    pidFile: path.join(dir, 'nginx.pid'),
  };
}

/**
 * nginx.conf in the shape of Debian's/WordOps' (worker as www-data, `include
 * sites-enabled/*`), but with its own pid, logs and temp dirs, and a default server on
 * 127.0.0.1:port that closes the connection (444) for unknown hosts. Relative includes
 * in vhosts (`include fastcgi_params`) resolve against this directory, so the stock
 * fastcgi_params is copied beside it.
 */
export function writeNginxConfig(layout: NginxLayout, port: number, webUser: string): void {
  for (const dir of [layout.sitesAvailable, layout.sitesEnabled, layout.logsDir, path.join(layout.dir, 'tmp')]) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  }
  fs.copyFileSync('/etc/nginx/fastcgi_params', path.join(layout.dir, 'fastcgi_params'));
  fs.copyFileSync('/etc/nginx/mime.types', path.join(layout.dir, 'mime.types'));
  const tmp = (name: string) => path.join(layout.dir, 'tmp', name);
  fs.writeFileSync(
    layout.conf,
    `# private nginx of a wofleet test stack
user ${webUser};
worker_processes 1;
daemon off;
pid ${layout.pidFile};
error_log ${layout.errorLog} notice;

events {
    worker_connections 512;
}

http {
    include mime.types;
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 5;
    server_names_hash_bucket_size 128;
    access_log ${path.join(layout.logsDir, 'access.log')};
    client_body_temp_path ${tmp('client_body')};
    proxy_temp_path ${tmp('proxy')};
    fastcgi_temp_path ${tmp('fastcgi')};
    uwsgi_temp_path ${tmp('uwsgi')};
    scgi_temp_path ${tmp('scgi')};

    server {
        listen 127.0.0.1:${port} default_server;
        server_name _;
        return 444;
    }

    include ${layout.sitesEnabled}/*;
}
`,
  );
}

export function nginxReloadArgv(layout: NginxLayout): string[] {
  return [resolveProgram('nginx'), '-c', layout.conf, '-s', 'reload'];
}

function startNginx(layout: NginxLayout, port: number): Promise<Daemon> {
  return startDaemon({
    name: 'nginx',
    command: resolveProgram('nginx'),
    args: ['-c', layout.conf, '-e', layout.errorLog],
    outputLog: path.join(layout.logsDir, 'stdout.log'),
    errorLogs: [layout.errorLog],
    ready: async () => fs.existsSync(layout.pidFile) && (await canConnect({ port })),
  });
}

/**
 * Writes the config for a free port and starts nginx; when another process grabbed
 * the port in between (bind fails), tries again with a new one.
 */
export async function startNginxOnFreePort(layout: NginxLayout, webUser: string, attempts = 3): Promise<{ daemon: Daemon; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort();
    writeNginxConfig(layout, port, webUser);
    try {
      return { daemon: await startNginx(layout, port), port };
    } catch (err) {
      if (attempt >= attempts || !/Address already in use/.test((err as Error).message)) throw err;
    }
  }
}
