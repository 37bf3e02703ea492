import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FASTCGI_FAILURE, FastCgiError, runPhpScript } from '../src/runtime/fastcgi.js';
import { listFpmSockets, opcacheResetScript, resetOpcache } from '../src/runtime/opcache.js';
import { startStack, type Stack } from '../../tests/support/stack.js';

let stack: Stack;
let resetScript: string;
let scriptsDir: string;

function writePhp(file: string, source: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  fs.writeFileSync(file, source, { mode: 0o644 });
  return file;
}

/** Fields of /proc/PID/status, e.g. Uid. */
function procStatus(pid: number): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const [key, ...rest] = line.split(':');
    if (key) fields[key] = rest.join(':').trim();
  }
  return fields;
}

function uidOf(user: string): string | undefined {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  return line?.split(':')[2];
}

async function expectFastCgiError(promise: Promise<unknown>, kind: string, message: RegExp): Promise<void> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FastCgiError);
  expect((err as FastCgiError).kind).toBe(kind);
  expect((err as FastCgiError).message).toMatch(message);
}

beforeAll(async () => {
  stack = await startStack();
  resetScript = writePhp(path.join(stack.sharedRoot, 'config', 'opcache-reset.php'), opcacheResetScript());
  scriptsDir = path.join(stack.sitesRoot, 'fastcgi-test');
});

afterAll(async () => {
  await stack?.stop();
});

describe('resetOpcache', () => {
  it('runs the reset script inside a PHP-FPM worker and reports that opcache was reset', async () => {
    const result = await resetOpcache(stack.fpmSocket, resetScript, 5000);

    expect(result).toMatchObject({ ok: true, opcache: true });
    expect(procStatus(result.pid).Uid?.split(/\s+/)[0]).toBe(uidOf('www-data'));
  });

  it('makes every worker of a stock-Debian pool (no open_basedir) see a switched symlink at once (DESIGN §5.2)', async () => {
    // Without open_basedir each worker's realpath cache keeps `current` -> releases/a
    // for 120 s; the reset bumps opcache's restart counter and workers then drop it.
    const debian = await startStack({ openBasedir: false });
    try {
      const base = path.join(debian.sitesRoot, 'switch');
      for (const version of ['a', 'b']) {
        writePhp(path.join(base, 'releases', version, 'v.php'), `<?php usleep(300000); echo '${version} ', getmypid();`);
      }
      const current = path.join(base, 'current');
      fs.symlinkSync(path.join(base, 'releases', 'a'), current);
      const script = path.join(current, 'v.php');
      const reset = writePhp(path.join(debian.sharedRoot, 'config', 'opcache-reset.php'), opcacheResetScript());
      // Four slow requests at once occupy all four static workers, one each.
      const allWorkers = async () => {
        const responses = await Promise.all([1, 2, 3, 4].map(() => runPhpScript(debian.fpmSocket, script, { timeoutMs: 5000 })));
        return responses.map((r) => r.body.split(' ')) as [string, string][];
      };
      const before = await allWorkers();
      expect(new Set(before.map(([, pid]) => pid)).size).toBe(4);

      fs.symlinkSync(path.join(base, 'releases', 'b'), `${current}.next`);
      fs.renameSync(`${current}.next`, current);
      expect((await allWorkers()).map(([v]) => v)).toEqual(['a', 'a', 'a', 'a']);

      await resetOpcache(debian.fpmSocket, reset, 5000);
      // The restart itself happens on the next request that finds every worker idle.
      expect((await runPhpScript(debian.fpmSocket, script, { timeoutMs: 5000 })).body).toMatch(/^b /);
      const after = await allWorkers();
      expect(after.map(([v]) => v)).toEqual(['b', 'b', 'b', 'b']);
      expect(new Set(after.map(([, pid]) => pid))).toEqual(new Set(before.map(([, pid]) => pid)));
    } finally {
      await debian.stop();
    }
  });

  it('fails with a clear error when the socket does not exist', async () => {
    const missing = path.join(stack.socketDir, 'php74-fpm.sock');
    await expectFastCgiError(resetOpcache(missing, resetScript, 1000), FASTCGI_FAILURE.socketMissing, /php74-fpm\.sock does not exist/);
  });

  it('fails with the HTTP status and PHP-FPM message when the script is not there', async () => {
    const absent = path.join(stack.sharedRoot, 'config', 'absent.php');
    await expectFastCgiError(resetOpcache(stack.fpmSocket, absent, 5000), FASTCGI_FAILURE.status, /answered 404.*Primary script unknown/);
  });

  it('refuses to reset when reached without the wofleet parameter (e.g. through a web server)', async () => {
    await expectFastCgiError(runPhpScript(stack.fpmSocket, resetScript, { timeoutMs: 5000 }), FASTCGI_FAILURE.status, /answered 403/);
  });
});

describe('fastcgi client', () => {
  it('passes long, non-ASCII and many parameters intact (4-byte lengths, several PARAMS records)', async () => {
    const echo = writePhp(
      path.join(scriptsDir, 'echo.php'),
      "<?php header('X-Echo: yes'); echo json_encode(array_map(fn ($i) => $_SERVER['WOFLEET_' . $i], [1, 2, 3]));",
    );
    const values = [`${'x'.repeat(300)}-é`, 'y'.repeat(40_000), `ü${'z'.repeat(40_000)}`];

    const response = await runPhpScript(stack.fpmSocket, echo, {
      timeoutMs: 5000,
      params: { WOFLEET_1: values[0]!, WOFLEET_2: values[1]!, WOFLEET_3: values[2]! },
    });

    expect(response.status).toBe(200);
    expect(response.headers['x-echo']).toBe('yes');
    expect(JSON.parse(response.body)).toEqual(values);
  });

  it('refuses a single parameter PHP-FPM could not read (over 64 KiB)', async () => {
    const echo = path.join(scriptsDir, 'echo.php');
    await expectFastCgiError(
      runPhpScript(stack.fpmSocket, echo, { timeoutMs: 5000, params: { WOFLEET_1: 'x'.repeat(70_000) } }),
      FASTCGI_FAILURE.protocol,
      /WOFLEET_1 is too long/,
    );
  });

  it('gives up after the timeout when the pool does not answer', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wofleet-fcgi-'));
    const socketPath = path.join(dir, 'php82-fpm.sock');
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(socketPath, resolve));
    try {
      const started = Date.now();
      await expectFastCgiError(resetOpcache(socketPath, resetScript, 300), FASTCGI_FAILURE.timeout, /did not answer within 300 ms/);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      silent.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('listFpmSockets', () => {
  it('lists the pool sockets of the socket dir and ignores other files with the same name shape', async () => {
    fs.writeFileSync(path.join(stack.socketDir, 'php99-fpm.sock'), 'not a socket');

    expect(await listFpmSockets(stack.socketDir)).toEqual([stack.fpmSocket]);
    expect(await listFpmSockets(path.join(stack.root, 'no-such-dir'))).toEqual([]);
  });
});
