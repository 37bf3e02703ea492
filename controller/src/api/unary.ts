import { status, type Metadata, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { PeerIdentity } from '@wofleet/shared';
import type { ControllerContext } from '../context/index.js';
import { operatorCaller, type Caller, type OperatorMethod } from './authorize.js';
import { toServiceError } from './status-codes.js';

/**
 * How every unary method of ControllerService and RolloutService runs: who may call
 * (an operator certificate with enough access, an agent certificate, or none for Enroll), and its failure as a gRPC status
 * (status-codes.ts), logged when unexpected.
 */
export type Unary<Req, Res> = (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void;

/** Enroll: no client certificate needed, the token is the credential. */
export function openUnary<Req, Res>(ctx: ControllerContext, work: (request: Req) => Promise<Res>): Unary<Req, Res> {
  return (call, callback) => {
    work(call.request).then(
      (answer) => callback(null, answer),
      (err: unknown) => callback(logged(ctx, toServiceError(err), err)),
    );
  };
}

/** Every operator method: an operator certificate of the fleet CA, not revoked, with the access `method` needs (authorize.ts). */
export function operatorUnary<Req, Res>(
  ctx: ControllerContext,
  method: OperatorMethod,
  work: (request: Req, operator: PeerIdentity, metadata: Metadata) => Promise<Res>,
): Unary<Req, Res> {
  return guardedUnary(ctx, (call) => operatorCaller(ctx, call, method), work);
}

/** Methods agents call with their certificate (renewal, the revocation list); `check` is agentCaller or fleetCaller. */
export function certifiedUnary<Req, Res>(
  ctx: ControllerContext,
  check: (ctx: ControllerContext, call: ServerUnaryCall<unknown, unknown>) => Promise<Caller>,
  work: (request: Req, caller: Caller & { ok: true }) => Promise<Res>,
): Unary<Req, Res> {
  return guardedUnary(
    ctx,
    (call) => check(ctx, call),
    (request: Req, _identity, _metadata, caller) => work(request, caller),
  );
}

function guardedUnary<Req, Res>(
  ctx: ControllerContext,
  check: (call: ServerUnaryCall<unknown, unknown>) => Promise<Caller>,
  work: (request: Req, identity: PeerIdentity, metadata: Metadata, caller: Caller & { ok: true }) => Promise<Res>,
): Unary<Req, Res> {
  return (call, callback) => {
    check(call as ServerUnaryCall<unknown, unknown>)
      .then((caller) => {
        if (!caller.ok) {
          callback({ code: status.PERMISSION_DENIED, details: `permission denied: ${caller.reason}` });
          return;
        }
        return work(call.request, caller.identity, call.metadata, caller).then((answer) => callback(null, answer));
      })
      .catch((err: unknown) => callback(logged(ctx, toServiceError(err), err)));
  };
}

/** The status a failure maps to; logged with its stack when INTERNAL (not the caller's mistake). */
export function logged<E extends { code?: status | undefined }>(ctx: ControllerContext, mapped: E, err: unknown): E {
  if (mapped.code === status.INTERNAL) ctx.log.error({ err }, 'unexpected failure in a gRPC call');
  return mapped;
}
