import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { HealthCheckError } from '@wofleet/shared';

/**
 * A minimal FastCGI client (responder role, one request per connection) for talking
 * to PHP-FPM pools over their unix sockets, the way cachetool does: the agent runs
 * its own small PHP scripts inside a pool (opcache reset) without going through nginx.
 *
 * One request: BEGIN_REQUEST (keep-conn 0), PARAMS records + an empty PARAMS, an
 * empty STDIN; then STDOUT/STDERR records are collected until END_REQUEST. CGI
 * headers (Status) are split off STDOUT.
 */

const VERSION = 1;
const RECORD = { beginRequest: 1, endRequest: 3, params: 4, stdin: 5, stdout: 6, stderr: 7 } as const;
const ROLE_RESPONDER = 1;
const REQUEST_ID = 1;
const MAX_CONTENT = 0xffff;
const PROTOCOL_STATUS = ['request complete', 'cannot multiplex connections', 'overloaded', 'unknown role'] as const;

export const FASTCGI_FAILURE = {
  socketMissing: 'socket-missing',
  refused: 'refused',
  timeout: 'timeout',
  protocol: 'protocol',
  status: 'status',
} as const;
export type FastCgiFailure = (typeof FASTCGI_FAILURE)[keyof typeof FASTCGI_FAILURE];

/** A FastCGI exchange with a PHP-FPM pool failed; `kind` says how. */
export class FastCgiError extends HealthCheckError {
  constructor(
    readonly kind: FastCgiFailure,
    readonly socketPath: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface FastCgiRequest {
  socketPath: string;
  params: Readonly<Record<string, string>>;
  timeoutMs: number;
}

export interface FastCgiResponse {
  /** From the CGI `Status` header; 200 when the script sent none. */
  status: number;
  /** CGI headers, names lower-cased. */
  headers: Record<string, string>;
  body: string;
  /** What the pool wrote to FCGI_STDERR (PHP errors when display is off, "Primary script unknown"). */
  stderr: string;
  appStatus: number;
}

function record(type: number, content: Buffer = Buffer.alloc(0)): Buffer {
  const padding = (8 - (content.length % 8)) % 8;
  const header = Buffer.alloc(8);
  header.writeUInt8(VERSION, 0);
  header.writeUInt8(type, 1);
  header.writeUInt16BE(REQUEST_ID, 2);
  header.writeUInt16BE(content.length, 4);
  header.writeUInt8(padding, 6);
  return Buffer.concat([header, content, Buffer.alloc(padding)]);
}

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE((length | 0x80000000) >>> 0, 0);
  return buf;
}

/** One name-value pair: each length in 1 byte (< 128) or 4 bytes with the high bit set. */
function encodePair(name: string, value: string): Buffer {
  const n = Buffer.from(name, 'utf8');
  const v = Buffer.from(value, 'utf8');
  return Buffer.concat([encodeLength(n.length), encodeLength(v.length), n, v]);
}

/**
 * The PARAMS stream. PHP-FPM parses each PARAMS record on its own, so a pair must not
 * be split across records: pairs are packed whole into records of at most 64 KiB, and
 * a single pair larger than that is refused.
 */
function paramsRecords(socketPath: string, params: Readonly<Record<string, string>>): Buffer[] {
  const records: Buffer[] = [];
  let batch: Buffer[] = [];
  let size = 0;
  for (const [name, value] of Object.entries(params)) {
    const pair = encodePair(name, value);
    if (pair.length > MAX_CONTENT) {
      throw new FastCgiError(
        FASTCGI_FAILURE.protocol,
        socketPath,
        `FastCGI parameter ${name} is too long for PHP-FPM (${pair.length} bytes, max ${MAX_CONTENT})`,
      );
    }
    if (size + pair.length > MAX_CONTENT) {
      records.push(record(RECORD.params, Buffer.concat(batch)));
      batch = [];
      size = 0;
    }
    batch.push(pair);
    size += pair.length;
  }
  if (size > 0) records.push(record(RECORD.params, Buffer.concat(batch)));
  records.push(record(RECORD.params));
  return records;
}

function encodeRequest(request: FastCgiRequest): Buffer {
  const begin = Buffer.alloc(8);
  begin.writeUInt16BE(ROLE_RESPONDER, 0); // flags byte 2 = 0: close the connection afterwards
  return Buffer.concat([
    record(RECORD.beginRequest, begin),
    ...paramsRecords(request.socketPath, request.params),
    record(RECORD.stdin), // empty STDIN: no request body
  ]);
}

interface RawResponse {
  stdout: Buffer;
  stderr: Buffer;
  appStatus: number;
}

/** Parses as many complete records as `buffer` holds; returns the rest, or the end when seen. */
function consumeRecords(
  buffer: Buffer,
  out: { stdout: Buffer[]; stderr: Buffer[] },
): { rest: Buffer; end?: { appStatus: number; protocolStatus: number } } {
  let offset = 0;
  while (buffer.length - offset >= 8) {
    const type = buffer.readUInt8(offset + 1);
    const length = buffer.readUInt16BE(offset + 4);
    const padding = buffer.readUInt8(offset + 6);
    if (buffer.length - offset < 8 + length + padding) break;
    const content = buffer.subarray(offset + 8, offset + 8 + length);
    offset += 8 + length + padding;
    if (type === RECORD.stdout) out.stdout.push(content);
    else if (type === RECORD.stderr) out.stderr.push(content);
    else if (type === RECORD.endRequest) {
      return { rest: buffer.subarray(offset), end: { appStatus: content.readUInt32BE(0), protocolStatus: content.readUInt8(4) } };
    }
  }
  return { rest: buffer.subarray(offset) };
}

function exchange(request: FastCgiRequest): Promise<RawResponse> {
  const { socketPath } = request;
  const encoded = encodeRequest(request);
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const out = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    let pending: Buffer = Buffer.alloc(0);
    let settled = false;
    const finish = (err: FastCgiError | undefined, value?: RawResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else if (value) resolve(value);
    };
    const timer = setTimeout(
      () =>
        finish(
          new FastCgiError(FASTCGI_FAILURE.timeout, socketPath, `PHP-FPM at ${socketPath} did not answer within ${request.timeoutMs} ms`),
        ),
      request.timeoutMs,
    );
    socket.once('connect', () => socket.write(encoded));
    socket.on('data', (chunk: Buffer) => {
      const parsed = consumeRecords(Buffer.concat([pending, chunk]), out);
      pending = parsed.rest;
      if (!parsed.end) return;
      if (parsed.end.protocolStatus !== 0) {
        const why = PROTOCOL_STATUS[parsed.end.protocolStatus] ?? `protocol status ${parsed.end.protocolStatus}`;
        finish(new FastCgiError(FASTCGI_FAILURE.protocol, socketPath, `PHP-FPM at ${socketPath} refused the request: ${why}`));
        return;
      }
      finish(undefined, { stdout: Buffer.concat(out.stdout), stderr: Buffer.concat(out.stderr), appStatus: parsed.end.appStatus });
    });
    socket.once('end', () =>
      finish(
        new FastCgiError(
          FASTCGI_FAILURE.protocol,
          socketPath,
          `PHP-FPM at ${socketPath} closed the connection before the end of the request`,
        ),
      ),
    );
    socket.once('error', (err: NodeJS.ErrnoException) => finish(connectionError(socketPath, err)));
  });
}

function connectionError(socketPath: string, err: NodeJS.ErrnoException): FastCgiError {
  switch (err.code) {
    case 'ENOENT':
      return new FastCgiError(FASTCGI_FAILURE.socketMissing, socketPath, `PHP-FPM socket ${socketPath} does not exist`, { cause: err });
    case 'ECONNREFUSED':
      return new FastCgiError(FASTCGI_FAILURE.refused, socketPath, `nothing listens on PHP-FPM socket ${socketPath} (connection refused)`, {
        cause: err,
      });
    case 'EACCES':
      return new FastCgiError(FASTCGI_FAILURE.refused, socketPath, `no permission to connect to PHP-FPM socket ${socketPath}`, {
        cause: err,
      });
    default:
      return new FastCgiError(FASTCGI_FAILURE.protocol, socketPath, `FastCGI exchange with ${socketPath} failed: ${err.message}`, {
        cause: err,
      });
  }
}

/** Splits CGI headers off the script's output; `Status: 404 Not Found` -> 404. */
function parseCgiOutput(stdout: Buffer): { status: number; headers: Record<string, string>; body: string } {
  const text = stdout.toString('utf8');
  const match = /\r?\n\r?\n/.exec(text);
  const head = match ? text.slice(0, match.index) : '';
  const body = match ? text.slice(match.index + match[0].length) : text;
  const headers: Record<string, string> = {};
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = headers.status ? Number.parseInt(headers.status, 10) : 200;
  return { status: Number.isFinite(status) ? status : 200, headers, body };
}

/** One FastCGI request; any HTTP status is returned, transport failures throw FastCgiError. */
export async function fastcgiRequest(request: FastCgiRequest): Promise<FastCgiResponse> {
  try {
    await fs.stat(request.socketPath);
  } catch (err) {
    throw connectionError(request.socketPath, err as NodeJS.ErrnoException);
  }
  const raw = await exchange(request);
  return { ...parseCgiOutput(raw.stdout), stderr: raw.stderr.toString('utf8'), appStatus: raw.appStatus };
}

/**
 * Runs one PHP file inside the pool behind `socketPath` (SCRIPT_FILENAME = scriptPath)
 * and returns its response; a status other than 200 throws, with PHP's stderr.
 */
export async function runPhpScript(
  socketPath: string,
  scriptPath: string,
  options: { timeoutMs: number; params?: Readonly<Record<string, string>> },
): Promise<FastCgiResponse> {
  const name = `/${path.basename(scriptPath)}`;
  const response = await fastcgiRequest({
    socketPath,
    timeoutMs: options.timeoutMs,
    params: {
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_SOFTWARE: 'wofleet-agent',
      SERVER_PROTOCOL: 'HTTP/1.1',
      SERVER_NAME: 'localhost',
      SERVER_ADDR: '127.0.0.1',
      SERVER_PORT: '80',
      REMOTE_ADDR: '127.0.0.1',
      REQUEST_METHOD: 'GET',
      REQUEST_URI: name,
      QUERY_STRING: '',
      CONTENT_LENGTH: '0',
      DOCUMENT_ROOT: path.dirname(scriptPath),
      SCRIPT_NAME: name,
      SCRIPT_FILENAME: scriptPath,
      ...options.params,
    },
  });
  if (response.status !== 200) {
    const detail = (response.stderr || response.body).trim().split('\n').slice(0, 3).join(' | ');
    throw new FastCgiError(
      FASTCGI_FAILURE.status,
      socketPath,
      `${scriptPath} in PHP-FPM pool ${socketPath} answered ${response.status}${detail ? `: ${detail}` : ''}`,
    );
  }
  return response;
}
