import type { Command } from 'commander';
import { describeError, EXIT } from '@wofleet/shared';
import { withController } from './connect.js';
import { serverJson } from './json-view.js';
import { out, table } from './output.js';
import { readServerListFile } from './server-list-file.js';

/**
 * `servers add --from-file`: every server of the file registered with its own one-time
 * token. The file is checked whole first; then each server is added in turn, and one
 * the controller refuses (say, already registered) does not stop the others: the
 * answer lists what was added and what was refused, and the exit code is 1 if any was.
 */
export async function addServersFromFile(cmd: Command, file: string, ttlMs: number): Promise<void> {
  const servers = await readServerListFile(file);
  const r = await withController(cmd, async (api) => {
    const added = [];
    const refused = [];
    for (const server of servers) {
      try {
        const answer = await api.addServer(server, ttlMs);
        added.push({
          server: answer.server && serverJson(answer.server),
          enrollmentToken: answer.enrollmentToken,
          expiresAt: answer.expiresAt,
        });
      } catch (err) {
        refused.push({ name: server.name, error: describeError(err) });
      }
    }
    return { added, refused, controller: api.address, caFingerprint: api.caFingerprint };
  });
  out(cmd, { added: r.added, refused: r.refused, caFingerprint: r.caFingerprint }, () => [
    `added ${r.added.length} of ${servers.length} servers; each token is single use`,
    ...(r.added.length > 0
      ? table(
          ['NAME', 'EXPIRES', 'ENROLLMENT TOKEN'],
          r.added.map((a) => [a.server?.name ?? '?', a.expiresAt, a.enrollmentToken]),
        )
      : []),
    ...r.refused.map((f) => `refused ${f.name}: ${f.error}`),
    ...(r.added.length > 0
      ? [
          'on each server (agent config serverId: its name), as root, then paste its token:',
          `  wofleet-agent enroll --controller ${r.controller} --ca-fingerprint ${r.caFingerprint} --token-file -`,
        ]
      : []),
  ]);
  if (r.refused.length > 0) process.exitCode = EXIT.failure;
}
