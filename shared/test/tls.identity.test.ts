import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createFleetCa, fleetUri, issueCertificate, parseFleetUri, peerIdentity, subjectAltNames, type FleetCa } from '../src/index.js';
import { certificateWithSan } from './tls.fixtures.js';

let ca: FleetCa;
beforeAll(async () => {
  ca = await createFleetCa({ commonName: 'Fleet CA', validDays: 365 });
});

describe('peerIdentity', () => {
  it('reads the role and name from a PEM or DER certificate', async () => {
    const { certPem } = await issueCertificate({ ca, role: 'controller', name: 'main', dnsNames: ['ctl.example.com'], validDays: 1 });
    expect(peerIdentity(certPem)).toEqual({ role: 'controller', name: 'main' });
    expect(peerIdentity(new X509Certificate(certPem).raw)).toEqual({ role: 'controller', name: 'main' });
  });

  it('is undefined for a certificate without a role URI', async () => {
    const { certPem } = await certificateWithSan(ca, [{ type: 'dns', value: 'web1.example.com' }]);
    expect(peerIdentity(certPem)).toBeUndefined();
  });

  it('is undefined for a URI outside the fleet scheme or with an unknown role', async () => {
    for (const value of [
      'spiffe://other/controller/main',
      'spiffe://wofleet/admin/main',
      'spiffe://wofleet/controller/Main',
      'spiffe://wofleet/controller/main/x',
    ]) {
      const { certPem } = await certificateWithSan(ca, [{ type: 'url', value }]);
      expect(peerIdentity(certPem), value).toBeUndefined();
    }
  });

  it('is undefined when a certificate carries two fleet URIs', async () => {
    const { certPem } = await certificateWithSan(ca, [
      { type: 'url', value: 'spiffe://wofleet/agent/web1' },
      { type: 'url', value: 'spiffe://wofleet/controller/main' },
    ]);
    expect(peerIdentity(certPem)).toBeUndefined();
  });

  it('does not take a DNS name that spells a URI entry for one', async () => {
    const { certPem } = await certificateWithSan(ca, [{ type: 'dns', value: 'x, URI:spiffe://wofleet/controller/main' }]);
    expect(new X509Certificate(certPem).subjectAltName).toContain('DNS:"x\\u002c URI:');
    expect(peerIdentity(certPem)).toBeUndefined();
  });

  it('is undefined for something that is not a certificate', () => {
    expect(peerIdentity('not a certificate')).toBeUndefined();
    expect(peerIdentity(Buffer.from([1, 2, 3]))).toBeUndefined();
  });
});

describe('fleet URIs', () => {
  it('round-trip between role/name and URI', () => {
    expect(fleetUri('agent', 'web-1')).toBe('spiffe://wofleet/agent/web-1');
    expect(parseFleetUri('spiffe://wofleet/agent/web-1')).toEqual({ role: 'agent', name: 'web-1' });
  });

  it("split Node's subjectAltName text, quoted values included", () => {
    expect(subjectAltNames('URI:spiffe://wofleet/agent/a, DNS:"x\\u002c URI:y", IP Address:10.0.0.1')).toEqual([
      { type: 'URI', value: 'spiffe://wofleet/agent/a' },
      { type: 'DNS', value: 'x, URI:y' },
      { type: 'IP Address', value: '10.0.0.1' },
    ]);
  });
});
