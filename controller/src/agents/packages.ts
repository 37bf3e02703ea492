import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { releaseLine, runCommand, StateError, UsageError, printable, type CommandRunner } from '@wofleet/shared';
import type { ControllerContext } from '../context/index.js';
import {
  findAgentPackage,
  insertAgentPackage,
  listAgentPackages,
  readAgentPackageChunk,
  recordAuditEvent,
  type AgentPackageRow,
} from '../db/index.js';

/**
 * The wofleet-agent packages the controller holds for `wofleet agents upgrade`: added
 * from a .deb (its name, version and architecture read by dpkg-deb, its SHA-256
 * computed here), kept in the database in 1 MiB chunks, and streamed to agents.
 */

export const AUDIT_AGENT_PACKAGE_ADDED = 'agent-package-added';
export const PACKAGE_NAME = 'wofleet-agent';
export const PACKAGE_CHUNK_BYTES = 1024 * 1024;
/** A package over this is refused (the agent's bundled runtime is ~40 MB). */
export const MAX_PACKAGE_BYTES = 512 * 1024 * 1024;

export interface DebControl {
  package: string;
  version: string;
  architecture: string;
}

/** The control fields of a .deb, by `dpkg-deb -f`; UsageError when the file is not a .deb. */
export async function readDebControl(file: string, run: CommandRunner = runCommand): Promise<DebControl> {
  const r = await run('dpkg-deb', ['-f', file, 'Package', 'Version', 'Architecture']).catch((err: unknown) => {
    throw new UsageError(`not a Debian package (dpkg-deb -f could not read it): ${printable(String(file))}`, { cause: err });
  });
  const fields = new Map(r.stdout.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
  return { package: fields.get('Package') ?? '', version: fields.get('Version') ?? '', architecture: fields.get('Architecture') ?? '' };
}

/**
 * Records the package in `file` (a .deb of wofleet-agent). The same version added again
 * with the same bytes answers the recorded one; with other bytes it is refused: agents
 * and rollbacks rely on a version naming one package.
 */
export async function addAgentPackage(ctx: ControllerContext, file: string, actor: string): Promise<AgentPackageRow> {
  const control = await readDebControl(file);
  if (control.package !== PACKAGE_NAME)
    throw new UsageError(
      `the package is ${printable(control.package) || 'unnamed'}, not ${PACKAGE_NAME}: only agent packages are rolled out`,
    );
  if (!releaseLine(control.version))
    throw new UsageError(`the package's version '${printable(control.version)}' is not a wofleet version (x.y.z)`);
  const { sha256, size } = await digestOf(file);
  const existing = await findAgentPackage(ctx.db, control.version);
  if (existing) {
    if (existing.sha256 === sha256) return existing;
    throw new StateError(`${PACKAGE_NAME} ${control.version} is already held with sha256 ${existing.sha256}: a version names one package`);
  }
  const now = ctx.clock.now();
  const row = await insertAgentPackage(
    ctx.db,
    { version: control.version, sha256, sizeBytes: size, architecture: control.architecture, addedBy: actor },
    createReadStream(file, { highWaterMark: PACKAGE_CHUNK_BYTES }) as AsyncIterable<Buffer>,
    now,
  );
  await recordAuditEvent(ctx.db, {
    at: now,
    actor,
    kind: AUDIT_AGENT_PACKAGE_ADDED,
    subject: control.version,
    data: { sha256, sizeBytes: size },
  });
  ctx.log.info({ version: control.version, sha256, size }, 'agent package added');
  return row;
}

/** The most recently added first. */
export async function listPackages(ctx: ControllerContext): Promise<AgentPackageRow[]> {
  const rows = await listAgentPackages(ctx.db);
  return rows.sort((a, b) => b.addedAt.getTime() - a.addedAt.getTime());
}

/** A held package's bytes, in order; NotFound-style StateError when it is not held. */
export async function* packageBytes(ctx: ControllerContext, version: string): AsyncGenerator<Buffer> {
  if (!(await findAgentPackage(ctx.db, version)))
    throw new StateError(`the controller holds no ${PACKAGE_NAME} ${printable(version.slice(0, 80))} ('wofleet agents packages add')`);
  for (let seq = 0; ; seq++) {
    const chunk = await readAgentPackageChunk(ctx.db, version, seq);
    if (!chunk) return;
    yield chunk;
  }
}

async function digestOf(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_PACKAGE_BYTES) throw new UsageError(`the package is over ${MAX_PACKAGE_BYTES} bytes: refused`);
    hash.update(chunk);
  }
  return { sha256: hash.digest('hex'), size };
}
