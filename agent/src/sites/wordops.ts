import { CommandFailedError, type CommandRunner } from '@wofleet/shared';

/** What `wo site info` tells about a site, normalised. */
export interface WordOpsSiteInfo {
  domain: string;
  siteType: string;
  cacheType: string;
  phpVersion: string;
  ssl: boolean;
  webroot: string;
}

export interface SiteCreateFlags {
  php?: string;
  cache?: 'wpfc' | 'wpredis' | 'wpsc' | 'wprocket' | 'wpce';
  letsEncrypt?: boolean;
  adminEmail?: string;
}

/** The agent's view of WordOps: the `wo` commands it uses and nothing else. */
export interface WordOps {
  listSites(): Promise<string[]>;
  siteInfo(domain: string): Promise<WordOpsSiteInfo | undefined>;
  /** `extraEnv` is added to the environment of `wo` (and so of the WP-CLI it runs). */
  createSite(domain: string, flags: SiteCreateFlags, extraEnv?: Record<string, string>): Promise<void>;
  deleteSite(domain: string): Promise<void>;
}

/** WordOps colours its output even off a terminal and ends progress lines in \r (DESIGN §4). */
export function cleanWoOutput(text: string): string[] {
  return text
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    .split(/[\r\n]+/)
    .map((line) => line.trim())
    .filter(Boolean);
}

/**
 * WordOps prints its errors in red on stdout (ESC[91m), then a line pointing at its log:
 * those red lines, without the pointer, are what an operator needs to read.
 */
export function woErrorLines(stdout: string): string[] {
  const lines = stdout
    .split(/[\r\n]+/)
    .filter((line) => line.includes('\x1b[91m'))
    .flatMap((line) => cleanWoOutput(line))
    .filter((line) => !/^Check the (WordOps )?log/i.test(line));
  return [...new Set(lines)];
}

const INFO_KEYS: Record<string, 'nginx' | 'phpVersion' | 'ssl' | 'webroot'> = {
  'nginx configuration': 'nginx',
  'php version': 'phpVersion',
  ssl: 'ssl',
  webroot: 'webroot',
};

/**
 * `wo site info` as WordOps 3.22 prints it: tab-separated labels, and no line of its
 * own for the cache type, which is the second word of `Nginx configuration\t wp wpfc (enabled)`.
 */
export function parseSiteInfo(domain: string, lines: string[]): WordOpsSiteInfo {
  const info: WordOpsSiteInfo = { domain, siteType: 'wp', cacheType: 'basic', phpVersion: '', ssl: false, webroot: '' };
  for (const line of lines) {
    const [rawKey, ...rest] = line.split('\t');
    const key = INFO_KEYS[(rawKey ?? '').trim().toLowerCase()];
    const value = rest.join('\t').trim();
    if (!key || value === '') continue;
    if (key === 'ssl') info.ssl = /^enabled/i.test(value);
    else if (key === 'nginx') {
      const [siteType, cacheType] = value.split(/\s+/);
      info.siteType = siteType ?? info.siteType;
      if (cacheType && !cacheType.startsWith('(')) info.cacheType = cacheType;
    } else info[key] = value;
  }
  return info;
}

export function createWordOps(woBin: string, run: CommandRunner, env?: Record<string, string | undefined>): WordOps {
  const wo = async (args: string[], timeoutMs = 10 * 60_000, extraEnv?: Record<string, string>) => {
    try {
      return cleanWoOutput((await run(woBin, args, { env: extraEnv ? { ...env, ...extraEnv } : env, timeoutMs })).stdout);
    } catch (err) {
      const said = err instanceof CommandFailedError ? woErrorLines(err.stdout) : [];
      if (!(err instanceof CommandFailedError) || said.length === 0) throw err;
      const message = `wo ${args.join(' ')} exited with code ${err.exitCode_}: ${said.join('; ')} (WordOps' log: /var/log/wo/wordops.log)`;
      throw new CommandFailedError(err.command, err.args, err.exitCode_, err.stdout, err.stderr, message, { cause: err });
    }
  };
  return {
    async listSites() {
      return (await wo(['site', 'list'], 60_000)).filter((line) => /^[a-z0-9.-]+$/.test(line));
    },
    async siteInfo(domain) {
      try {
        return parseSiteInfo(domain, await wo(['site', 'info', domain], 60_000));
      } catch {
        return undefined;
      }
    },
    async createSite(domain, flags, extraEnv) {
      const args = ['site', 'create', domain, '--wp'];
      if (flags.cache) args.push(`--${flags.cache}`);
      if (flags.php) args.push(`--php${flags.php.replace('.', '')}`);
      if (flags.letsEncrypt) args.push('-le');
      if (flags.adminEmail) args.push(`--email=${flags.adminEmail}`);
      await wo(args, undefined, extraEnv);
    },
    async deleteSite(domain) {
      await wo(['site', 'delete', domain, '--no-prompt']);
    },
  };
}
