import type { Metadata } from '@grpc/grpc-js';
import type { ControllerServiceHandlers } from '@wofleet/proto';
import { UsageError } from '@wofleet/shared';
import { operatorActor, type ControllerContext } from '../context/index.js';
import { addRelease, listReleaseRows } from '../releases/catalog.js';
import { showServer, type AgentDialer } from '../servers/live.js';
import { addServer, listServerRows, removeServerRow } from '../servers/registry.js';
import { listFleetSites } from '../sites/fleet-sites.js';
import { syncServerSites } from '../sites/sync.js';
import { enrollAgent } from '../enrollment/enroll.js';
import { TOKEN_TTL_METADATA_KEY } from '../grpc/metadata.js';
import { openUnary, operatorUnary } from './unary.js';
import { toWireRelease, toWireServer, toWireSite } from './wire.js';

function tokenTtlMs(metadata: Metadata): number | undefined {
  const [value] = metadata.get(TOKEN_TTL_METADATA_KEY);
  if (value === undefined) return undefined;
  const text = value.toString();
  if (!/^\d{1,9}$/.test(text)) throw new UsageError(`invalid ${TOKEN_TTL_METADATA_KEY} '${text}': whole seconds expected`);
  return Number(text) * 1000;
}

/** What the handlers reach beyond the context: the agents (for `servers show --live` and `servers sync`). */
export interface HandlerPorts {
  dialAgent: AgentDialer;
}

/** ControllerService: each method maps its message to one operation of servers/, releases/, sites/ or enrollment/. */
export function createControllerHandlers(ctx: ControllerContext, ports: HandlerPorts): ControllerServiceHandlers {
  return {
    Enroll: openUnary(ctx, async (request) => {
      const enrollment = await enrollAgent(ctx, {
        token: request.token,
        serverName: request.serverName,
        csrPem: request.csrPem,
        natsPublicKey: request.natsPublicKey || undefined,
      });
      return { certificatePem: enrollment.certPem, caPem: enrollment.caPem };
    }),

    AddServer: operatorUnary(ctx, async (request, operator, metadata) => {
      const added = await addServer(
        ctx,
        { name: request.name, address: request.address, labels: request.labels, canary: request.canary, tokenTtlMs: tokenTtlMs(metadata) },
        operatorActor(operator.name),
      );
      return { server: toWireServer(added.server), enrollmentToken: added.enrollmentToken, expiresAt: added.expiresAt.toISOString() };
    }),

    ListServers: operatorUnary(ctx, async (request) => ({
      servers: (await listServerRows(ctx, request.labels)).map(toWireServer),
    })),

    GetServer: operatorUnary(ctx, async (request) => {
      const view = await showServer(ctx, request.name, request.live ? { dial: ports.dialAgent } : undefined);
      return { server: toWireServer(view.server), status: view.status, liveError: view.liveError ?? '' };
    }),

    RemoveServer: operatorUnary(ctx, async (request, operator) => {
      await removeServerRow(ctx, request.name, operatorActor(operator.name));
      return {};
    }),

    SyncServer: operatorUnary(ctx, async (request, operator) => {
      const synced = await syncServerSites(ctx, request.name, ports.dialAgent, operatorActor(operator.name));
      return { sites: synced.sites.map(toWireSite), removed: synced.removed };
    }),

    ListSites: operatorUnary(ctx, async (request) => ({
      sites: (await listFleetSites(ctx, { server: request.server, version: request.version })).map(toWireSite),
    })),

    AddRelease: operatorUnary(ctx, async (request, operator) =>
      toWireRelease(
        await addRelease(ctx, { version: request.version, url: request.url, digest: request.digest }, operatorActor(operator.name)),
      ),
    ),

    ListReleases: operatorUnary(ctx, async () => ({ releases: (await listReleaseRows(ctx)).map(toWireRelease) })),
  };
}
