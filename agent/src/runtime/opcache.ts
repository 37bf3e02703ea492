import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { FASTCGI_FAILURE, FastCgiError, runPhpScript } from './fastcgi.js';

/**
 * Opcache reset inside a PHP-FPM master (DESIGN §5.2). CLI `opcache_reset()` resets the
 * CLI's own cache only; the FPM master's shared opcache is reached by running a script
 * inside one of its workers through the pool's FastCGI socket, as cachetool does. The
 * reset bumps the cache's restart counter and every worker then drops its realpath
 * cache on its next request, so symlinks (current -> releases/wp-X) resolve anew.
 *
 * The script must live where the pool's open_basedir allows (under the sites root):
 * the agent writes opcacheResetScript() to layout.opcacheResetScript.
 */

/** Server variable the script insists on, so it does nothing when reached any other way. */
export const OPCACHE_RESET_PARAM = 'WOFLEET_OPCACHE_RESET';

export function opcacheResetScript(): string {
  return `<?php
// wofleet: resets the opcache of the PHP-FPM master that runs this script.
// Written by wofleet-agent; run through the pool's FastCGI socket only.
if ( PHP_SAPI !== 'fpm-fcgi' || ( $_SERVER['${OPCACHE_RESET_PARAM}'] ?? '' ) !== '1' ) {
	http_response_code( 403 );
	exit;
}
$opcache = function_exists( 'opcache_reset' ) && opcache_reset();
clearstatcache( true );
header( 'Content-Type: application/json' );
header( 'Cache-Control: no-store' );
echo json_encode( array( 'ok' => true, 'opcache' => $opcache, 'pid' => getmypid() ) );
`;
}

const resetResultSchema = z.object({ ok: z.literal(true), opcache: z.boolean(), pid: z.number().int() });
/** `opcache` is false when the pool runs without opcache (nothing compiled to drop). */
export type OpcacheResetResult = z.infer<typeof resetResultSchema>;

export async function resetOpcache(socketPath: string, scriptPath: string, timeoutMs: number): Promise<OpcacheResetResult> {
  const response = await runPhpScript(socketPath, scriptPath, { timeoutMs, params: { [OPCACHE_RESET_PARAM]: '1' } });
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.body);
  } catch {
    parsed = undefined;
  }
  const result = resetResultSchema.safeParse(parsed);
  if (!result.success) {
    throw new FastCgiError(
      FASTCGI_FAILURE.protocol,
      socketPath,
      `opcache reset script ${scriptPath} in ${socketPath} returned no result: ${response.body.slice(0, 200) || response.stderr.slice(0, 200)}`,
    );
  }
  return result.data;
}

const FPM_SOCKET_NAME = /^php.*-fpm\.sock$/;

/** The PHP-FPM pool sockets in socketDir (php82-fpm.sock, php8.2-fpm.sock, ...), sorted; none when the dir is missing. */
export async function listFpmSockets(socketDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(socketDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const sockets: string[] = [];
  for (const name of names.filter((n) => FPM_SOCKET_NAME.test(n)).sort()) {
    const full = path.join(socketDir, name);
    const stat = await fs.stat(full).catch(() => undefined);
    if (stat?.isSocket()) sockets.push(full);
  }
  return sockets;
}
