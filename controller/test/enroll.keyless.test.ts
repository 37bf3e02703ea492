import { createCsr, createFleetCa, FLEET_ROLE, silentLogger, StateError, type FleetCa } from '@wofleet/shared';
import { describe, expect, it } from 'vitest';
import { systemClock, type ControllerContext } from '../src/context/index.js';
import { enrollAgent } from '../src/enrollment/enroll.js';
import { addServer } from '../src/servers/registry.js';
import { useTestPostgres } from './db.fixtures.js';

/** A controller set up by `ca issue-controller` without ca.key (issue 14): it serves, but signs nothing. */
const pg = useTestPostgres();
const context = (ca: FleetCa | undefined): ControllerContext => ({ db: pg.db, ca, clock: systemClock, log: silentLogger() });

describe('a controller without the CA key', () => {
  it('refuses enrollment (a StateError naming ca.key), consuming nothing: the token stays usable at a controller with the key', async () => {
    const ca = await createFleetCa({ commonName: 'test fleet', validDays: 1 });
    const { enrollmentToken } = await addServer(context(ca), { name: 'web-1', address: '10.0.0.1:7443' }, 'operator:alice');
    const { csrPem } = await createCsr({ role: FLEET_ROLE.agent, name: 'web-1' });
    const request = { token: enrollmentToken, serverName: 'web-1', csrPem };

    const refused = await enrollAgent(context(undefined), request).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(StateError);
    expect((refused as Error).message).toBe(
      'this controller holds no fleet CA key (ca.key in its data dir): enroll and renew agents through one that does',
    );
    expect((await enrollAgent(context(ca), request)).server).toBe('web-1');
  });
});
