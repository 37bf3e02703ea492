import { describe, expect, it } from 'vitest';
import { insertServer, listSites, removeSites, upsertSites } from '../src/db/index.js';
import { useTestPostgres, secondsAfter, T0 } from './db.fixtures.js';

const t = useTestPostgres();

describe('sites', () => {
  it('a report replaces the whole row of its site', async () => {
    const server = await insertServer(t.db, { name: 'web-1', address: 'web-1:7443' });
    await upsertSites(t.db, server.id, [{ domain: 'a.example', php: '8.2', cache: 'wpfc', ssl: true, version: '6.5.5' }], T0);
    await upsertSites(t.db, server.id, [{ domain: 'a.example', php: '8.3', version: '6.6.2' }], secondsAfter(T0, 5));
    expect(await listSites(t.db)).toMatchObject([
      { domain: 'a.example', php: '8.3', cache: null, ssl: false, version: '6.6.2', updatedAt: secondsAfter(T0, 5) },
    ]);
  });

  it('an empty report changes nothing', async () => {
    const server = await insertServer(t.db, { name: 'web-1', address: 'web-1:7443' });
    await upsertSites(t.db, server.id, [{ domain: 'a.example' }]);
    await upsertSites(t.db, server.id, []);
    expect((await listSites(t.db)).map((s) => s.domain)).toEqual(['a.example']);
  });

  it('removed sites are forgotten for their server only', async () => {
    const web1 = await insertServer(t.db, { name: 'web-1', address: 'web-1:7443' });
    const web2 = await insertServer(t.db, { name: 'web-2', address: 'web-2:7443' });
    await upsertSites(t.db, web1.id, [{ domain: 'a.example' }, { domain: 'b.example' }]);
    await upsertSites(t.db, web2.id, [{ domain: 'a.example' }]);
    expect(await removeSites(t.db, web1.id, ['a.example', 'gone.example'])).toEqual(['a.example']);
    expect((await listSites(t.db)).map((s) => `${s.server}/${s.domain}`)).toEqual(['web-1/b.example', 'web-2/a.example']);
  });

  it('an unknown server has no sites', async () => {
    expect(await listSites(t.db, { server: 'nobody' })).toEqual([]);
  });
});
