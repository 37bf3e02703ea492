import { status, type ServerWritableStream } from '@grpc/grpc-js';
import type { RolloutServiceHandlers, RolloutUpdateInput, WatchRolloutRequest } from '@wofleet/proto';
import {
  actOnCampaign,
  askOnce,
  getCampaign,
  listCampaigns,
  parseCampaignRequest,
  planCampaign,
  startCampaign,
  type CampaignContext,
  type CampaignEvent,
} from '../campaigns/index.js';
import { operatorActor, type ControllerContext } from '../context/index.js';
import type { AgentDialer } from '../servers/live.js';
import { createCampaignRepository } from '../campaign-store/index.js';
import { operatorCaller } from './authorize.js';
import { cutPage, invalidPageToken, pageToRead } from './paging.js';
import { logged, operatorUnary } from './unary.js';
import type { SubscribeToSubject } from '../events/campaign-events.js';
import { parseCampaignId } from '../grpc/rollout-id.js';
import { watchCampaign, type WatchCampaignOptions } from './rollout-watch.js';
import { toCampaignAction, toRequestText, toWirePlan, toWireRollout, wireUpdates } from './rollout-wire.js';
import { toServiceError } from './status-codes.js';

/** What RolloutService reaches beyond the context: campaign events on NATS (both optional: without them, no events and watches poll). */
export interface RolloutPorts {
  publish?: (event: CampaignEvent) => void;
  subscribe?: SubscribeToSubject;
  watchPollMs?: WatchCampaignOptions['pollMs'];
  /**
   * Aborted when the controller stops: open watches end at once with UNAVAILABLE (the
   * CLI says so) instead of holding the server's shutdown for its whole grace period.
   */
  shutdown?: AbortSignal;
  /** Reaches agents: a plan asks an offline canary's agent before refusing it (without it, presence alone judges). */
  dialAgent?: AgentDialer;
  /** Where campaign webhooks go: starts and operator actions queue theirs (none: no webhooks). */
  webhookUrls?: readonly string[];
}

/** A campaign carries every server it targets: pages of them are kept far smaller than of servers or sites. */
export const MAX_ROLLOUT_PAGE_SIZE = 50;

/** The [created_at, id] of a page token, checked before it reaches a query. */
function campaignKey([createdAt = '', id = '']: string[]): { createdAt: Date; id: string } {
  const at = new Date(createdAt);
  if (Number.isNaN(at.getTime()) || at.toISOString() !== createdAt) throw invalidPageToken();
  try {
    return { createdAt: at, id: parseCampaignId(id) };
  } catch {
    throw invalidPageToken();
  }
}

const SHUTTING_DOWN = { code: status.UNAVAILABLE, details: 'the controller is shutting down: watch again once it is back' };

/** RolloutService: every method needs an operator certificate; each maps its message to one engine call. */
export function createRolloutHandlers(ctx: ControllerContext, ports: RolloutPorts = {}): RolloutServiceHandlers {
  const campaigns: CampaignContext = {
    repository: createCampaignRepository(ctx.db, { webhookUrls: ports.webhookUrls ?? [] }),
    clock: ctx.clock,
    log: ctx.log,
    ...(ports.dialAgent ? { agentAnswers: askOnce(ports.dialAgent, ctx.clock) } : {}),
    ...(ports.publish ? { publish: ports.publish } : {}),
  };
  return {
    PlanRollout: operatorUnary(ctx, 'RolloutService.PlanRollout', async (request) =>
      toWirePlan(await planCampaign(campaigns, parseCampaignRequest(toRequestText(request)))),
    ),

    StartRollout: operatorUnary(ctx, 'RolloutService.StartRollout', async (request, operator) =>
      toWireRollout(await startCampaign(campaigns, parseCampaignRequest(toRequestText(request)), operatorActor(operator.name))),
    ),

    GetRollout: operatorUnary(ctx, 'RolloutService.GetRollout', async (request) =>
      toWireRollout(await getCampaign(campaigns, parseCampaignId(request.id))),
    ),

    ListRollouts: operatorUnary(ctx, 'RolloutService.ListRollouts', async (request) => {
      const { size, after } = pageToRead(request, 2, MAX_ROLLOUT_PAGE_SIZE);
      const filter = request.active ? { active: true } : {};
      const views = await listCampaigns(campaigns, filter, { after: after && campaignKey(after), limit: size + 1 });
      const page = cutPage(views, size, (view) => [view.createdAt.toISOString(), view.id]);
      return { rollouts: page.rows.map(toWireRollout), nextPageToken: page.nextPageToken };
    }),

    ActOnRollout: operatorUnary(ctx, 'RolloutService.ActOnRollout', async (request, operator) =>
      toWireRollout(
        await actOnCampaign(campaigns, parseCampaignId(request.id), toCampaignAction(request.action), operatorActor(operator.name), {
          restoreDb: request.restoreDb,
        }),
      ),
    ),

    WatchRollout: (call: ServerWritableStream<WatchRolloutRequest, RolloutUpdateInput>) => {
      // Listening before the (asynchronous) authorization, so a watcher gone meanwhile is seen.
      const gone = new AbortController();
      call.on('cancelled', () => gone.abort());
      operatorCaller(ctx, call, 'RolloutService.WatchRollout').then(
        (caller) =>
          caller.ok
            ? followRollout(call, gone)
            : call.emit('error', { code: status.PERMISSION_DENIED, details: `permission denied: ${caller.reason}` }),
        (err: unknown) => call.emit('error', logged(ctx, toServiceError(err), err)),
      );
    },
  };

  function followRollout(call: ServerWritableStream<WatchRolloutRequest, RolloutUpdateInput>, gone: AbortController): void {
    const signal = ports.shutdown ? AbortSignal.any([gone.signal, ports.shutdown]) : gone.signal;
    const toWireUpdate = wireUpdates(call.request.changesOnly);
    const watch = async () =>
      watchCampaign({
        id: parseCampaignId(call.request.id),
        read: (id) => getCampaign(campaigns, id),
        subscribe: ports.subscribe,
        send: (update) => call.write(toWireUpdate(update)),
        signal,
        log: ctx.log,
        ...(ports.watchPollMs ? { pollMs: ports.watchPollMs } : {}),
      });
    watch().then(
      (ended) => (ended === 'aborted' && !gone.signal.aborted ? call.emit('error', SHUTTING_DOWN) : call.end()),
      (err: unknown) => call.emit('error', logged(ctx, toServiceError(err), err)),
    );
  }
}
