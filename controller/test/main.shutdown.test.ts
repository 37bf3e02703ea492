import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseCampaignRequest, startCampaign } from '../src/campaigns/index.js';
import { ControllerCallError } from '../src/client/channel.js';
import { connectRollouts } from '../src/client/rollout-client.js';
import type { CampaignUpdate } from '../src/events/campaign-events.js';
import { requestText, seedFleet } from './campaigns.fixtures.js';
import { createTestFleet, type TestFleet } from './cli.fixtures.js';
import { createCampaignRepository } from '../src/campaign-store/index.js';

/**
 * A controller that stops while an operator watches a campaign: the watch ends at once
 * with "shutting down" (UNAVAILABLE), and the stop does not wait out its grace period.
 */
let fleet: TestFleet;
beforeAll(async () => {
  fleet = await createTestFleet({ runCampaigns: false });
  await seedFleet(fleet.db, [{ name: 'web-1' }]);
}, 60_000);
afterAll(async () => {
  await fleet?.destroy();
});

it('stopping the controller ends open watches at once with UNAVAILABLE', async () => {
  const view = await startCampaign(
    { repository: createCampaignRepository(fleet.controller.context.db), clock: fleet.controller.context.clock },
    parseCampaignRequest(requestText({ waves: '1' })),
    'operator:alice',
  );
  const api = await connectRollouts({
    controller: fleet.address,
    caFile: path.join(fleet.operatorDir, 'ca.pem'),
    certFile: path.join(fleet.operatorDir, 'alice.pem'),
    keyFile: path.join(fleet.operatorDir, 'alice.key'),
  });
  const received: CampaignUpdate[] = [];
  const watching = (async () => {
    for await (const update of api.watch(view.id)) received.push(update);
  })().then(
    () => undefined,
    (err: unknown) => err,
  );
  const deadline = Date.now() + 10_000;
  while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(received.map((u) => u.view.state)).toEqual(['running']);

  const before = Date.now();
  await fleet.controller.stop();
  const stopMs = Date.now() - before;
  const ended = await watching;
  api.close();

  // The server's grace period is 5 s; a watch holding it would show here.
  expect(stopMs).toBeLessThan(3_000);
  expect(ended).toBeInstanceOf(ControllerCallError);
  expect((ended as Error).message).toMatch(/the controller is shutting down: watch again once it is back/);
});
