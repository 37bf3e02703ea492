import type { Metadata } from '@grpc/grpc-js';
import { CANARY_CHANGE, type CanaryChange, type ControllerServiceHandlers } from '@wofleet/proto';
import { UsageError } from '@wofleet/shared';
import { operatorActor, type ControllerContext } from '../context/index.js';
import { campaignTargetsOfServer } from '../campaign-store/removed-server.js';
import { addRelease, listReleaseRows } from '../releases/catalog.js';
import { showServer, type AgentDialer } from '../servers/live.js';
import { addServer, issueEnrollmentToken, listServerRows, removeServerRow, updateServerRow } from '../servers/registry.js';
import { listCertificates, revokeCertificates, revokedSerials, revokeTarget } from '../ca/revocation.js';
import { renewAgentCertificate } from '../enrollment/renew.js';
import { agentCaller, fleetCaller } from './authorize.js';
import { listFleetSites } from '../sites/fleet-sites.js';
import { syncServerSites } from '../sites/sync.js';
import { enrollAgent } from '../enrollment/enroll.js';
import { TOKEN_TTL_METADATA_KEY } from '../grpc/metadata.js';
import { certifiedUnary, openUnary, operatorUnary } from './unary.js';
import { cutPage, pageToRead } from './paging.js';
import { createPackageHandlers } from './package-handlers.js';
import { toWireAuditEvent, toWireCertificate, toWireRelease, toWireServer, toWireSite } from './wire.js';
import { listAuditTrail } from '../audit/trail.js';

function tokenTtlMs(metadata: Metadata): number | undefined {
  const [value] = metadata.get(TOKEN_TTL_METADATA_KEY);
  if (value === undefined) return undefined;
  const text = value.toString();
  if (!/^\d{1,9}$/.test(text)) throw new UsageError(`invalid ${TOKEN_TTL_METADATA_KEY} '${text}': whole seconds expected`);
  return Number(text) * 1000;
}

function canaryChange(change: CanaryChange): boolean | undefined {
  if (change === CANARY_CHANGE.CANARY_CHANGE_SET) return true;
  return change === CANARY_CHANGE.CANARY_CHANGE_CLEAR ? false : undefined;
}

/** What the handlers reach beyond the context: the agents (for `servers show --live` and `servers sync`). */
export interface HandlerPorts {
  dialAgent: AgentDialer;
}

/** ControllerService: each method maps its message to one operation of servers/, releases/, sites/, enrollment/ or audit/. */
export function createControllerHandlers(ctx: ControllerContext, ports: HandlerPorts): ControllerServiceHandlers {
  return {
    ...createPackageHandlers(ctx),
    Enroll: openUnary(ctx, async (request) => {
      const enrollment = await enrollAgent(ctx, {
        token: request.token,
        serverName: request.serverName,
        csrPem: request.csrPem,
        natsPublicKey: request.natsPublicKey || undefined,
        agentVersion: request.agentVersion || undefined,
      });
      return { certificatePem: enrollment.certPem, caPem: enrollment.caPem };
    }),

    RenewCertificate: certifiedUnary(ctx, agentCaller, async (request, caller) => {
      const renewal = await renewAgentCertificate(ctx, {
        server: caller.identity.name,
        presentedFingerprint: caller.fingerprint,
        csrPem: request.csrPem,
      });
      return { certificatePem: renewal.certPem, caPem: renewal.caPem, revokedSerials: renewal.revokedSerials };
    }),

    ListRevocations: certifiedUnary(ctx, fleetCaller, async () => ({ revokedSerials: await revokedSerials(ctx) })),

    IssueEnrollmentToken: operatorUnary(ctx, 'ControllerService.IssueEnrollmentToken', async (request, operator, metadata) => {
      const issued = await issueEnrollmentToken(
        ctx,
        { name: request.name, tokenTtlMs: tokenTtlMs(metadata) },
        operatorActor(operator.name),
      );
      return { server: toWireServer(issued.server), enrollmentToken: issued.enrollmentToken, expiresAt: issued.expiresAt.toISOString() };
    }),

    ListCertificates: operatorUnary(ctx, 'ControllerService.ListCertificates', async () => ({
      certificates: (await listCertificates(ctx)).map(toWireCertificate),
    })),

    RevokeCertificate: operatorUnary(ctx, 'ControllerService.RevokeCertificate', async (request, operator) => {
      return { revokedSerials: await revokeCertificates(ctx, revokeTarget(request), request.reason, operatorActor(operator.name)) };
    }),

    AddServer: operatorUnary(ctx, 'ControllerService.AddServer', async (request, operator, metadata) => {
      const added = await addServer(
        ctx,
        { name: request.name, address: request.address, labels: request.labels, canary: request.canary, tokenTtlMs: tokenTtlMs(metadata) },
        operatorActor(operator.name),
      );
      return { server: toWireServer(added.server), enrollmentToken: added.enrollmentToken, expiresAt: added.expiresAt.toISOString() };
    }),

    ListServers: operatorUnary(ctx, 'ControllerService.ListServers', async (request) => {
      const { size, after } = pageToRead(request, 1);
      const rows = await listServerRows(ctx, request.labels, { after: after?.[0], limit: size + 1 });
      const page = cutPage(rows, size, (row) => [row.name]);
      return { servers: page.rows.map(toWireServer), nextPageToken: page.nextPageToken };
    }),

    UpdateServer: operatorUnary(ctx, 'ControllerService.UpdateServer', async (request, operator) => {
      const row = await updateServerRow(
        ctx,
        {
          name: request.name,
          setLabels: request.setLabels,
          removeLabels: request.removeLabels,
          canary: canaryChange(request.canary),
          address: request.address === '' ? undefined : request.address,
        },
        operatorActor(operator.name),
      );
      return { server: toWireServer(row) };
    }),

    GetServer: operatorUnary(ctx, 'ControllerService.GetServer', async (request) => {
      const view = await showServer(ctx, request.name, request.live ? { dial: ports.dialAgent } : undefined);
      return { server: toWireServer(view.server), status: view.status, liveError: view.liveError ?? '' };
    }),

    RemoveServer: operatorUnary(ctx, 'ControllerService.RemoveServer', async (request, operator) => {
      await removeServerRow(ctx, request.name, operatorActor(operator.name), { force: request.force, targets: campaignTargetsOfServer });
      return {};
    }),

    SyncServer: operatorUnary(ctx, 'ControllerService.SyncServer', async (request, operator) => {
      const synced = await syncServerSites(ctx, request.name, ports.dialAgent, operatorActor(operator.name));
      return { sites: synced.sites.map(toWireSite), removed: synced.removed };
    }),

    ListSites: operatorUnary(ctx, 'ControllerService.ListSites', async (request) => {
      const { size, after } = pageToRead(request, 2);
      const [server, domain] = after ?? [];
      const rows = await listFleetSites(
        ctx,
        { server: request.server, version: request.version },
        { after: server === undefined || domain === undefined ? undefined : { server, domain }, limit: size + 1 },
      );
      const page = cutPage(rows, size, (row) => [row.server, row.domain]);
      return { sites: page.rows.map(toWireSite), nextPageToken: page.nextPageToken };
    }),

    AddRelease: operatorUnary(ctx, 'ControllerService.AddRelease', async (request, operator) =>
      toWireRelease(
        await addRelease(ctx, { version: request.version, url: request.url, digest: request.digest }, operatorActor(operator.name)),
      ),
    ),

    ListReleases: operatorUnary(ctx, 'ControllerService.ListReleases', async (request) => {
      const { size, after } = pageToRead(request, 1);
      const page = cutPage(await listReleaseRows(ctx, { after: after?.[0], limit: size + 1 }), size, (row) => [row.version]);
      return { releases: page.rows.map(toWireRelease), nextPageToken: page.nextPageToken };
    }),

    ListAudit: operatorUnary(ctx, 'ControllerService.ListAudit', async (request) => ({
      events: (await listAuditTrail(ctx, request)).map(toWireAuditEvent),
    })),
  };
}
