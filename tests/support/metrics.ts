import { readFile } from 'node:fs/promises';
import { credentials, makeClientConstructor, type ServiceDefinition, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

/** One sample of a Prometheus text exposition: `name{labels} value`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** GET http://<address>/metrics: the body, or an error with the status. */
export async function scrape(address: string): Promise<string> {
  const res = await fetch(`http://${address}/metrics`);
  if (!res.ok) throw new Error(`scrape of ${address} answered ${res.status}`);
  return res.text();
}

const SAMPLE_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL_RE = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of a scrape (comments skipped). */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = SAMPLE_RE.exec(line);
    if (!match || line.startsWith('#')) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL_RE)) labels[key as string] = (value as string).replace(/\\(.)/g, '$1');
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The samples named `name` whose labels include `labels`. */
export function samplesOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The one sample named `name` with `labels`; undefined when there is none, an error when there are several. */
export function sampleValue(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samplesOf(samples, name, labels);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

interface HealthClient {
  check(request: { service: string }, callback: (err: ServiceError | null, response?: { status: string }) => void): void;
  close(): void;
}
const HealthClient = makeClientConstructor(healthService as unknown as ServiceDefinition, 'grpc.health.v1.Health') as unknown as new (
  address: string,
  creds: ReturnType<typeof credentials.createSsl>,
) => HealthClient;

/**
 * grpc.health.v1.Health/Check over TLS with a certificate of the fleet CA: the serving status
 * (`SERVING`, ...), or the call's gRPC status code name when it failed (`NOT_FOUND` for an unknown service).
 */
export async function checkHealth(
  address: string,
  tls: { caFile: string; certFile: string; keyFile: string },
  serviceName = '',
): Promise<string> {
  const [ca, cert, key] = await Promise.all([readFile(tls.caFile), readFile(tls.certFile), readFile(tls.keyFile)]);
  // Host names are not checked (agents' certificates name them by SAN URI only), the CA is.
  const client = new HealthClient(address, credentials.createSsl(ca, key, cert, { checkServerIdentity: () => undefined }));
  try {
    return await new Promise<string>((resolve, reject) =>
      client.check({ service: serviceName }, (err, response) => {
        if (err?.code === 5) resolve('NOT_FOUND');
        else if (err) reject(err);
        else resolve(response?.status ?? 'UNKNOWN');
      }),
    );
  } finally {
    client.close();
  }
}
