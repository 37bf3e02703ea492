import { domainOrUndefined, parseDomain } from '@wofleet/shared';
import { z } from 'zod';

const absolutePath = z
  .string()
  .min(1)
  .refine((p) => p.startsWith('/'), { message: 'must be an absolute path' })
  .transform((p) => (p.length > 1 ? p.replace(/\/+$/, '') : p));

/** A path the serving proof requests: absolute, no fragment, no spaces or control characters. */
const proofPath = z.string().regex(/^\/[^\s#\x00-\x1f\x7f]*$/, { message: 'must be a URL path starting with /' });

/** A site domain as WordOps accepts it (parseDomain), lower-cased. */
const domain = z.string().transform((d, ctx) => {
  try {
    return parseDomain(d);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
    return z.NEVER;
  }
});

/** A host name or IPv4 address as URL.hostname gives it (lower case; no scheme, port or path). */
const hostName = z
  .string()
  .toLowerCase()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/, {
    message: 'must be a host name like downloads.example.org (no scheme, port or path)',
  });

const hostPort = z.string().regex(/^[A-Za-z0-9.:[\]-]+:\d{1,5}$/, { message: 'must be HOST:PORT' });

const DEFAULT_PACKAGE_INSTALL = ['dpkg', '--force-confdef', '--force-confold', '-i'];

/**
 * The agent's configuration. Every path the agent touches comes from here, so
 * tests run the whole engine inside a temp directory.
 */
export const agentConfigSchema = z
  .object({
    sharedRoot: absolutePath.default('/var/www/shared'),
    sitesRoot: absolutePath.default('/var/www'),
    stateDir: absolutePath.default('/var/lib/wofleet'),
    woBin: z.string().min(1).default('wo'),
    wpBin: z.string().min(1).default('wp'),
    wordops: z
      .object({
        /** WordOps' site registry (SQLite), read-only: the site facts (PHP, cache, SSL) of list/ListSites come from it. */
        siteDb: absolutePath.default('/var/lib/wo/dbase.db'),
        /** The sqlite3 shell that reads it (WordOps' installer installs the sqlite3 package). */
        sqlite3: z.string().min(1).default('sqlite3'),
      })
      .strict()
      .default({ siteDb: '/var/lib/wo/dbase.db', sqlite3: 'sqlite3' }),
    keepReleases: z.number().int().min(2).max(50).default(3),
    /**
     * `wofleet agents upgrade`: the program (and leading arguments) that installs a
     * wofleet-agent package; the package's path is appended. Started detached. The default
     * keeps an operator's edited conffile (agent.yaml) without asking, as unattended-upgrades
     * does: with no terminal, dpkg's conffile question would fail the install.
     */
    packages: z
      .object({ install: z.array(z.string().min(1)).min(1).default(DEFAULT_PACKAGE_INSTALL) })
      .strict()
      .default({ install: DEFAULT_PACKAGE_INSTALL }),
    /** Base URL that a bare version (`6.5.5`) is resolved against. */
    mirrorUrl: z.string().url().default('https://wordpress.org'),
    releases: z
      .object({
        /**
         * The only directory a release source sent over gRPC (StageRelease) may name as a path
         * or file:// URL, checked after resolving symlinks and `..`. Unset: the controller may
         * send only http(s) URLs and versions. The local CLI (root on this server) may name any path.
         */
        mirrorDir: absolutePath.optional(),
        /** Hosts a release download may be redirected to besides the host it asked. */
        redirectHosts: z.array(hostName).max(100).default([]),
      })
      .strict()
      .default({ redirectHosts: [] }),
    /**
     * The user PHP-FPM runs sites as: owner of each site's wp-config.php (0600), group of the
     * health token (0640), and the user every WP-CLI call runs as (never root). Must not be root.
     */
    webUser: z.string().min(1).default('www-data'),
    nginx: z
      .object({
        bin: z.string().min(1).default('nginx'),
        sitesAvailable: absolutePath.default('/etc/nginx/sites-available'),
        sitesEnabled: absolutePath.default('/etc/nginx/sites-enabled'),
        /** Extra args for `nginx -t` (tests point it at their own nginx.conf). */
        testArgs: z.array(z.string()).default([]),
        /** WordOps' FastCGI page cache (`fastcgi_cache_path`), purged for the sites a switch moved. */
        fastcgiCacheDir: absolutePath.default('/var/run/nginx-cache'),
      })
      .strict()
      .default({
        bin: 'nginx',
        sitesAvailable: '/etc/nginx/sites-available',
        sitesEnabled: '/etc/nginx/sites-enabled',
        testArgs: [],
        fastcgiCacheDir: '/var/run/nginx-cache',
      }),
    /** WordOps' plugin locations (its wo.conf `plugin_dir`, `plugin_config_dir`), for `init --wo-plugin`. */
    woPlugin: z
      .object({
        /** Where `wo` imports plugin modules from (multitenancy.py). */
        dir: absolutePath.default('/var/lib/wo/plugins'),
        /** Where `wo` reads plugin configs; multitenancy.conf there enables the plugin. */
        configDir: absolutePath.default('/etc/wo/plugins.d'),
      })
      .strict()
      .default({ dir: '/var/lib/wo/plugins', configDir: '/etc/wo/plugins.d' }),
    php: z
      .object({
        /** Directory holding the PHP-FPM pool sockets (phpNN-fpm.sock). */
        socketDir: absolutePath.default('/var/run/php'),
      })
      .strict()
      .default({ socketDir: '/var/run/php' }),
    probe: z
      .object({
        /**
         * Where nginx answers on loopback; sites are told apart by the Host header.
         * Not 127.0.0.1: WordOps binds its stub_status server to 127.0.0.1:80, which
         * answers 403 for every Host, while site vhosts listen on every address.
         */
        address: hostPort.default('127.0.0.2:80'),
        timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
        /** How long a switch may take until every site serves the new core. */
        switchTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
      })
      .strict()
      .default({ address: '127.0.0.2:80', timeoutMs: 10_000, switchTimeoutMs: 30_000 }),
    /**
     * The serving proof (health/proof.ts): which paths of a site must render, through nginx with
     * the theme and every active plugin, before the site counts as healthy on a release.
     */
    proof: z
      .object({
        /**
         * Paths checked per site: `default` for every site without its own entry, else the site's
         * domain. The front page `/` is always checked (and must reach wp_footer).
         */
        paths: z
          .record(z.string(), z.array(proofPath).max(20))
          .superRefine((paths, ctx) => {
            for (const key of Object.keys(paths)) {
              if (key !== 'default' && domainOrUndefined(key) !== key) {
                ctx.addIssue({ code: 'custom', path: [key], message: "must be 'default' or a site's domain (lower case)" });
              }
            }
          })
          .default({ default: ['/'] }),
        /** PHP warnings a checked request may raise (counted by the MU-plugin and in the site's error log). */
        maxWarnings: z.number().int().min(0).max(10_000).default(10),
        /** Bytes read of each checked page; a longer page fails the proof. */
        maxBodyBytes: z
          .number()
          .int()
          .min(64 * 1024)
          .max(64 * 1024 * 1024)
          .default(2 * 1024 * 1024),
        /** Bytes read of what the site's error log grew by during one proof. */
        maxLogBytes: z
          .number()
          .int()
          .min(4096)
          .max(16 * 1024 * 1024)
          .default(256 * 1024),
        /** Proofs run at once: each renders full pages, so 20+ sites at once would queue on PHP-FPM. */
        parallel: z.number().int().min(1).max(64).default(4),
      })
      .strict()
      .default({ paths: { default: ['/'] }, maxWarnings: 10, maxBodyBytes: 2 * 1024 * 1024, maxLogBytes: 256 * 1024, parallel: 4 }),
    /** The site switched and proven first on a new core; unset: the shared-core site with the most active plugins. */
    canarySite: domain.optional(),
    limits: z
      .object({
        maxArchiveBytes: z
          .number()
          .int()
          .positive()
          .default(200 * 1024 * 1024),
        maxUnpackedBytes: z
          .number()
          .int()
          .positive()
          .default(500 * 1024 * 1024),
        maxFiles: z.number().int().positive().default(20_000),
        minFreeBytes: z
          .number()
          .int()
          .nonnegative()
          .default(512 * 1024 * 1024),
        /**
         * A stage or a DB snapshot is refused unless its estimate leaves this much free on every
         * filesystem it writes to (releases, stateDir, MariaDB's datadir): reservePercent of the
         * filesystem, at most reserveBytes (5% or 1 GiB, whichever is smaller). A full datadir
         * filesystem stalls every site's MariaDB.
         */
        reservePercent: z.number().min(0).max(50).default(5),
        reserveBytes: z
          .number()
          .int()
          .nonnegative()
          .default(1024 * 1024 * 1024),
      })
      .strict()
      .default({
        maxArchiveBytes: 200 * 1024 * 1024,
        maxUnpackedBytes: 500 * 1024 * 1024,
        maxFiles: 20_000,
        minFreeBytes: 512 * 1024 * 1024,
        reservePercent: 5,
        reserveBytes: 1024 * 1024 * 1024,
      }),
    /** This server's name in the fleet (NATS subjects, certificates). */
    serverId: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'must be 1-63 lower-case letters, digits or hyphens' })
      .default('local'),
    /** How often the daemon runs the full health check (heartbeats carry its last result). */
    healthCheckSeconds: z.number().int().min(5).max(3600).default(60),
    grpc: z
      .object({
        /** Where `serve` listens for the controller. */
        listen: hostPort.default('0.0.0.0:7443'),
        /** Fleet CA, this agent's certificate and key (PEM files); see `wofleet-agent enroll`. */
        caFile: absolutePath.optional(),
        certFile: absolutePath.optional(),
        keyFile: absolutePath.optional(),
      })
      .strict()
      .default({ listen: '0.0.0.0:7443' }),
    /**
     * The controller this agent renews its certificate with and fetches the revocation
     * list from (address: default the one it enrolled with, `<stateDir>/enrollment.json`),
     * every certificateCheckSeconds and at start.
     */
    controller: z
      .object({
        address: hostPort.optional(),
        certificateCheckSeconds: z.number().int().min(10).max(86_400).default(3600),
      })
      .strict()
      .default({ certificateCheckSeconds: 3600 }),
    /**
     * Prometheus' /metrics (plain HTTP, no authentication). Unset: not served. Off by default:
     * its labels name this server's sites, and a WordOps server faces the internet, so the
     * operator picks an address only the scraper reaches (127.0.0.1:9465, or a private one).
     */
    metrics: z
      .object({
        listen: hostPort.optional(),
      })
      .strict()
      .default({}),
    nats: z
      .object({
        servers: z.array(z.string().min(1)).min(1).default(['nats://127.0.0.1:4222']),
        /** NATS credentials file (JWT + nkey seed), when the server requires them. */
        credsFile: absolutePath.optional(),
        /**
         * This agent's NATS user (nkey seed, 0600), written by `wofleet-agent enroll`. Unset:
         * `nats.nk` beside grpc.keyFile. Used when the file exists (`wofleet nats config`).
         */
        seedFile: absolutePath.optional(),
        user: z.string().optional(),
        pass: z.string().optional(),
        tls: z
          .object({ caFile: absolutePath.optional(), certFile: absolutePath.optional(), keyFile: absolutePath.optional() })
          .strict()
          .optional(),
        heartbeatSeconds: z.number().int().min(1).max(3600).default(10),
        /** JetStream stream that keeps agent events while the controller is away. */
        stream: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/)
          .default('WOFLEET_EVENTS'),
      })
      .strict()
      .default({ servers: ['nats://127.0.0.1:4222'], heartbeatSeconds: 10, stream: 'WOFLEET_EVENTS' }),
  })
  .strict();

export type AgentConfig = z.output<typeof agentConfigSchema>;
export type AgentConfigInput = z.input<typeof agentConfigSchema>;
