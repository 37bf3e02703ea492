import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChaosFleet, type ChaosFleet } from '../support/chaos.js';
import { startNatsCluster, type NatsCluster } from '../support/nats-cluster.js';
import { canConnect } from '../support/net.js';

/**
 * Issue 14's chaos suite, NATS as a 3-node JetStream cluster: the agents' events stream
 * replicated on all three (R3, made before the controller starts, which then uses it as
 * it is); the controller and the agents are given every node. The node leading the
 * stream is killed while the canary holds and stays down: the other two keep a quorum.
 */
describe('chaos: a 3-node JetStream cluster loses a node mid-campaign', () => {
  let cluster: NatsCluster;
  let chaos: ChaosFleet;

  beforeAll(async () => {
    cluster = await startNatsCluster(3);
    await cluster.createEventStream(3);
    chaos = await startChaosFleet({ natsCluster: cluster });
  }, 300_000);
  afterAll(async () => {
    await chaos?.destroy();
    await cluster?.dispose();
  }, 120_000);

  it("the events stream's leader node killed while the canary holds: the campaign succeeds, no event lost", async () => {
    const before = await cluster.eventStreamReplicas();
    expect(before.current.length, 'R3: two current followers').toBe(2);
    const run = await chaos.run('JetStream R3 cluster: stream leader node killed mid-campaign');
    await run.waitFor('the canary verifying', (v) => v.targets.some((t) => t.state === 'verifying'));
    const { leader } = await cluster.eventStreamReplicas();
    const node = cluster.nodes.find((n) => `test-${n.port}` === leader);
    expect(node, `the stream leader ${leader} is one of the nodes`).toBeDefined();
    await node?.stop(0);
    expect(await canConnect({ port: node?.port ?? 0 }), 'the leader node down').toBe(false);
    await run.finish({ campaign: 'succeeded' });
    const after = await cluster.eventStreamReplicas();
    expect(after.leader, 'a new stream leader').not.toBe(leader);
  });
});
