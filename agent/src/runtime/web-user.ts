import { type CommandRunner, CommandFailedError, ConfigError, printable } from '@wofleet/shared';

/** The user PHP runs as (config `webUser`; on WordOps www-data): who runs the agent's WP-CLI, who may read site secrets. */
export interface WebUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** getent exits 2 when the name is not in the user database. */
const GETENT_NOT_FOUND = 2;

/**
 * Looks the user up through NSS (`getent passwd`), as PHP-FPM's `user =` does, so an
 * LDAP or systemd-dynamic user resolves the same way. Root is refused: running site
 * code as root is what the web user is for avoiding.
 */
export async function resolveWebUser(name: string, run: CommandRunner): Promise<WebUser> {
  const { stdout } = await run('getent', ['passwd', name], { timeoutMs: 10_000 }).catch((err: unknown) => {
    if (err instanceof CommandFailedError && err.exitCode_ === GETENT_NOT_FOUND) {
      throw new ConfigError(`webUser '${printable(name)}' does not exist on this server`);
    }
    throw err;
  });
  const fields = stdout.trim().split('\n')[0]?.split(':') ?? [];
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  if (fields.length < 7 || !Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new ConfigError(`webUser '${printable(name)}': unreadable passwd entry '${printable(stdout.trim())}'`);
  }
  if (uid === 0 || gid === 0)
    throw new ConfigError(`webUser '${printable(name)}' is root (uid ${uid}, gid ${gid}); site code must not run as root`);
  return { name, uid, gid, home: fields[5] ?? '/' };
}

/** One lookup per engine, made when first needed (commands that run no PHP never ask). */
export function memoizedWebUser(name: string, run: CommandRunner): () => Promise<WebUser> {
  let pending: Promise<WebUser> | undefined;
  return () => {
    pending ??= resolveWebUser(name, run).catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}
