import type { PeerCertificate } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createFleetCa, issueCertificate, type FleetCa } from '@wofleet/shared';
import { createControllerCheck, type AuthenticatedCall } from '../src/daemon/grpc/server.js';

/** A call whose TLS peer presented `certPem` (what grpc-js hands the check after the handshake). */
function callFrom(certPem: string | undefined): AuthenticatedCall {
  const raw = certPem === undefined ? undefined : new X509Certificate(certPem).raw;
  return { getAuthContext: () => ({ sslPeerCertificate: raw && ({ raw } as PeerCertificate) }) };
}

let ca: FleetCa;
beforeAll(async () => {
  ca = await createFleetCa({ commonName: 'check CA', validDays: 2 });
});

describe('controller check', () => {
  it('lets a controller through, every time it calls', async () => {
    const check = createControllerCheck();
    const { certPem } = await issueCertificate({ ca, role: 'controller', name: 'ctl-1', validDays: 1 });
    expect(check(callFrom(certPem))).toBeUndefined();
    expect(check(callFrom(certPem))).toBeUndefined();
  });

  it('refuses an agent certificate, also after a controller was let through', async () => {
    const check = createControllerCheck();
    const controller = await issueCertificate({ ca, role: 'controller', name: 'ctl-1', validDays: 1 });
    const agent = await issueCertificate({ ca, role: 'agent', name: 'web-1', validDays: 1 });
    expect(check(callFrom(controller.certPem))).toBeUndefined();
    expect(check(callFrom(agent.certPem))).toBe('client certificate belongs to agent web-1, not a controller');
    expect(check(callFrom(agent.certPem))).toBe('client certificate belongs to agent web-1, not a controller');
  });

  it('refuses a call without a client certificate', () => {
    expect(createControllerCheck()(callFrom(undefined))).toBe('no client certificate');
  });

  it('still tells certificates apart once more peers than it keeps have called', async () => {
    const check = createControllerCheck();
    const operator = await issueCertificate({ ca, role: 'operator', name: 'laptop', validDays: 1 });
    const controllers = await Promise.all(
      Array.from({ length: 70 }, (_, i) => issueCertificate({ ca, role: 'controller', name: `ctl-${i}`, validDays: 1 })),
    );
    for (const c of controllers) expect(check(callFrom(c.certPem))).toBeUndefined();
    expect(check(callFrom(operator.certPem))).toBe('client certificate belongs to operator laptop, not a controller');
    expect(check(callFrom(controllers[0]?.certPem))).toBeUndefined();
  });
});
