import { startControlPlane } from '../../support/fleet.js';
import { createScratchDatabase } from '../../../controller/test/db.fixtures.js';
const scratch = await createScratchDatabase();
try {
  const plane = await startControlPlane({
    databaseUrl: scratch.url,
    natsIdentities: true,
    heartbeatSeconds: 10,
    controllerEnv: { WOFLEET_LOG_LEVEL: 'warn' },
  });
  console.log('plane up');
  await plane.destroy();
} catch (e) {
  console.log(String(e).slice(0, 300));
} finally {
  await scratch.drop();
}
