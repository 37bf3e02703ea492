/** The rollout campaign engine: the only entry point the operator surface imports. */
export * from './model.js';
export { parseCampaignRequest } from './input.js';
export { planCampaign, type PlanContext } from './plan.js';
export type { HeldPackage } from './plan-agent-upgrade.js';
export { askOnce } from './presence-probe.js';
export {
  startCampaign,
  startAgentUpgrade,
  getCampaign,
  listCampaigns,
  actOnCampaign,
  RestoreDbRequiredError,
  type ActionOptions,
  type CampaignContext,
} from './commands.js';
export { startCampaignRunner, type CampaignRunner } from './runner.js';
export type { CampaignRunnerOptions } from './runner-options.js';
export { ServerInActiveCampaignError, type CampaignPage, type CampaignRepository } from './repository.js';
export type { GateCheckRunner, GateCheckTarget } from './gate-checks.js';
