import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { credentials, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadAgentService,
  versionClientInterceptor,
  type AgentServiceClient,
  type AgentServiceHandlers,
  type Operation,
  type OperationEvent,
} from '@wofleet/proto';
import { createFleetCa, issueCertificate, WOFLEET_VERSION } from '@wofleet/shared';
import { operationQueries } from '../src/daemon/grpc/operation-calls.js';
import { startAgentServer, type RunningAgentServer } from '../src/daemon/grpc/server.js';
import { OperationRegistry, type ProgressReporter } from '../src/operations/index.js';

/**
 * WatchOperation over real gRPC and mTLS, against the agent's own registry: the terminal
 * event carries the operation as GetOperation answers it, so the controller needs no
 * GetOperation after the stream (one call fewer per campaign step).
 */
let agent: RunningAgentServer;
let client: AgentServiceClient;
let operations: OperationRegistry;

beforeAll(async () => {
  const ca = await createFleetCa({ commonName: 'watch CA', validDays: 2 });
  const controller = await issueCertificate({ ca, role: 'controller', name: 'ctl-1', validDays: 1 });
  const agentCert = await issueCertificate({ ca, role: 'agent', name: 'web-1', ipAddresses: ['127.0.0.1'], validDays: 1 });
  operations = await OperationRegistry.open(path.join(await mkdtemp(path.join(os.tmpdir(), 'wofleet-watch-')), 'operations'));
  agent = await startAgentServer('127.0.0.1:0', { caPem: ca.certPem, ...agentCert }, operationQueries(operations) as AgentServiceHandlers);
  const { Client } = loadAgentService();
  client = new Client(
    `127.0.0.1:${agent.port}`,
    credentials.createSsl(Buffer.from(ca.certPem), Buffer.from(controller.keyPem), Buffer.from(controller.certPem), {
      checkServerIdentity: () => undefined,
    }),
    { 'grpc.ssl_target_name_override': 'wofleet-agent', interceptors: [versionClientInterceptor(WOFLEET_VERSION)] },
  );
});
afterAll(() => {
  client?.close();
  agent?.server.forceShutdown();
});

function watch(operationId: string): Promise<OperationEvent[]> {
  return new Promise((resolve, reject) => {
    const events: OperationEvent[] = [];
    const stream = client.WatchOperation({ operationId }, { deadline: new Date(Date.now() + 10_000) });
    stream.on('data', (event: OperationEvent) => events.push(event));
    stream.on('end', () => resolve(events));
    stream.on('error', reject);
  });
}

function getOperation(operationId: string): Promise<Operation> {
  return new Promise((resolve, reject) =>
    client.GetOperation({ operationId }, (err: ServiceError | null, value?: Operation) => (err || !value ? reject(err) : resolve(value))),
  );
}

describe('WatchOperation', () => {
  it('sends progress without the operation, then ends with a terminal event that carries it as GetOperation has it', async () => {
    let report: ProgressReporter = () => undefined;
    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const done = operations.run('op-slow', 'OPERATION_KIND_PRUNE', {}, async (progress) => {
      report = progress;
      started();
      await finished;
      return { removed: ['wp-6.4.5-20240101T000000Z'] };
    });
    await running;
    const watching = watch('op-slow');
    await new Promise((r) => setTimeout(r, 100));
    report('pruning');
    await new Promise((r) => setTimeout(r, 100));
    finish();
    await done;
    const events = await watching;

    expect(events.map((e) => e.state)).toEqual(['OPERATION_STATE_RUNNING', 'OPERATION_STATE_RUNNING', 'OPERATION_STATE_SUCCEEDED']);
    expect(events.slice(0, -1).map((e) => e.operation)).toEqual([null, null]);
    const final = events.at(-1)?.operation;
    expect(final?.state).toBe('OPERATION_STATE_SUCCEEDED');
    expect(JSON.parse(final?.resultJson ?? '')).toEqual({ removed: ['wp-6.4.5-20240101T000000Z'] });
    expect(final).toEqual(await getOperation('op-slow'));
  });

  it('of an operation already terminal: one event, carrying the operation with its error', async () => {
    await operations.run('op-failed', 'OPERATION_KIND_PRUNE', {}, async () => {
      throw new Error('disk full');
    });
    const events = await watch('op-failed');
    expect(events).toHaveLength(1);
    expect(events[0]?.operation?.state).toBe('OPERATION_STATE_FAILED');
    expect(events[0]?.operation?.error).toBe('disk full');
    expect(events[0]?.operation).toEqual(await getOperation('op-failed'));
  });
});
