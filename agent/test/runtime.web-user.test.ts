import { execFileSync } from 'node:child_process';
import { ConfigError, runCommand } from '@wofleet/shared';
import { describe, expect, it } from 'vitest';
import { resolveWebUser } from '../src/runtime/web-user.js';

describe('the web user', () => {
  it('resolves through the user database to its uid, gid and home', async () => {
    const uid = Number(execFileSync('id', ['-u', 'www-data'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'www-data'], { encoding: 'utf8' }));

    expect(await resolveWebUser('www-data', runCommand)).toEqual({ name: 'www-data', uid, gid, home: '/var/www' });
  });

  it('is refused when it does not exist, naming the config key', async () => {
    await expect(resolveWebUser('no-such-web-user', runCommand)).rejects.toThrow(
      new ConfigError("webUser 'no-such-web-user' does not exist on this server"),
    );
  });

  it('is refused when it is root: site code must not run as root', async () => {
    await expect(resolveWebUser('root', runCommand)).rejects.toThrow(/^webUser 'root' is root \(uid 0, gid 0\)/);
  });
});
