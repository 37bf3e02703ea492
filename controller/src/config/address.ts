import { isIP } from 'node:net';
import { printable, UsageError } from '@wofleet/shared';

/** host:port as an operator writes it: a DNS name, an IPv4 address or a bracketed IPv6 address, then a port 1-65535. */
export interface HostPort {
  /** Without brackets for IPv6. */
  host: string;
  port: number;
}

const DNS_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const DNS_NAME_RE = new RegExp(`^${DNS_LABEL}(?:\\.${DNS_LABEL})*$`);
const HOST_PORT_RE = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+):(\d{1,5})$/;

/** Parses HOST:PORT; `what` names the value in the error (`--address`, `--listen`). */
export function parseHostPort(what: string, input: string): HostPort {
  const text = input.trim();
  const match = HOST_PORT_RE.exec(text);
  if (!match) throw new UsageError(`invalid ${what} '${printable(input)}': expected HOST:PORT (e.g. web-1.example.com:7443)`);
  const rawHost = match[1] as string;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) throw new UsageError(`invalid ${what} '${printable(input)}': port ${match[2]} is out of range 1-65535`);
  const bracketed = rawHost.startsWith('[');
  const host = bracketed ? rawHost.slice(1, -1) : rawHost;
  const valid = bracketed ? isIP(host) === 6 : isIP(host) === 4 || (DNS_NAME_RE.test(host) && host.length <= 253);
  if (!valid) throw new UsageError(`invalid ${what} '${printable(input)}': '${printable(host)}' is not a host name or IP address`);
  return { host, port };
}

/** The canonical text of a parsed address (IPv6 bracketed again). */
export function formatHostPort({ host, port }: HostPort): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/** The host part of an inventory address (`host:port`, `[v6]:port`), without brackets. */
export function hostOfAddress(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed?.[1]) return bracketed[1];
  const colon = address.lastIndexOf(':');
  return colon === -1 ? address : address.slice(0, colon);
}
