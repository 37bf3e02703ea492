import type { sendUnaryData, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { OPERATION_KIND, type OperationInput, type OperationKind, type OperationState as WireOperationState } from '@wofleet/proto';
import { NotFoundError } from '@wofleet/shared';
import { stagedReleaseSchema } from '../../releases/index.js';
import { isTerminal, type OperationRecord, type OperationRegistry, type OperationWork } from '../../operations/index.js';
import { toServiceError } from './status-codes.js';
import * as v from './validate.js';

/**
 * The operation side of AgentService, whatever the work: answering a mutation with its
 * operation, GetOperation and WatchOperation over the idempotent registry.
 */

/** Unary handler: typed request in, typed answer or mapped error out; no logic here. */
export function unary<Req, Res>(work: (request: Req) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    work(call.request).then(
      (answer) => callback(null, answer),
      (err: unknown) => callback(toServiceError(err)),
    );
  };
}

export function toWireOperation(r: OperationRecord): OperationInput {
  return {
    id: r.id,
    kind: r.kind as OperationKind,
    state: `OPERATION_STATE_${r.state}` as WireOperationState,
    error: r.error?.message ?? '',
    errorKind: r.error?.kind ?? '',
    ...wireResult(r),
    progress: r.progress.map((p) => p.message),
    startedAt: r.startedAt,
    finishedAt: r.finishedAt ?? '',
  };
}

/**
 * A succeeded operation's result: typed for the kinds that have a message of their
 * own (what the controller reads), JSON for the rest (shown to people).
 */
function wireResult(r: OperationRecord): Pick<OperationInput, 'resultJson' | 'stageRelease'> {
  if (r.result === undefined) return { resultJson: '' };
  if (r.kind === OPERATION_KIND.OPERATION_KIND_STAGE_RELEASE)
    return { resultJson: '', stageRelease: { release: stagedReleaseSchema.parse(r.result) } };
  return { resultJson: JSON.stringify(r.result) };
}

/** How long a mutation may take before the RPC returns it still running. */
const QUICK_MS = 50;

/**
 * Start (or attach to) an idempotent operation and answer with it: terminal if it
 * finished at once, else running (follow with WatchOperation / GetOperation).
 */
export async function acceptOperation(
  operations: OperationRegistry,
  id: string,
  kind: OperationKind,
  request: unknown,
  work: OperationWork,
): Promise<OperationInput> {
  const done = operations.run(id, kind, request, work);
  const first = await Promise.race([done, new Promise<undefined>((r) => setTimeout(() => r(undefined), QUICK_MS))]);
  const record = first ?? operations.get(id);
  if (!record) throw new Error(`operation ${id} vanished`);
  return toWireOperation(record);
}

/** GetOperation and WatchOperation: the record as it stands, and its progress until it is terminal. */
export function operationQueries(operations: OperationRegistry) {
  return {
    GetOperation: unary(async (request: { operationId: string }) => {
      const record = operations.get(v.operationId(request.operationId));
      if (!record) throw new NotFoundError(`no operation ${request.operationId}`);
      return toWireOperation(record);
    }),
    WatchOperation: (call: ServerWritableStream<{ operationId: string }, unknown>) => {
      let id: string;
      try {
        id = v.operationId(call.request.operationId);
        const unsubscribe = operations.watch(id, (event) => {
          const wire = { operationId: id, state: `OPERATION_STATE_${event.state}`, message: event.message, at: event.at };
          if (!isTerminal(event.state)) {
            call.write(wire);
            return;
          }
          // The record is terminal before its watchers hear of it (registry.transition).
          const record = operations.get(id);
          call.write(record ? { ...wire, operation: toWireOperation(record) } : wire);
          queueMicrotask(() => unsubscribe?.());
          call.end();
        });
        call.on('cancelled', () => unsubscribe());
      } catch (err) {
        call.destroy(Object.assign(new Error(String(toServiceError(err).details)), toServiceError(err)));
      }
    },
  };
}
