import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCampaignRequest, type GateCheckTarget, type GateChecks } from '../src/campaigns/index.js';
import { createGateCheckRunner } from '../src/gate-checks/index.js';
import { hostOfAddress } from '../src/config/address.js';
import { MAX_BODY_BYTES } from '../src/gate-checks/http-check.js';
import { requestText } from './campaigns.fixtures.js';

/**
 * The external gate on this host: HTTP checks against a real HTTP server on 127.0.0.1
 * (reached with connect=server, as behind a load balancer), command checks running
 * real programs (node scripts) with the server and its sites on stdin.
 */
describe('external gate checks', () => {
  let server: Server;
  let port: number;
  let dir: string;
  const hosts: string[] = [];
  const gate = createGateCheckRunner();
  const signal = new AbortController().signal;

  /** The checks as `rollout start` flags give them. */
  const checks = (flags: { http?: string[]; command?: string[]; timeout?: string }): GateChecks =>
    parseCampaignRequest(requestText({ checkHttp: flags.http ?? [], checkCommand: flags.command ?? [], checkTimeout: flags.timeout ?? '' }))
      .checks;

  const target = (domains: string[], ssl = false): GateCheckTarget => ({
    campaignId: 'c-1',
    release: '6.5.5',
    server: { name: 'web-2', address: '127.0.0.1:7443', labels: { dc: 'fra1' } },
    sites: domains.map((domain) => ({ domain, ssl })),
  });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'wofleet-gate-'));
    server = createServer((req, res) => {
      const host = req.headers.host ?? '';
      hosts.push(`${host} ${req.url}`);
      if (host === 'down.test') res.writeHead(500).end('<h1>Error establishing a database connection</h1>');
      else if (host === 'slow.test') setTimeout(() => res.writeHead(200).end('late'), 1_000);
      else if (host === 'huge.test') {
        res.writeHead(200);
        // Twice the bound, then a marker the check never reads.
        res.write(Buffer.alloc(2 * MAX_BODY_BYTES, 'x'));
        res.end('END-MARKER');
      } else res.writeHead(200, { 'content-type': 'text/html' }).end(`<title>Shop ${req.url}</title>`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('passes when every site answers the status and body expected, each asked by its own name at the server', async () => {
    hosts.length = 0;
    const http = [`path=/shop/?x=1,status=200,connect=server:${port},body=<title>Shop /shop/\\?x=1</title>`];
    expect(await gate.run(checks({ http }), target(['a.test', 'b.test']), signal)).toBeUndefined();
    expect(hosts.sort()).toEqual(['a.test /shop/?x=1', 'b.test /shop/?x=1']);
  });

  it('fails on the first site with another status, counting the others that failed', async () => {
    const failure = await gate.run(checks({ http: [`connect=server:${port}`] }), target(['a.test', 'down.test', 'down.test']), signal);
    expect(failure).toBe(`--check-http GET http://down.test/ via 127.0.0.1:${port}: status 500, expected 200 (and 1 more sites)`);
  });

  it('fails a body that does not match, an answer slower than max-ms, and a body only past the read bound', async () => {
    const via = `connect=server:${port}`;
    expect(await gate.run(checks({ http: [`${via},body=Checkout`] }), target(['a.test']), signal)).toBe(
      `--check-http GET http://a.test/ via 127.0.0.1:${port}: body does not match /Checkout/`,
    );
    expect(await gate.run(checks({ http: [`${via},max-ms=200`] }), target(['slow.test']), signal)).toBe(
      `--check-http GET http://slow.test/ via 127.0.0.1:${port}: no answer within 200 ms`,
    );
    expect(await gate.run(checks({ http: [`${via},body=END-MARKER`] }), target(['huge.test']), signal)).toBe(
      `--check-http GET http://huge.test/ via 127.0.0.1:${port}: body does not match /END-MARKER/`,
    );
  });

  it('holds max-ms while the garbage collector runs (AbortSignal.timeout inside AbortSignal.any did not)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const collecting = setInterval(gc, 5);
    try {
      // Without the bound the answer comes after 1 s: "answered in 1000 ms, over max-ms 200".
      expect(await gate.run(checks({ http: [`connect=server:${port},max-ms=200`] }), target(['slow.test']), signal)).toBe(
        `--check-http GET http://slow.test/ via 127.0.0.1:${port}: no answer within 200 ms`,
      );
    } finally {
      clearInterval(collecting);
    }
  });

  it('asks an SSL site over https (here a plain HTTP server: the TLS handshake fails)', async () => {
    const failure = await gate.run(checks({ http: [`connect=server:${port}`] }), target(['a.test'], true), signal);
    expect(failure).toMatch(new RegExp(`^--check-http GET https://a\\.test/ via 127\\.0\\.0\\.1:${port}: .+`));
  });

  it('refuses a connection nobody listens on, naming it', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await gate.run(checks({ http: [`connect=server:${closedPort}`] }), target(['a.test']), signal)).toBe(
      `--check-http GET http://a.test/ via 127.0.0.1:${closedPort}: connect ECONNREFUSED 127.0.0.1:${closedPort}`,
    );
  });

  it('runs a command with the campaign, release, server and sites as JSON on stdin; exit 0 passes', async () => {
    const script = path.join(dir, 'record.mjs');
    const seen = path.join(dir, 'seen.json');
    await writeFile(script, `import { readFileSync, writeFileSync } from 'node:fs';\nwriteFileSync(process.argv[2], readFileSync(0));\n`);
    const target2 = {
      ...target(['a.test']),
      sites: [
        { domain: 'a.test', ssl: true },
        { domain: 'b.test', ssl: false },
      ],
    };
    expect(await gate.run(checks({ command: [`${process.execPath} ${script} ${seen}`] }), target2, signal)).toBeUndefined();
    expect(JSON.parse(await readFile(seen, 'utf8'))).toEqual({
      campaign: 'c-1',
      release: '6.5.5',
      server: { name: 'web-2', address: '127.0.0.1:7443', labels: { dc: 'fra1' } },
      sites: [
        { domain: 'a.test', url: 'https://a.test/' },
        { domain: 'b.test', url: 'http://b.test/' },
      ],
    });
  });

  it('fails a command that exits non-zero with its last stderr line, and one that outlives --check-timeout', async () => {
    const failing = path.join(dir, 'fail.mjs');
    await writeFile(failing, `console.log('checked 12 pages');\nconsole.error('checkout: 502 from /cart/');\nprocess.exit(3);\n`);
    const failure = await gate.run(checks({ command: [`${process.execPath} ${failing}`] }), target(['a.test']), signal);
    expect(failure).toBe(`--check-command ${process.execPath} ${failing} exited with code 3: checkout: 502 from /cart/`);

    const hanging = path.join(dir, 'hang.mjs');
    await writeFile(hanging, 'setTimeout(() => {}, 60_000);\n');
    const started = Date.now();
    const timedOut = await gate.run(checks({ command: [`${process.execPath} ${hanging}`], timeout: '1s' }), target(['a.test']), signal);
    expect(timedOut).toBe(`--check-command ${process.execPath} ${hanging} timed out after 1000 ms`);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('reads the host of an inventory address', () => {
    expect(hostOfAddress('web-2.example.net:7443')).toBe('web-2.example.net');
    expect(hostOfAddress('[2001:db8::2]:7443')).toBe('2001:db8::2');
    expect(hostOfAddress('10.0.0.2')).toBe('10.0.0.2');
  });
});
