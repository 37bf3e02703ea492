import { formatDigest, parseDigestChoice } from '@wofleet/shared';
import type { Command } from 'commander';
import { parseReleaseInput } from '../releases/input.js';
import { followPages } from '../client/pages.js';
import { limitOption, parseLimit } from './args.js';
import { withController } from './connect.js';
import { out } from './output.js';
import { renderReleases } from './render.js';

/** `wofleet releases add | list`: the catalog rollouts pick from. */
export function registerReleaseCommands(program: Command): void {
  const releases = program.command('releases').description('the release catalog: WordPress versions with their archive digest');

  releases
    .command('add <version>')
    .description('add a WordPress release to the catalog (a digest is required)')
    .option(
      '--url <url>',
      "archive URL: http(s)://, or file:// for a path inside every agent's releases.mirrorDir (default: each agent's mirrorUrl)",
    )
    .option('--sha1 <hex>', 'SHA-1 of the archive')
    .option('--sha256 <hex>', 'SHA-256 of the archive')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  wofleet releases add 6.5.5 --sha1 <the sha1 wordpress.org publishes beside wordpress-6.5.5.tar.gz>
  wofleet releases add 6.5.5 --url file:///srv/mirror/wordpress-6.5.5.tar.gz --sha256 <hex>`,
    )
    .action(async (version: string, o: { url?: string; sha1?: string; sha256?: string }, cmd: Command) => {
      const input = parseReleaseInput({ version, url: o.url, digest: parseDigestChoice(o.sha1, o.sha256) });
      const r = await withController(cmd, (api) =>
        api.addRelease({
          version: input.version,
          url: input.url ?? '',
          digest: input.digest,
        }),
      );
      out(cmd, r, () => [`added release ${r.version} (${formatDigest(input.digest)})`]);
    });

  releases
    .command('list')
    .description('the catalog, oldest version first')
    .addOption(limitOption())
    .option('--json', 'print as JSON')
    .action(async (o: { limit?: string }, cmd: Command) => {
      const limit = parseLimit(o.limit);
      const releases = await withController(cmd, (api) =>
        followPages(async (page) => {
          const r = await api.listReleases(page);
          return { items: r.releases, nextPageToken: r.nextPageToken };
        }, limit),
      );
      out(cmd, releases, () => renderReleases(releases));
    });
}
