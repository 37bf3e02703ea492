import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../src/config/load.js';

async function configFile(text: string): Promise<string> {
  const f = path.join(await mkdtemp(path.join(os.tmpdir(), 'wofleet-agentcfg-')), 'agent.yaml');
  await writeFile(f, text);
  return f;
}

describe('agent config', () => {
  it('has the documented defaults', async () => {
    const c = await loadAgentConfig(await configFile('{}\n'));
    expect(c).toMatchObject({
      sharedRoot: '/var/www/shared',
      sitesRoot: '/var/www',
      woBin: 'wo',
      wpBin: 'wp',
      stateDir: '/var/lib/wofleet',
      keepReleases: 3,
      packages: { install: ['dpkg', '--force-confdef', '--force-confold', '-i'] },
    });
  });
  it('takes the serving proof paths per site and a canary site', async () => {
    const c = await loadAgentConfig(
      await configFile(
        "canarySite: Shop.Example.com\nproof:\n  paths:\n    default: ['/']\n    shop.example.com: ['/', '/cart/?step=1']\n",
      ),
    );
    expect(c.canarySite).toBe('shop.example.com');
    expect(c.proof).toMatchObject({ paths: { default: ['/'], 'shop.example.com': ['/', '/cart/?step=1'] }, maxWarnings: 10, parallel: 4 });
  });
  it('takes the release mirror dir and redirect hosts, host names in lower case', async () => {
    const c = await loadAgentConfig(await configFile('releases:\n  mirrorDir: /srv/mirror/\n  redirectHosts: [Downloads.Example.org]\n'));
    expect(c.releases).toEqual({ mirrorDir: '/srv/mirror', redirectHosts: ['downloads.example.org'] });
    expect((await loadAgentConfig(await configFile('{}\n'))).releases).toEqual({ redirectHosts: [] });
  });
  it('serves /metrics only when metrics.listen names an address', async () => {
    expect((await loadAgentConfig(await configFile('{}\n'))).metrics).toEqual({});
    expect((await loadAgentConfig(await configFile('metrics:\n  listen: 127.0.0.1:9465\n'))).metrics).toEqual({ listen: '127.0.0.1:9465' });
  });
  it('takes the file from WOFLEET_AGENT_CONFIG when --config is absent', async () => {
    const f = await configFile('sharedRoot: /srv/www/shared\n');
    expect((await loadAgentConfig(undefined, { WOFLEET_AGENT_CONFIG: f })).sharedRoot).toBe('/srv/www/shared');
  });
  it.each([
    ['sharedRoot: relative/path\n', 'sharedRoot: must be an absolute path'],
    ['keepReleases: 1\n', 'keepReleases:'],
    ['keepReleases: three\n', 'keepReleases:'],
    ['probe:\n  address: localhost\n', 'probe.address: must be HOST:PORT'],
    ['metrics:\n  listen: 9465\n', 'metrics.listen:'],
    ['metrics:\n  port: 9465\n', 'unknown key: port'],
    ['nginx:\n  sitesAvailble: /x\n', 'unknown key: sitesAvailble'],
    ['proof:\n  paths:\n    default: [cart]\n', 'proof.paths.default.0: must be a URL path starting with /'],
    ['proof:\n  paths:\n    Shop.Example.com: [/]\n', "must be 'default' or a site's domain (lower case)"],
    ['proof:\n  maxWarnings: -1\n', 'proof.maxWarnings:'],
    ['canarySite: not_a_domain\n', 'canarySite: invalid domain'],
    ['releases:\n  mirrorDir: mirror\n', 'releases.mirrorDir: must be an absolute path'],
    [
      'releases:\n  redirectHosts: [https://downloads.example.org/]\n',
      'releases.redirectHosts.0: must be a host name like downloads.example.org (no scheme, port or path)',
    ],
  ])('refuses %j naming the key', async (text, fragment) => {
    await expect(loadAgentConfig(await configFile(text))).rejects.toThrow(fragment);
  });
});
