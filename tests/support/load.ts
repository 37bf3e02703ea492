/**
 * HTTP load generator for tests and benches: `concurrency` workers send GET requests
 * to 127.0.0.1:port (or a test host's address) over keep-alive connections, round-robin over the given Host
 * headers, and record every answer (status, latency, the WordPress version from the
 * generator meta tag). Callers use the per-host version timeline to see when each site
 * first/last served a version, e.g. how long after a core switch old code was served.
 *
 * Always bounded: it stops by itself after maxSeconds (default 600) or maxRequests.
 * Only the loopback address or a private test host (a real-WordOps server's veth) is contacted.
 *
 * Times are milliseconds since the load started (monotonic, performance.now()); use
 * `handle.now()` to mark events (such as a switch) on the same clock.
 */
import http from 'node:http';

export interface LoadOptions {
  /** nginx port. */
  port: number;
  /** nginx address (default 127.0.0.1): a real-WordOps test server's address. */
  address?: string;
  /** Host headers, used round-robin. */
  hosts: readonly string[];
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  /** Request path (default '/'). */
  path?: string;
  maxRequests?: number;
  /** Hard bound on the run (default 600 s); the load stops by itself after it. */
  maxSeconds?: number;
  /** Per-request timeout (default 10 s); a timed-out request counts as an error. */
  timeoutMs?: number;
  /** Keep every sample (default true); needed by convergence() and windowStats(). */
  keepSamples?: boolean;
}

export interface LoadSample {
  /** When the request was sent / its answer was complete (ms since the load started). */
  start: number;
  end: number;
  host: string;
  /** HTTP status, 0 when there was no answer. */
  status: number;
  /** Transport error (connection refused/reset, timeout); undefined when an answer came. */
  error?: string;
  latencyMs: number;
  /** WordPress version from `<meta name="generator" content="WordPress X.Y.Z" />`. */
  version?: string;
}

export interface VersionSpan {
  /** End time of the first / last answer that carried this version. */
  first: number;
  last: number;
  count: number;
}

export interface HostReport {
  requests: number;
  non2xx: number;
  errors: number;
  versions: Record<string, VersionSpan>;
}

export interface LoadReport {
  /** Wall-clock start (epoch ms), for logs only. */
  startedAtEpochMs: number;
  durationMs: number;
  /** Why the load ended: still running (snapshot), stop(), or a bound. */
  state: 'running' | 'stopped' | 'maxRequests' | 'maxSeconds';
  concurrency: number;
  requests: number;
  /** Answers with a status outside 200-299 (transport errors excluded). */
  non2xx: number;
  /** Requests without an answer (transport errors, timeouts). */
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  byHost: Record<string, HostReport>;
  samples?: LoadSample[];
}

export interface LoadHandle {
  /** Current time on the load's clock (ms since it started). */
  now(): number;
  /** Report so far, load keeps running; samples included when kept and asked for. */
  snapshot(options?: { samples?: boolean }): LoadReport;
  /** Stop sending, wait for requests in flight, close connections, report. */
  stop(): Promise<LoadReport>;
  /** Settles when the load ends by itself (a bound) or after stop(). */
  done: Promise<LoadReport>;
}

const GENERATOR = /<meta name="generator" content="WordPress ([0-9][^"\s]*)"/;
const HOST_HEADER = /^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/;
/** A front page is tens of KB; cap what one answer may buffer so a runaway body cannot eat memory. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const DEFAULT_MAX_SECONDS = 600;
/** Pause after a transport error, so a dead server does not turn the workers into a busy loop. */
const ERROR_BACKOFF_MS = 5;

/** Parses the version from a WordPress page's generator meta tag. */
export function parseWordPressVersion(body: string): string | undefined {
  return GENERATOR.exec(body)?.[1];
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  // Nearest rank: the smallest value with at least p% of samples at or below it.
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

interface Outcome {
  status: number;
  error?: string;
  version?: string;
}

function requestOnce(agent: http.Agent, address: string, port: number, host: string, urlPath: string, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const req = http.request(
      { host: address, port, path: urlPath, method: 'GET', agent, headers: { host, 'user-agent': 'wofleet-load' } },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_BODY_BYTES) chunks.push(chunk);
        });
        res.on('end', () => {
          finish({ status: res.statusCode ?? 0, version: parseWordPressVersion(Buffer.concat(chunks).toString('utf8')) });
        });
        res.on('error', (err) => finish({ status: 0, error: errorName(err) }));
        res.on('aborted', () => finish({ status: 0, error: 'aborted' }));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => finish({ status: 0, error: errorName(err) }));
    req.end();
  });
}

function errorName(err: Error): string {
  return (err as NodeJS.ErrnoException).code ?? err.message;
}

export function startLoad(options: LoadOptions): LoadHandle {
  const { port } = options;
  const address = options.address ?? '127.0.0.1';
  const hosts = [...options.hosts];
  const concurrency = options.concurrency ?? 8;
  const urlPath = options.path ?? '/';
  const maxSeconds = options.maxSeconds ?? DEFAULT_MAX_SECONDS;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const keepSamples = options.keepSamples ?? true;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`port ${port} is not a TCP port`);
  if (hosts.length === 0) throw new RangeError('startLoad needs at least one host');
  for (const h of hosts) if (!HOST_HEADER.test(h)) throw new RangeError(`invalid Host header ${JSON.stringify(h)}`);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256)
    throw new RangeError(`concurrency ${concurrency} not in 1..256`);
  if (!(maxSeconds > 0) || !Number.isFinite(maxSeconds)) throw new RangeError(`maxSeconds ${maxSeconds} must be a positive number`);
  if (options.maxRequests !== undefined && !(options.maxRequests >= 0))
    throw new RangeError(`maxRequests ${options.maxRequests} must be >= 0`);
  if (!urlPath.startsWith('/')) throw new RangeError(`path ${urlPath} must start with /`);
  if (!/^(127|10)\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address))
    throw new RangeError(`address ${address} is not a loopback or private test address`);

  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const t0 = performance.now();
  const startedAtEpochMs = Date.now();
  const now = () => performance.now() - t0;
  const deadline = maxSeconds * 1000;

  const samples: LoadSample[] = [];
  const latencies: number[] = [];
  const byHost: Record<string, HostReport> = {};
  for (const h of hosts) byHost[h] = { requests: 0, non2xx: 0, errors: 0, versions: {} };
  let requests = 0;
  let non2xx = 0;
  let errors = 0;
  let issued = 0;
  let stopping = false;
  let state: LoadReport['state'] = 'running';
  let endedAt: number | undefined;

  const record = (sample: LoadSample) => {
    requests++;
    latencies.push(sample.latencyMs);
    const hostReport = byHost[sample.host] as HostReport;
    hostReport.requests++;
    if (sample.error !== undefined) {
      errors++;
      hostReport.errors++;
    } else if (sample.status < 200 || sample.status > 299) {
      non2xx++;
      hostReport.non2xx++;
    }
    if (sample.version !== undefined) {
      const span = hostReport.versions[sample.version];
      if (span) {
        span.count++;
        span.first = Math.min(span.first, sample.end);
        span.last = Math.max(span.last, sample.end);
      } else {
        hostReport.versions[sample.version] = { first: sample.end, last: sample.end, count: 1 };
      }
    }
    if (keepSamples) samples.push(sample);
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      if (stopping) return;
      if (options.maxRequests !== undefined && issued >= options.maxRequests) {
        if (state === 'running') state = 'maxRequests';
        return;
      }
      if (now() >= deadline) {
        if (state === 'running') state = 'maxSeconds';
        return;
      }
      const host = hosts[issued % hosts.length] as string;
      issued++;
      const start = now();
      const outcome = await requestOnce(agent, address, port, host, urlPath, timeoutMs);
      const end = now();
      record({ start, end, host, status: outcome.status, error: outcome.error, latencyMs: end - start, version: outcome.version });
      if (outcome.error !== undefined) await new Promise((r) => setTimeout(r, ERROR_BACKOFF_MS));
    }
  };

  const report = (withSamples: boolean): LoadReport => {
    const sorted = Float64Array.from(latencies).sort();
    const sortedList = Array.from(sorted);
    const hostsCopy: Record<string, HostReport> = {};
    for (const [h, r] of Object.entries(byHost)) {
      const versions: Record<string, VersionSpan> = {};
      for (const [v, span] of Object.entries(r.versions)) versions[v] = { ...span };
      hostsCopy[h] = { ...r, versions };
    }
    return {
      startedAtEpochMs,
      durationMs: round1(endedAt ?? now()),
      state,
      concurrency,
      requests,
      non2xx,
      errors,
      p50Ms: round1(percentile(sortedList, 50)),
      p99Ms: round1(percentile(sortedList, 99)),
      maxMs: round1(sortedList.at(-1) ?? 0),
      byHost: hostsCopy,
      ...(withSamples && keepSamples ? { samples: samples.slice() } : {}),
    };
  };

  const done = Promise.all(Array.from({ length: concurrency }, () => worker())).then(() => {
    endedAt = now();
    if (state === 'running') state = 'stopped';
    agent.destroy();
    return report(true);
  });

  return {
    now,
    snapshot: (snapshotOptions) => report(snapshotOptions?.samples ?? false),
    stop: () => {
      stopping = true;
      return done;
    },
    done,
  };
}

/** End time of the last answer from `host` that carried `version`, or undefined. */
export function lastSeen(report: LoadReport, host: string, version: string): number | undefined {
  return report.byHost[host]?.versions[version]?.last;
}

/** End time of the first answer from `host` that carried `version`, or undefined. */
export function firstSeen(report: LoadReport, host: string, version: string): number | undefined {
  return report.byHost[host]?.versions[version]?.first;
}

/** Last time `host` served `oldVersion` (alias of lastSeen, reads better at call sites). */
export const lastSeenOld = lastSeen;

export interface HostConvergence {
  /** End time of the first new-version answer after which no stale answer was seen. */
  convergedAt?: number;
  /** Send time of the first request sent after `since` (and after the last stale one) that got the new version. */
  servingFrom?: number;
  /** Answers with another version to requests sent at or after `since`. */
  staleAnswers: number;
  /** Start time of the last such stale request. */
  lastStaleStart?: number;
  non2xx: number;
  errors: number;
}

export interface Convergence {
  /** ms from `since` until every host had ANSWERED with `version` for good (includes response time); undefined when some host never did. */
  allNewMs?: number;
  /** ms from `since` until every request SENT to any host got `version` (excludes response time). */
  allNewSentMs?: number;
  byHost: Record<string, HostConvergence>;
}

function requireSamples(report: LoadReport): LoadSample[] {
  if (!report.samples) throw new Error('this needs the load samples: keepSamples must be on, and snapshot({ samples: true })');
  return report.samples;
}

/**
 * When every site serves `version` after a switch at `since` (load clock). A stale
 * answer is one with another version to a request SENT at or after `since` (a request
 * sent before the switch may legitimately answer with the old core). Per host the
 * convergence point is the first answer with `version` whose request was sent after
 * the last stale request; the result is the latest such point over all hosts, minus
 * `since` (allNewMs; it includes the response time of that request, allNewSentMs does
 * not). Errors and non-2xx after `since` are counted, not treated as stale.
 */
export function convergence(report: LoadReport, since: number, version: string, hosts?: readonly string[]): Convergence {
  const samples = requireSamples(report);
  const names = hosts ?? Object.keys(report.byHost);
  const byHost: Record<string, HostConvergence> = {};
  for (const h of names) byHost[h] = { staleAnswers: 0, non2xx: 0, errors: 0 };
  for (const s of samples) {
    const h = byHost[s.host];
    if (!h || s.start < since) continue;
    if (s.error !== undefined) h.errors++;
    else if (s.status < 200 || s.status > 299) h.non2xx++;
    if (s.version !== undefined && s.version !== version) {
      h.staleAnswers++;
      h.lastStaleStart = Math.max(h.lastStaleStart ?? -Infinity, s.start);
    }
  }
  for (const s of samples) {
    const h = byHost[s.host];
    if (!h || s.version !== version || s.end < since) continue;
    if (h.lastStaleStart !== undefined && s.start <= h.lastStaleStart) continue;
    h.convergedAt = Math.min(h.convergedAt ?? Infinity, s.end);
    // Only requests sent after the switch show when sending started to get the new version.
    if (s.start >= since) h.servingFrom = Math.min(h.servingFrom ?? Infinity, s.start);
  }
  let latestAnswer = -Infinity;
  let latestSent = -Infinity;
  for (const h of Object.values(byHost)) {
    if (h.convergedAt === undefined || h.servingFrom === undefined) return { byHost };
    latestAnswer = Math.max(latestAnswer, h.convergedAt);
    latestSent = Math.max(latestSent, h.servingFrom);
  }
  if (names.length === 0) return { byHost };
  return { allNewMs: round1(latestAnswer - since), allNewSentMs: round1(latestSent - since), byHost };
}

export interface WindowStats {
  requests: number;
  non2xx: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Distinct transport errors and non-2xx statuses with their counts. */
  problems: Record<string, number>;
}

/** Figures for requests sent in [from, to) on the load clock. */
export function windowStats(report: LoadReport, from = 0, to = Infinity): WindowStats {
  const inWindow = requireSamples(report).filter((s) => s.start >= from && s.start < to);
  const problems: Record<string, number> = {};
  let non2xx = 0;
  let errors = 0;
  for (const s of inWindow) {
    let key: string | undefined;
    if (s.error !== undefined) {
      errors++;
      key = s.error;
    } else if (s.status < 200 || s.status > 299) {
      non2xx++;
      key = `HTTP ${s.status}`;
    }
    if (key !== undefined) problems[key] = (problems[key] ?? 0) + 1;
  }
  const sorted = inWindow.map((s) => s.latencyMs).sort((a, b) => a - b);
  return {
    requests: inWindow.length,
    non2xx,
    errors,
    p50Ms: round1(percentile(sorted, 50)),
    p99Ms: round1(percentile(sorted, 99)),
    maxMs: round1(sorted.at(-1) ?? 0),
    problems,
  };
}
