import { describeError, loadTlsMaterial, TlsError, UsageError, WOFLEET_VERSION, type Logger } from '@wofleet/shared';
import { settleCredentialFiles } from '../certificates/credential-files.js';
import { openRevocationList } from '../certificates/revocation-list.js';
import { startCertificateUpkeep } from '../certificates/upkeep.js';
import { withServerLock } from '../commands/mutation.js';
import type { AgentConfig } from '../config/schema.js';
import { createEngine } from '../engine.js';
import { createOutbox } from '../events/outbox.js';
import { controllerPackageSource } from '../packages/controller-source.js';
import { EVENT_TYPE } from '../events/types.js';
import { OperationRegistry } from '../operations/index.js';
import { startHealthMonitor } from './health-monitor.js';
import { createAgentHandlers } from './grpc/handlers.js';
import { startAgentServer } from './grpc/server.js';
import { startNatsPublisher } from './nats/index.js';
import { heartbeatSummary } from './summary.js';
import { createStatusCache } from './status-cache.js';
import { releaseStartupMemory } from './startup-memory.js';

export interface RunningAgent {
  port: number;
  /** Graceful stop: refuse new work, let running operations finish, close everything. */
  stop(): Promise<void>;
}

/**
 * `wofleet-agent serve`: AgentService over mutual TLS for the controller,
 * heartbeats and events to NATS, a periodic health check, and the certificate's
 * upkeep (renewal before expiry, the revocation list). Operations a crash cut
 * short read INTERRUPTED; staging leftovers are cleaned before serving.
 */
export async function startAgent(config: AgentConfig, log: Logger): Promise<RunningAgent> {
  const { caFile, certFile, keyFile } = config.grpc;
  if (!caFile || !certFile || !keyFile) {
    throw new UsageError('serve needs grpc.caFile, grpc.certFile and grpc.keyFile in the config (see wofleet-agent enroll)');
  }
  await settleCredentialFiles({ certFile, keyFile });
  const tls = await loadTlsMaterial({ caFile, certFile, keyFile }, { expectRole: 'agent' }).catch((err: unknown) => {
    // Renewal needs the current certificate: once it has expired, only a new enrollment helps.
    if (err instanceof TlsError && err.message.includes('certificate expired')) {
      throw new TlsError(
        `${err.message}: it can no longer renew itself; re-enroll: 'wofleet servers token ${config.serverId}' on the controller, then 'wofleet-agent enroll --force' here`,
        { cause: err },
      );
    }
    throw err;
  });
  const revocations = await openRevocationList(config.stateDir);
  // Loaded only when served: prom-client stays out of an agent that does not export metrics.
  const metricsListen = config.metrics.listen;
  const metrics = metricsListen ? (await import('../metrics/index.js')).createAgentMetrics(metricsListen, log) : undefined;
  const outbox = createOutbox(`${config.stateDir}/outbox`, config.serverId, undefined, log);
  const packageSource = controllerPackageSource({
    files: { caFile, certFile, keyFile },
    stateDir: config.stateDir,
    controllerAddress: config.controller.address,
    isRevoked: revocations.isRevoked,
  });
  const engine = createEngine(config, { log, events: outbox, packageSource, ...(metrics ? { stepDone: metrics.stepDone } : {}) });
  const operations = await OperationRegistry.open(engine.layout.operationsDir, { log, onFinished: metrics?.operationFinished });
  for (const damaged of operations.quarantined()) {
    await outbox.emit(EVENT_TYPE.fileQuarantined, {
      area: 'operations',
      file: damaged.name,
      movedTo: damaged.movedTo,
      reason: damaged.reason,
    });
  }
  await withServerLock(engine, 'serve (start-up cleanup)', async () => {}).catch((err: unknown) =>
    log.warn({ err: describeError(err) }, 'start-up cleanup skipped'),
  );

  let publisherWake = () => {};
  const status = createStatusCache(engine);
  const monitor = startHealthMonitor(
    engine,
    config.healthCheckSeconds * 1000,
    () => publisherWake(),
    () => void status.refreshLight().catch((err: unknown) => log.warn({ err: describeError(err) }, 'status refresh failed')),
  );
  // The start-up passes, running already: the monitor's first check and the first status,
  // then the status refresh that check asks for.
  const startupPasses = Promise.allSettled([monitor.checkNow(), status.get()]).then(() => status.idle());
  const publisher = startNatsPublisher({ config, outbox, summary: heartbeatSummary(engine, monitor), log, agentVersion: WOFLEET_VERSION });
  publisherWake = () => publisher.wake();
  const handlers = createAgentHandlers({
    engine,
    operations,
    agentVersion: WOFLEET_VERSION,
    startedAt: Date.now(),
    status: status.get,
    siteChecks: status.siteChecks,
    afterMutation: () => {
      publisher.wake();
      void monitor.checkNow();
      status.refresh().catch((err: unknown) => log.warn({ err: describeError(err) }, 'status refresh failed'));
    },
  });
  const metricsEndpoint = await metrics?.serve({
    serverId: config.serverId,
    version: WOFLEET_VERSION,
    layout: engine.layout,
    outboxDepth: () => outbox.depth(),
    healthLevel: () => monitor.level(),
    siteLevels: () => monitor.siteLevels(),
    runningOperations: () => operations.running().length,
  });
  const { server, port, reloadTls, notServing } = await startAgentServer(config.grpc.listen, tls, handlers, {
    isRevoked: revocations.isRevoked,
  });
  log.info({ port, serverId: config.serverId, metricsPort: metricsEndpoint?.port }, 'agent serving');
  void startupPasses.then(() => releaseStartupMemory(globalThis.gc));
  const upkeep = startCertificateUpkeep({
    serverId: config.serverId,
    files: { caFile, certFile, keyFile },
    stateDir: config.stateDir,
    controllerAddress: config.controller.address,
    intervalMs: config.controller.certificateCheckSeconds * 1000,
    revocations,
    servedFingerprint: tls.identity.fingerprint,
    onRenewed: reloadTls,
    log,
  });

  let stopping: Promise<void> | undefined;
  return {
    port,
    stop: () =>
      (stopping ??= (async () => {
        upkeep.stop();
        notServing();
        operations.close();
        log.info({ running: operations.running() }, 'stopping: refusing new work, finishing running operations');
        await operations.drain();
        monitor.stop();
        await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
        await metricsEndpoint?.stop();
        await publisher.stop();
      })()),
  };
}
