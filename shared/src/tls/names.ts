import { isIP } from 'node:net';
import type * as X509 from '@peculiar/x509';
import { UsageError } from '../errors.js';
import { ACCESS_OU_PREFIX, type OperatorAccess } from './access.js';
import { fleetUri, type FleetRole } from './identity.js';

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const DNS_NAME_RE = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

export interface SubjectNames {
  role: FleetRole;
  name: string;
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  /** Operators only: what the certificate allows (access.ts). */
  access?: OperatorAccess;
}

/** Subject of a fleet certificate: the SAN URI says who, the OU `access=` of an operator what it may do. */
export function subjectName({ role, name, access }: SubjectNames): X509.JsonName {
  return [{ O: ['wofleet'] }, { OU: [role] }, ...(access ? [{ OU: [`${ACCESS_OU_PREFIX}${access}`] }] : []), { CN: [name] }];
}

/** The SAN extension (built with the loaded `x509` module): the role URI first, then the DNS names and IP addresses peers dial. */
export function subjectAltNameExtension(x509: typeof X509, names: SubjectNames): X509.SubjectAlternativeNameExtension {
  const entries: X509.JsonGeneralNames = [{ type: 'url', value: fleetUri(names.role, names.name) }];
  for (const dns of names.dnsNames ?? []) {
    if (!DNS_NAME_RE.test(dns) || dns.length > 253) throw new UsageError(`invalid DNS name '${dns}'`);
    entries.push({ type: 'dns', value: dns });
  }
  for (const ip of names.ipAddresses ?? []) {
    if (isIP(ip) === 0) throw new UsageError(`invalid IP address '${ip}'`);
    entries.push({ type: 'ip', value: ip });
  }
  return new x509.SubjectAlternativeNameExtension(entries);
}
