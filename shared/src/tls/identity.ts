import { X509Certificate } from 'node:crypto';
import { UsageError } from '../errors.js';

/**
 * Who a certificate belongs to in the fleet. The role is marked in the certificate
 * as a SAN URI `spiffe://wofleet/<role>/<name>`; the agent accepts only callers
 * marked controller, the controller knows an agent by its name. Operators (the
 * `wofleet` CLI) carry role operator: the controller serves them its operator API,
 * agents refuse them, so an operator's laptop certificate cannot drive agents directly.
 */
export const FLEET_ROLE = { controller: 'controller', agent: 'agent', operator: 'operator' } as const;
export type FleetRole = (typeof FLEET_ROLE)[keyof typeof FLEET_ROLE];

export interface PeerIdentity {
  role: FleetRole;
  /** The server id (agent) or controller name. */
  name: string;
}

export const FLEET_URI_PREFIX = 'spiffe://wofleet/';

/** Same rule as the agent's `serverId`: 1-63 lower-case letters, digits or hyphens. */
const NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
const FLEET_URI_RE = /^spiffe:\/\/wofleet\/(controller|agent|operator)\/([a-z0-9][a-z0-9-]{0,62})$/;

export function isFleetRole(value: string): value is FleetRole {
  return value === FLEET_ROLE.controller || value === FLEET_ROLE.agent || value === FLEET_ROLE.operator;
}

export function assertFleetName(name: string): void {
  if (!NAME_RE.test(name)) throw new UsageError(`invalid fleet name '${name}': must be 1-63 lower-case letters, digits or hyphens`);
}

export function fleetUri(role: FleetRole, name: string): string {
  assertFleetName(name);
  return `${FLEET_URI_PREFIX}${role}/${name}`;
}

export function parseFleetUri(uri: string): PeerIdentity | undefined {
  const match = FLEET_URI_RE.exec(uri);
  if (!match) return undefined;
  return { role: match[1] as FleetRole, name: match[2] as string };
}

/**
 * The fleet identity of a certificate (PEM, DER, or a parsed Node certificate), from
 * its SAN URI. Undefined when there is none, when there are several (ambiguous), or
 * when the input is not a certificate. Says nothing about who signed it: call it on a
 * peer certificate TLS has already verified against the fleet CA.
 */
export function peerIdentity(cert: string | Buffer | X509Certificate): PeerIdentity | undefined {
  let parsed: X509Certificate;
  try {
    parsed = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  } catch {
    return undefined;
  }
  return identityFromAltNames(parsed.subjectAltName ?? '');
}

/**
 * The fleet identity in a certificate's SAN text as Node gives it (X509Certificate's
 * `subjectAltName`, or `subjectaltname` of a TLS peer certificate: the same text), for a
 * caller that already holds the parsed certificate.
 */
export function identityFromAltNames(text: string): PeerIdentity | undefined {
  const identities = subjectAltNames(text)
    .filter((entry) => entry.type === 'URI' && entry.value.startsWith(FLEET_URI_PREFIX))
    .map((entry) => parseFleetUri(entry.value));
  const [only] = identities;
  return identities.length === 1 ? only : undefined;
}

export interface SubjectAltName {
  /** Node's names: 'DNS', 'URI', 'IP Address', 'email', ... */
  type: string;
  value: string;
}

/**
 * Split Node's `X509Certificate.subjectAltName` text: entries are joined by ", " and a
 * value holding a separator or quote is written as a JSON string (Node >= 17.3.1 /
 * 16.13.2, CVE-2021-44532), so a DNS name cannot pose as a second entry.
 */
export function subjectAltNames(text: string): SubjectAltName[] {
  const entries: SubjectAltName[] = [];
  let at = 0;
  while (at < text.length) {
    const colon = text.indexOf(':', at);
    if (colon < 0) break;
    const type = text.slice(at, colon);
    let end: number;
    let value: string;
    if (text[colon + 1] === '"') {
      end = colon + 2;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      end++;
      try {
        value = JSON.parse(text.slice(colon + 1, end)) as string;
      } catch {
        return entries;
      }
    } else {
      end = text.indexOf(', ', colon);
      if (end < 0) end = text.length;
      value = text.slice(colon + 1, end);
    }
    entries.push({ type, value });
    at = end + 2;
  }
  return entries;
}
