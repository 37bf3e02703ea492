import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadRolloutService, type ListRolloutsResponse, type RolloutServiceClient, type RolloutUpdate } from '@wofleet/proto';
import type { ActionOptions, CampaignAction, CampaignPlan, CampaignRequestText, CampaignView } from '../campaigns/index.js';
import type { ClientSettings } from '../config/client.js';
import { DEFAULT_CALL_TIMEOUT_MS, fromServiceError, openOperatorChannel, unaryInvoker } from './channel.js';
import type { CampaignUpdate } from '../events/campaign-events.js';
import { ControllerAnswerError, fromWireChanges, fromWireEvent, fromWirePlan, fromWireRollout } from './rollout-view.js';
import { applyCampaignChanges, campaignChanges, noCampaignChanges, type CampaignChanges } from '../events/campaign-changes.js';
import { toWireName, WIRE_PREFIX } from '../grpc/wire-names.js';

/** The `wofleet rollout` side of RolloutService: the engine's views in, wofleet errors out. */
export interface RolloutApi {
  address: string;
  plan(request: CampaignRequestText): Promise<CampaignPlan>;
  start(request: CampaignRequestText): Promise<CampaignView>;
  get(id: string): Promise<CampaignView>;
  /** One page (page_size, page_token), newest first; followPages reads them all. */
  list(options: { active: boolean; pageSize: number; pageToken: string }): Promise<{ rollouts: CampaignView[]; nextPageToken: string }>;
  act(id: string, action: CampaignAction, options?: ActionOptions): Promise<CampaignView>;
  /** Follows a campaign until it is final (the iteration ends) or the caller stops iterating (the call is cancelled). */
  watch(id: string): AsyncIterable<CampaignUpdate>;
  close(): void;
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number' && 'metadata' in err;
}

export async function connectRollouts(settings: ClientSettings, timeoutMs = DEFAULT_CALL_TIMEOUT_MS): Promise<RolloutApi> {
  const channel = await openOperatorChannel(settings);
  const { Client } = loadRolloutService();
  const client: RolloutServiceClient = new Client(channel.address, channel.credentials, channel.options);
  const address = channel.address;
  const invoke = unaryInvoker(address, timeoutMs);

  async function* watch(id: string): AsyncGenerator<CampaignUpdate> {
    // No deadline: a watch lasts as long as the campaign. Changes only: a controller
    // that predates them ignores the field and sends the whole campaign each time.
    const call = client.WatchRollout({ id, changesOnly: true }, new Metadata());
    let view: CampaignView | undefined;
    try {
      for await (const message of call as AsyncIterable<RolloutUpdate>) {
        const event = message.event ? fromWireEvent(message.event, id) : undefined;
        let changes: CampaignChanges | undefined;
        if (message.rollout) {
          const whole = fromWireRollout(message.rollout);
          changes = view && (campaignChanges(view, whole) ?? noCampaignChanges(whole));
          view = whole;
        } else if (message.changes && view) {
          changes = fromWireChanges(message.changes);
          view = applyCampaignChanges(view, changes);
        } else {
          throw new ControllerAnswerError(`the controller sent an update of campaign ${id} without the campaign`);
        }
        yield { event, view, changes };
      }
    } catch (err) {
      throw isServiceError(err) ? fromServiceError(err, address, timeoutMs) : err;
    } finally {
      call.cancel();
    }
  }

  return {
    address,
    plan: async (request) =>
      fromWirePlan(await invoke((m, deadline, done) => client.PlanRollout(toWireRequest(request), m, { deadline }, done))),
    start: async (request) =>
      fromWireRollout(await invoke((m, deadline, done) => client.StartRollout(toWireRequest(request), m, { deadline }, done))),
    get: async (id) => fromWireRollout(await invoke((m, deadline, done) => client.GetRollout({ id }, m, { deadline }, done))),
    list: async (request) => {
      const r = await invoke<ListRolloutsResponse>((m, deadline, done) => client.ListRollouts(request, m, { deadline }, done));
      return { rollouts: r.rollouts.map(fromWireRollout), nextPageToken: r.nextPageToken };
    },
    act: async (id, action, options = {}) =>
      fromWireRollout(
        await invoke((m, deadline, done) =>
          client.ActOnRollout(
            { id, action: toWireName(WIRE_PREFIX.action, action), restoreDb: options.restoreDb === true },
            m,
            { deadline },
            done,
          ),
        ),
      ),
    watch,
    close: () => client.close(),
  };
}

/** A campaign request as RolloutRequest carries it (also `agents upgrade`'s settings). */
export function toWireRequest(text: CampaignRequestText) {
  return {
    ...text,
    servers: [...text.servers],
    labels: { ...text.labels },
    checkHttp: [...text.checkHttp],
    checkCommand: [...text.checkCommand],
  };
}
