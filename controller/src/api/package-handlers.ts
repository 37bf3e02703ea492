import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { status, type sendUnaryData, type ServerReadableStream, type ServerWritableStream } from '@grpc/grpc-js';
import type {
  AgentPackageChunk,
  AgentPackageChunkInput,
  AgentPackageInput,
  ControllerServiceHandlers,
  FetchAgentPackageRequest,
} from '@wofleet/proto';
import { printable, UsageError, versionRefusal, WOFLEET_VERSION } from '@wofleet/shared';
import { addAgentPackage, listPackages, MAX_PACKAGE_BYTES, packageBytes } from '../agents/packages.js';
import { operatorActor, type ControllerContext } from '../context/index.js';
import { createCampaignRepository } from '../campaign-store/index.js';
import { parseCampaignRequest, startAgentUpgrade } from '../campaigns/index.js';
import { toRequestText, toWireRollout } from './rollout-wire.js';
import type { AgentPackageRow } from '../db/index.js';
import { agentCaller, operatorCaller, type Caller } from './authorize.js';
import { toServiceError } from './status-codes.js';
import { logged, operatorUnary } from './unary.js';

type PackageMethods = Pick<ControllerServiceHandlers, 'AddAgentPackage' | 'ListAgentPackages' | 'FetchAgentPackage' | 'UpgradeAgents'>;

/** The agent-package methods of ControllerService: operators add and list them and roll them out, agents fetch them. */
export function createPackageHandlers(ctx: ControllerContext): PackageMethods {
  const failed = (err: unknown) => logged(ctx, toServiceError(err), err);
  const campaigns = { repository: createCampaignRepository(ctx.db), clock: ctx.clock, log: ctx.log };
  return {
    UpgradeAgents: operatorUnary(ctx, 'ControllerService.UpgradeAgents', async (request, operator) => {
      const held = (await listPackages(ctx)).map(({ version, sha256 }) => ({ version, sha256 }));
      const to = held.find((p) => p.version === request.version);
      if (!to)
        throw new UsageError(
          `the controller holds no wofleet-agent ${printable(request.version.slice(0, 80))} ('wofleet agents packages add')`,
        );
      // An upgrade must not leave agents this controller refuses to talk to (docs/COMPATIBILITY.md).
      const refusal = versionRefusal({ role: 'controller', peer: 'agent' }, WOFLEET_VERSION, to.version);
      if (refusal !== undefined) throw new UsageError(`cannot upgrade agents to ${to.version}: ${refusal}`);
      if (!request.rollout) throw new UsageError('UpgradeAgents needs its rollout settings');
      const campaign = parseCampaignRequest(toRequestText({ ...request.rollout, release: to.version }));
      return toWireRollout(await startAgentUpgrade(campaigns, campaign, to, held, operatorActor(operator.name)));
    }),

    AddAgentPackage: (call: ServerReadableStream<AgentPackageChunk, AgentPackageInput>, callback: sendUnaryData<AgentPackageInput>) => {
      operatorCaller(ctx, call, 'ControllerService.AddAgentPackage')
        .then(async (caller) => {
          if (!caller.ok) return callback(denied(caller));
          callback(null, toWirePackage(await receivePackage(ctx, call, `operator:${caller.identity.name}`)));
        })
        .catch((err: unknown) => callback(failed(err)));
    },

    ListAgentPackages: operatorUnary(ctx, 'ControllerService.ListAgentPackages', async () => ({
      packages: (await listPackages(ctx)).map(toWirePackage),
    })),

    FetchAgentPackage: (call: ServerWritableStream<FetchAgentPackageRequest, AgentPackageChunkInput>) => {
      agentCaller(ctx, call)
        .then(async (caller) => {
          if (!caller.ok) return call.emit('error', denied(caller));
          for await (const data of packageBytes(ctx, call.request.version)) {
            if (call.cancelled) return;
            // Backpressure: the next chunk is read from the database once the stream has drained.
            if (!call.write({ data })) await new Promise((resolve) => call.once('drain', resolve));
          }
          call.end();
        })
        .catch((err: unknown) => call.emit('error', failed(err)));
    },
  };
}

function denied(caller: Caller & { ok: false }) {
  return { code: status.PERMISSION_DENIED, details: `permission denied: ${caller.reason}` };
}

/** The uploaded .deb into a temp file (bounded), then recorded. */
async function receivePackage(ctx: ControllerContext, call: ServerReadableStream<AgentPackageChunk, unknown>, actor: string) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wofleet-package-'));
  const file = path.join(dir, 'package.deb');
  try {
    let bytes = 0;
    const bounded = new Transform({
      objectMode: true,
      transform(chunk: AgentPackageChunk, _encoding, done) {
        bytes += chunk.data.length;
        done(bytes > MAX_PACKAGE_BYTES ? new UsageError(`the package is over ${MAX_PACKAGE_BYTES} bytes: refused`) : null, chunk.data);
      },
    });
    await pipeline(call, bounded, createWriteStream(file, { mode: 0o600 }));
    return await addAgentPackage(ctx, file, actor);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function toWirePackage(row: AgentPackageRow): AgentPackageInput {
  return {
    version: row.version,
    sha256: row.sha256,
    sizeBytes: row.sizeBytes,
    architecture: row.architecture,
    addedAt: row.addedAt.toISOString(),
  };
}
