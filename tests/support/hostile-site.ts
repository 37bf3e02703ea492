import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A hostile site: every request is answered 200 with a body that never ends (1 MiB
 * every 10 ms, with backpressure). What it counts is what it handed to the socket, so
 * "the client hung up after N bytes" bounds what the client can have read.
 */
export interface EndlessSite {
  /** HOST:PORT */
  address: string;
  url(path: string): string;
  /** Bytes written to every connection so far. */
  bytesSent(): number;
  /** Resolves once every connection that received a body was closed by the client. */
  allClosed(): Promise<void>;
  close(): Promise<void>;
}

const CHUNK = Buffer.alloc(1024 * 1024, 0x41);

export async function startEndlessSite(host = '127.0.0.1'): Promise<EndlessSite> {
  let sent = 0;
  const open = new Set<Promise<void>>();
  const server: Server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    let timer: NodeJS.Timeout | undefined;
    const pump = () => {
      timer = undefined;
      if (res.destroyed) return;
      sent += CHUNK.length;
      if (res.write(CHUNK)) timer = setTimeout(pump, 10);
      else res.once('drain', () => (timer = setTimeout(pump, 10)));
    };
    open.add(
      new Promise<void>((resolve) =>
        res.once('close', () => {
          if (timer) clearTimeout(timer);
          resolve();
        }),
      ),
    );
    pump();
    req.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = `${host}:${(server.address() as AddressInfo).port}`;
  return {
    address,
    url: (path) => `http://${address}${path}`,
    bytesSent: () => sent,
    allClosed: async () => {
      await Promise.all(open);
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `work`'s outcome and the highest RSS growth seen while it ran (sampled every 10 ms). */
export async function peakRssGrowth<T>(work: () => Promise<T>): Promise<{ result: PromiseSettledResult<T>; growthBytes: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  const [result] = await Promise.allSettled([work()]);
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { result: result as PromiseSettledResult<T>, growthBytes: peak - before };
}
