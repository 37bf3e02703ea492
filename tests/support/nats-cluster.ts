import { connect, DiscardPolicy, nanos, RetentionPolicy, StorageType, type JetStreamManager } from 'nats';
import { DEFAULT_EVENT_STREAM, EVENT_SUBJECTS } from '../../controller/src/presence/subjects.js';
import { startNatsServer, type NatsServer } from './nats-server.js';
import { findFreePort } from './net.js';

/**
 * A private JetStream cluster for one test file: `size` nats-server processes joined by
 * cluster routes, each with its own client port and store (each node a NatsServer: it
 * can be stopped and restarted on its own). `urls` is what clients are given: all nodes,
 * so they fail over when one goes.
 */
export interface NatsCluster {
  nodes: NatsServer[];
  urls: string[];
  /**
   * Creates the agents' events stream replicated on `replicas` nodes before the
   * controller starts (it uses an existing stream as it is); waits for the cluster's
   * JetStream leader to be elected first.
   */
  createEventStream(replicas: number): Promise<void>;
  /** The events stream's replicas: its leader and the followers the leader sees as current. */
  eventStreamReplicas(): Promise<{ leader: string | undefined; current: string[] }>;
  dispose(): Promise<void>;
}

const CLUSTER_NAME = 'wofleet-test';

export async function startNatsCluster(size: number): Promise<NatsCluster> {
  const clientPorts = await Promise.all(Array.from({ length: size }, () => findFreePort()));
  const routePorts = await Promise.all(Array.from({ length: size }, () => findFreePort()));
  const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`).join(', ');
  const nodes: NatsServer[] = [];
  try {
    // Started together: a node's JetStream waits for the others to form a quorum.
    const started = await Promise.allSettled(
      clientPorts.map((port, i) =>
        startNatsServer({
          port,
          config: [`cluster { name: ${CLUSTER_NAME}, listen: "127.0.0.1:${routePorts[i]}", routes: [ ${routes} ] }`],
          timeoutMs: 30_000,
        }),
      ),
    );
    for (const r of started) if (r.status === 'fulfilled') nodes.push(r.value);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  } catch (err) {
    await Promise.all(nodes.map((n) => n.dispose()));
    throw err;
  }
  const urls = nodes.map((n) => n.url);
  const withJetStream = async <T>(work: (jsm: JetStreamManager) => Promise<T>) => {
    const nc = await connect({ servers: urls.filter((_, i) => nodes[i]?.running()) });
    try {
      return await work(await nc.jetstreamManager());
    } finally {
      await nc.close();
    }
  };
  return {
    nodes,
    urls,
    async createEventStream(replicas) {
      let lastError: unknown;
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
        try {
          await withJetStream((jsm) =>
            jsm.streams.add({
              name: DEFAULT_EVENT_STREAM,
              subjects: [EVENT_SUBJECTS],
              storage: StorageType.File,
              retention: RetentionPolicy.Limits,
              discard: DiscardPolicy.Old,
              duplicate_window: nanos(3_600_000),
              num_replicas: replicas,
            }),
          );
          return;
        } catch (err) {
          // No JetStream leader yet ("JetStream system temporarily unavailable"): try again.
          lastError = err;
        }
      }
      throw new Error(`the cluster never accepted the R${replicas} events stream: ${String(lastError)}`);
    },
    async eventStreamReplicas() {
      const info = await withJetStream((jsm) => jsm.streams.info(DEFAULT_EVENT_STREAM));
      const cluster = info.cluster;
      return {
        leader: cluster?.leader,
        current: (cluster?.replicas ?? []).filter((r) => r.current && !r.offline).map((r) => r.name),
      };
    },
    async dispose() {
      await Promise.all(nodes.map((n) => n.dispose()));
    },
  };
}
