/** Every table of the controller's database; drizzle-kit generates the migrations from these. */
export * from './servers.js';
export * from './sites.js';
export * from './releases.js';
export * from './operations.js';
export * from './audit-events.js';
export * from './enrollment-tokens.js';
export * from './campaigns.js';
export * from './certificates.js';
export * from './webhook-deliveries.js';
export * from './agent-packages.js';

import { agentPackageChunks, agentPackages } from './agent-packages.js';
import { auditEvents } from './audit-events.js';
import { campaignTargets, campaignWaves, campaigns } from './campaigns.js';
import { certificateRevocations, issuedCertificates } from './certificates.js';
import { enrollmentTokens } from './enrollment-tokens.js';
import { operations } from './operations.js';
import { releases } from './releases.js';
import { servers } from './servers.js';
import { sites } from './sites.js';
import { webhookDeliveries } from './webhook-deliveries.js';

/** The tables as one object: the schema drizzle is opened with. */
export const tables = {
  servers,
  sites,
  releases,
  operations,
  auditEvents,
  enrollmentTokens,
  campaigns,
  campaignWaves,
  campaignTargets,
  issuedCertificates,
  certificateRevocations,
  webhookDeliveries,
  agentPackages,
  agentPackageChunks,
};
export type Tables = typeof tables;
