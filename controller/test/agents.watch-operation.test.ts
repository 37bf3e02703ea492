import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentService, type OperationEvent, type OperationInput } from '@wofleet/proto';
import { createFleetCa, issueCertificate, type CertificateAndKey, type FleetCa } from '@wofleet/shared';
import { connectAgent, type AgentApi } from '../src/agents/client.js';
import { certificateFingerprintHex } from '../src/ca/fingerprint.js';

/**
 * The controller follows an operation with WatchOperation and takes the operation from
 * the stream's terminal event; an agent that does not send it there (before it did) is
 * asked with GetOperation, as before. Real gRPC and mTLS; the agent side answers from a
 * table, counting the GetOperation calls.
 */
const succeeded: OperationInput = {
  id: 'op-1',
  kind: 'OPERATION_KIND_PRUNE',
  state: 'OPERATION_STATE_SUCCEEDED',
  resultJson: '{"removed":[]}',
  startedAt: '2026-12-06T00:00:00.000Z',
  finishedAt: '2026-12-06T00:00:01.000Z',
};

let ca: FleetCa;
let controllerTls: { caPem: string; certPem: string; keyPem: string };
let agentCert: CertificateAndKey;
let server: Server;
let port: number;
/** Whether the terminal event carries the operation (an agent of this version) or not (an older one). */
let carriesOperation = true;
let getOperationCalls = 0;

beforeAll(async () => {
  ca = await createFleetCa({ commonName: 'watch CA', validDays: 2 });
  const controller = await issueCertificate({ ca, role: 'controller', name: 'ctl-1', validDays: 1 });
  controllerTls = { caPem: ca.certPem, certPem: controller.certPem, keyPem: controller.keyPem };
  agentCert = await issueCertificate({ ca, role: 'agent', name: 'web-1', ipAddresses: ['127.0.0.1'], validDays: 1 });
  server = new Server();
  server.addService(loadAgentService().service, {
    GetOperation(_call: ServerUnaryCall<{ operationId: string }, OperationInput>, callback: sendUnaryData<OperationInput>) {
      getOperationCalls++;
      callback(null, { ...succeeded, progress: ['asked'] });
    },
    WatchOperation(call: ServerWritableStream<{ operationId: string }, unknown>) {
      call.write({ operationId: 'op-1', state: 'OPERATION_STATE_RUNNING', message: 'pruning', at: succeeded.startedAt });
      call.write({
        operationId: 'op-1',
        state: 'OPERATION_STATE_SUCCEEDED',
        message: 'done',
        at: succeeded.finishedAt,
        ...(carriesOperation ? { operation: { ...succeeded, progress: ['carried'] } } : {}),
      });
      call.end();
    },
  });
  const credentials = ServerCredentials.createSsl(
    Buffer.from(ca.certPem),
    [{ private_key: Buffer.from(agentCert.keyPem), cert_chain: Buffer.from(agentCert.certPem) }],
    true,
  );
  port = await new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (err, bound) => (err ? reject(err) : resolve(bound))),
  );
});
afterAll(() => {
  server?.forceShutdown();
});

async function watched(): Promise<{ progress: readonly string[]; events: string[] }> {
  const agent: AgentApi = connectAgent({ server: 'web-1', address: `127.0.0.1:${port}` }, controllerTls, async () => [
    certificateFingerprintHex(agentCert.certPem),
  ]);
  try {
    const events: string[] = [];
    const op = await agent.watchOperation('op-1', 10_000, { onEvent: (e: OperationEvent) => events.push(e.message) });
    expect(op.state).toBe('OPERATION_STATE_SUCCEEDED');
    expect(op.resultJson).toBe('{"removed":[]}');
    return { progress: op.progress, events };
  } finally {
    agent.close();
  }
}

describe('watchOperation', () => {
  it('takes the operation from the terminal event: no GetOperation after the stream', async () => {
    carriesOperation = true;
    getOperationCalls = 0;
    expect(await watched()).toEqual({ progress: ['carried'], events: ['pruning', 'done'] });
    expect(getOperationCalls).toBe(0);
  });

  it('asks GetOperation when the terminal event carries no operation (an older agent)', async () => {
    carriesOperation = false;
    getOperationCalls = 0;
    expect(await watched()).toEqual({ progress: ['asked'], events: ['pruning', 'done'] });
    expect(getOperationCalls).toBe(1);
  });
});
