import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError, printable, UsageError } from '@wofleet/shared';

/**
 * A release source sent over gRPC that names a file on this server (a path or file://
 * URL) must lie inside `releases.mirrorDir`, before and after resolving symlinks and
 * `..`: otherwise whoever can start a campaign could have every agent read, and answer
 * about, any file root can read. Returns the real path, which is what gets staged.
 * Only gRPC requests are confined; the local CLI runs as root on this server already.
 */
export async function confineToMirrorDir(file: string, mirrorDir: string | undefined): Promise<string> {
  const shown = printable(file);
  if (mirrorDir === undefined) {
    throw new UsageError(
      `release source ${shown} is a file on this server: the controller may send only http(s) URLs and versions unless releases.mirrorDir is set in the agent config`,
    );
  }
  const realMirror = await realpath(mirrorDir).catch(() => {
    throw new NotFoundError(`releases.mirrorDir ${mirrorDir} does not exist`);
  });
  const outside = () => new UsageError(`release source ${shown} is outside releases.mirrorDir ${mirrorDir}`);
  // Refused before touching the file: whether a file outside the mirror exists is not told either.
  const asked = path.resolve(file);
  if (!isInside(asked, mirrorDir) && !isInside(asked, realMirror)) throw outside();
  const real = await realpath(asked).catch(() => {
    throw new NotFoundError(`release archive not found: ${shown}`);
  });
  if (!isInside(real, realMirror)) throw outside();
  return real;
}

function isInside(file: string, dir: string): boolean {
  const relative = path.relative(dir, file);
  return relative !== '' && !relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative);
}
