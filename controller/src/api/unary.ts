import { status, type Metadata, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { PeerIdentity } from '@wofleet/shared';
import type { ControllerContext } from '../context/index.js';
import { operatorCaller } from './authorize.js';
import { toServiceError } from './status-codes.js';

/**
 * How every unary method of ControllerService and RolloutService runs: who may call
 * (an operator certificate, or none for Enroll), and its failure as a gRPC status
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

/** Every operator method: the caller must present an operator certificate of the fleet CA. */
export function operatorUnary<Req, Res>(
  ctx: ControllerContext,
  work: (request: Req, operator: PeerIdentity, metadata: Metadata) => Promise<Res>,
): Unary<Req, Res> {
  return (call, callback) => {
    const caller = operatorCaller(call as ServerUnaryCall<unknown, unknown>);
    if (!caller.ok) {
      callback({ code: status.PERMISSION_DENIED, details: `permission denied: ${caller.reason}` });
      return;
    }
    work(call.request, caller.identity, call.metadata).then(
      (answer) => callback(null, answer),
      (err: unknown) => callback(logged(ctx, toServiceError(err), err)),
    );
  };
}

/** The status a failure maps to; logged with its stack when INTERNAL (not the caller's mistake). */
export function logged<E extends { code?: status | undefined }>(ctx: ControllerContext, mapped: E, err: unknown): E {
  if (mapped.code === status.INTERNAL) ctx.log.error({ err }, 'unexpected failure in a gRPC call');
  return mapped;
}
