import { X509Certificate } from 'node:crypto';
import type { ServerUnaryCall } from '@grpc/grpc-js';
import {
  accessAllows,
  FLEET_ROLE,
  OPERATOR_ACCESS,
  operatorAccess,
  peerIdentity,
  type OperatorAccess,
  type PeerIdentity,
} from '@wofleet/shared';
import { certificateRecord } from '../ca/certificate-record.js';
import type { ControllerContext } from '../context/index.js';
import { isSerialRevoked, recordIssuedCertificate } from '../db/index.js';

/**
 * Who may call what. Enroll is open (authorised by its token). Every other method needs
 * a certificate of the fleet CA (TLS has verified it, or the call reports none: see
 * credentials.ts) that is not on the revocation list, checked in the database on
 * every call so a revocation made through any controller holds at once:
 * - operator methods: role operator, with at least the access level the method's row
 *   in OPERATOR_METHODS names (viewer reads, operator changes);
 * - agent methods (certificate renewal): role agent;
 * - ListRevocations: any fleet certificate (agents fetch the list with theirs).
 */
export type Caller = { ok: true; identity: PeerIdentity; serial: string; fingerprint: string } | { ok: false; reason: string };

/** Every operator method of ControllerService and RolloutService, with the least access level that may call it. */
export const OPERATOR_METHODS = {
  'ControllerService.ListServers': OPERATOR_ACCESS.viewer,
  'ControllerService.GetServer': OPERATOR_ACCESS.viewer,
  'ControllerService.ListSites': OPERATOR_ACCESS.viewer,
  'ControllerService.ListReleases': OPERATOR_ACCESS.viewer,
  'ControllerService.ListCertificates': OPERATOR_ACCESS.viewer,
  'ControllerService.ListAudit': OPERATOR_ACCESS.viewer,
  'ControllerService.ListAgentPackages': OPERATOR_ACCESS.viewer,
  'ControllerService.AddServer': OPERATOR_ACCESS.operator,
  'ControllerService.RemoveServer': OPERATOR_ACCESS.operator,
  'ControllerService.SyncServer': OPERATOR_ACCESS.operator,
  'ControllerService.UpdateServer': OPERATOR_ACCESS.operator,
  'ControllerService.AddRelease': OPERATOR_ACCESS.operator,
  'ControllerService.AddAgentPackage': OPERATOR_ACCESS.operator,
  'ControllerService.UpgradeAgents': OPERATOR_ACCESS.operator,
  'ControllerService.IssueEnrollmentToken': OPERATOR_ACCESS.operator,
  'ControllerService.RevokeCertificate': OPERATOR_ACCESS.operator,
  'RolloutService.PlanRollout': OPERATOR_ACCESS.viewer,
  'RolloutService.GetRollout': OPERATOR_ACCESS.viewer,
  'RolloutService.ListRollouts': OPERATOR_ACCESS.viewer,
  'RolloutService.WatchRollout': OPERATOR_ACCESS.viewer,
  'RolloutService.StartRollout': OPERATOR_ACCESS.operator,
  'RolloutService.ActOnRollout': OPERATOR_ACCESS.operator,
} as const satisfies Record<string, OperatorAccess>;
export type OperatorMethod = keyof typeof OPERATOR_METHODS;

type AuthenticatedCall = Pick<ServerUnaryCall<unknown, unknown>, 'getAuthContext'>;

/** The caller of an operator method, allowed by its certificate's role, access level and revocation state. */
export async function operatorCaller(ctx: ControllerContext, call: AuthenticatedCall, method: OperatorMethod): Promise<Caller> {
  const admitted = await admittedCertificate(ctx, call, 'operators need one: wofleet ca issue-operator');
  if (!admitted.ok) return admitted;
  const { identity, cert } = admitted;
  if (identity.role !== FLEET_ROLE.operator) {
    return { ok: false, reason: `the client certificate belongs to ${identity.role} ${identity.name}, not an operator` };
  }
  const access = operatorAccess(cert);
  if (access === undefined) return { ok: false, reason: 'the operator certificate names an unknown access level' };
  const needed = OPERATOR_METHODS[method];
  if (!accessAllows(access, needed)) {
    return { ok: false, reason: `operator ${identity.name} has ${access} access; ${method.split('.')[1]} needs ${needed}` };
  }
  return admitted;
}

/** The caller of an agent method: a certificate of role agent, not revoked. */
export async function agentCaller(ctx: ControllerContext, call: AuthenticatedCall): Promise<Caller> {
  const admitted = await admittedCertificate(ctx, call, 'agents get one with wofleet-agent enroll');
  if (!admitted.ok) return admitted;
  if (admitted.identity.role !== FLEET_ROLE.agent) {
    return { ok: false, reason: `the client certificate belongs to ${admitted.identity.role} ${admitted.identity.name}, not an agent` };
  }
  return admitted;
}

/** Any fleet certificate that is not revoked. */
export async function fleetCaller(ctx: ControllerContext, call: AuthenticatedCall): Promise<Caller> {
  return admittedCertificate(ctx, call, 'every fleet member has one');
}

/** The serials of offline-issued certificates this process has recorded, per database. */
const recordedSerials = new WeakMap<object, Set<string>>();

async function admittedCertificate(
  ctx: ControllerContext,
  call: AuthenticatedCall,
  hint: string,
): Promise<(Caller & { ok: false }) | { ok: true; identity: PeerIdentity; serial: string; fingerprint: string; cert: X509Certificate }> {
  const raw = call.getAuthContext().sslPeerCertificate?.raw;
  if (!raw) return { ok: false, reason: `no client certificate of the fleet CA (${hint})` };
  const identity = peerIdentity(raw);
  if (!identity) return { ok: false, reason: 'the client certificate is not marked with a fleet role' };
  const cert = new X509Certificate(raw);
  const record = certificateRecord(cert);
  if (await isSerialRevoked(ctx.db, record.serial)) {
    return { ok: false, reason: `the client certificate (serial ${record.serial}) has been revoked` };
  }
  // Operator and controller certificates are issued offline: the controller learns of
  // them here, so `certs list` shows every certificate that has been used. Once per
  // certificate and process: the write is idempotent, and an insert on every call
  // doubled the database round trips of each `servers list` page.
  if (identity.role !== FLEET_ROLE.agent) {
    const recorded = recordedSerials.get(ctx.db) ?? new Set<string>();
    recordedSerials.set(ctx.db, recorded);
    if (!recorded.has(record.serial)) {
      await recordIssuedCertificate(ctx.db, record, ctx.clock.now());
      recorded.add(record.serial);
    }
  }
  return { ok: true, identity, serial: record.serial, fingerprint: record.fingerprint, cert };
}
