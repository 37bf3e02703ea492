import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLoggerTo, prettyLogLine, resolveLogFormat, UsageError } from '../src/index.js';

/** Log formats: journald priorities, a human line for terminals, JSON otherwise. */
const captured = () => {
  const lines: string[] = [];
  return { lines, sink: { write: (text: string) => lines.push(text) } };
};

describe('resolveLogFormat', () => {
  const pipe = { isTTY: false, identity: '25:1234' };
  it.each([
    [{}, pipe, 'json'],
    [{}, { ...pipe, isTTY: true }, 'pretty'],
    [{ JOURNAL_STREAM: '25:1234' }, pipe, 'journal'],
    // Inherited from a unit, but this stderr is elsewhere (a file, a terminal).
    [{ JOURNAL_STREAM: '25:9999' }, pipe, 'json'],
    [{ JOURNAL_STREAM: '25:9999' }, { ...pipe, isTTY: true }, 'pretty'],
    [{ WOFLEET_LOG_FORMAT: 'json' }, { ...pipe, isTTY: true }, 'json'],
    [{ WOFLEET_LOG_FORMAT: 'pretty' }, pipe, 'pretty'],
    [{ WOFLEET_LOG_FORMAT: 'journal' }, pipe, 'journal'],
  ] as const)('%j with stderr %j is %s', (env, stderr, expected) => {
    expect(resolveLogFormat(env, stderr)).toBe(expected);
  });

  it('refuses an unknown WOFLEET_LOG_FORMAT in one line', () => {
    expect(() => resolveLogFormat({ WOFLEET_LOG_FORMAT: 'xml' }, pipe)).toThrow(
      new UsageError("invalid WOFLEET_LOG_FORMAT 'xml': json, pretty or journal"),
    );
  });
});

describe('journal format', () => {
  it("prefixes each JSON line with the syslog priority of pino's level", () => {
    const { lines, sink } = captured();
    const log = createLoggerTo('wofleet-agent', 'trace', 'journal', sink);
    log.trace('t');
    log.debug('d');
    log.info({ serverId: 'web-1' }, 'i');
    log.warn('w');
    log.error('e');
    log.fatal('f');
    expect(lines.map((l) => l.slice(0, 3))).toEqual(['<7>', '<7>', '<6>', '<4>', '<3>', '<2>']);
    expect(JSON.parse(lines[2]!.slice(3))).toMatchObject({ level: 30, name: 'wofleet-agent', serverId: 'web-1', msg: 'i' });
    expect(lines.every((l) => l.endsWith('}\n') && l.indexOf('\n') === l.length - 1)).toBe(true);
  });

  it('takes the priority of each record from its own level, child loggers included', () => {
    const { lines, sink } = captured();
    const child = createLoggerTo('wofleet-controller', 'info', 'journal', sink).child({ campaignId: 'c1' });
    child.error('halted');
    child.info('running');
    expect(lines.map((l) => l.slice(0, 3))).toEqual(['<3>', '<6>']);
  });
});

describe('pretty format', () => {
  it('writes time, level, name, message and fields on one line, the error stack below', () => {
    const { lines, sink } = captured();
    const log = createLoggerTo('wofleet-controller', 'info', 'pretty', sink);
    log.warn(
      { url: 'https://hooks.example/x', attempt: 2, labels: { region: 'eu' }, reason: 'HTTP 500 from hook' },
      'webhook delivery failed',
    );
    log.error({ err: new Error('boom') }, 'pass failed');
    expect(lines[0]).toMatch(
      /^\d{2}:\d{2}:\d{2}\.\d{3} WARN {2}wofleet-controller: webhook delivery failed url=https:\/\/hooks\.example\/x attempt=2 labels=\{"region":"eu"\} reason="HTTP 500 from hook"\n$/,
    );
    expect(lines[1]).toMatch(/^\S+ ERROR wofleet-controller: pass failed\n {4}Error: boom\n {4}at /);
  });

  it('colours the level on a terminal and strips escape sequences a field carried', () => {
    const line = prettyLogLine(
      { level: 50, time: 0, name: 'n', msg: 'agent said \u001b[2Jhi', site: 'a\u001b]0;x\u0007.test' },
      { color: true },
    );
    expect(line).toContain('\u001b[31mERROR\u001b[0m');
    expect(line).toContain('agent said hi');
    expect(line).toContain('site=a.test');
    expect(line).not.toContain('\u001b[2J');
  });
});

describe('createLogger in a process', () => {
  const LOGGER = path.join(path.dirname(fileURLToPath(import.meta.url)), '../dist/logger.js');
  const run = (format: string) =>
    promisify(execFile)(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { createLogger } = await import(${JSON.stringify(LOGGER)}); createLogger('w', 'info').warn('bye'); process.exit(3);`,
      ],
      { env: { PATH: process.env.PATH, WOFLEET_LOG_FORMAT: format } },
    ).catch((err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }));

  it('writes on stderr synchronously: the line is there though the process exits at once', async () => {
    const journal = await run('journal');
    expect(journal).toMatchObject({ code: 3 });
    expect(journal.stderr).toMatch(/^<4>\{"level":40,.*"msg":"bye"\}\n$/);
    expect((await run('pretty')).stderr).toMatch(/^\S+ WARN {2}w: bye\n$/);
  });

  // The workspace's Node (24, under pnpm) and the one a shell on this machine runs (Debian's 20):
  // a plain fstat of a pipe left Node 20's realpath cache answering with the symlinked path,
  // and grpc-js, imported later, then failed to find its own dependencies.
  const nodes = [...new Set([process.execPath, '/usr/bin/node'])].filter((node) => existsSync(node));
  it.each(nodes)('leaves later imports resolving through pnpm symlinks when stderr is a pipe (%s)', async (node) => {
    const { stdout } = await promisify(execFile)(
      node,
      [
        '--input-type=module',
        '-e',
        `const { createLogger } = await import(${JSON.stringify(LOGGER)}); createLogger('w'); console.log(import.meta.resolve('yaml'));`,
      ],
      { cwd: path.dirname(LOGGER), env: { PATH: process.env.PATH } },
    );
    expect(stdout).toContain('/node_modules/.pnpm/yaml@');
  });
});
