import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentService, versionClientInterceptor, type AgentServiceHandlers, type AgentStatus } from '@wofleet/proto';
import { createFleetCa, issueCertificate, WOFLEET_VERSION, type CertificateAndKey, type FleetCa } from '@wofleet/shared';
import { startAgentServer, type RunningAgentServer } from '../src/daemon/grpc/server.js';

/**
 * The agent judges the `wofleet-version` of every controller call before its handler
 * runs (docs/COMPATIBILITY.md): a controller of its own line or the next is served;
 * an older one, or one that sends no version (wofleet before 0.2.0), gets
 * FAILED_PRECONDITION saying to upgrade the controller first.
 */
let ca: FleetCa;
let controller: CertificateAndKey;
let agent: RunningAgentServer;
let handled = 0;
beforeAll(async () => {
  ca = await createFleetCa({ commonName: 'versions CA', validDays: 2 });
  controller = await issueCertificate({ ca, role: 'controller', name: 'ctl-1', validDays: 1 });
  const agentCert = await issueCertificate({ ca, role: 'agent', name: 'web-1', ipAddresses: ['127.0.0.1'], validDays: 1 });
  const handlers: Pick<AgentServiceHandlers, 'GetStatus'> = {
    GetStatus(_call, callback) {
      handled++;
      callback(null, { serverId: 'web-1', agentVersion: WOFLEET_VERSION });
    },
  };
  agent = await startAgentServer('127.0.0.1:0', { caPem: ca.certPem, ...agentCert }, handlers as AgentServiceHandlers);
});
afterAll(() => {
  agent?.server.forceShutdown();
});

function getStatus(version: string | 'none'): Promise<AgentStatus> {
  const { Client } = loadAgentService();
  const client = new Client(
    `127.0.0.1:${agent.port}`,
    credentials.createSsl(Buffer.from(ca.certPem), Buffer.from(controller.keyPem), Buffer.from(controller.certPem), {
      checkServerIdentity: () => undefined,
    }),
    { 'grpc.ssl_target_name_override': 'wofleet-agent', interceptors: version === 'none' ? [] : [versionClientInterceptor(version)] },
  );
  return new Promise((resolve, reject) =>
    client.GetStatus({}, (err: ServiceError | null, value?: AgentStatus) => {
      client.close();
      if (err || !value) reject(err);
      else resolve(value);
    }),
  );
}

describe('the agent judges the controller version of every call', () => {
  it('answers a controller of its own line and of the next, reporting its version', async () => {
    expect((await getStatus(WOFLEET_VERSION)).agentVersion).toBe(WOFLEET_VERSION);
    expect((await getStatus('0.3.0')).agentVersion).toBe(WOFLEET_VERSION);
  });

  it.each([
    ['none', 'refuses controller 0.1.0 (it sent no wofleet-version: wofleet before 0.2.0)'],
    ['0.1.9', 'refuses controller 0.1.9'],
    ['0.4.0', 'refuses controller 0.4.0'],
  ])('refuses a controller sending %s before the handler runs', async (version, words) => {
    const before = handled;
    const err = await getStatus(version).then(
      () => {
        throw new Error('the call succeeded');
      },
      (e: ServiceError) => e,
    );
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.details).toContain(`wofleet-agent ${WOFLEET_VERSION} ${words}`);
    expect(err.details).toContain('(docs/COMPATIBILITY.md)');
    expect(handled).toBe(before);
  });
});
