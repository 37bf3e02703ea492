import { Metadata, status, type ChannelCredentials, type ClientOptions, type ServiceError } from '@grpc/grpc-js';
import { FLEET_ROLE, loadTlsMaterial, NotFoundError, StateError, UsageError, WofleetError } from '@wofleet/shared';
import type { ClientSettings } from '../config/client.js';
import { channelOptions } from '../grpc/channel-options.js';
import { operatorChannelCredentials } from './credentials.js';

export const DEFAULT_CALL_TIMEOUT_MS = 15_000;

/** The controller answered with an error the CLI does not tell apart further, or could not be reached. */
export class ControllerCallError extends WofleetError {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

/** The operator's side of a TLS channel to the controller, shared by every service client. */
export interface OperatorChannel {
  address: string;
  credentials: ChannelCredentials;
  options: ClientOptions;
  operator: string;
  caPem: string;
}

export async function openOperatorChannel(settings: ClientSettings): Promise<OperatorChannel> {
  const tls = await loadTlsMaterial(
    { caFile: settings.caFile, certFile: settings.certFile, keyFile: settings.keyFile },
    { expectRole: FLEET_ROLE.operator },
  );
  return {
    address: settings.controller,
    credentials: operatorChannelCredentials(tls),
    options: channelOptions(settings.controller),
    operator: tls.identity.name,
    caPem: tls.caPem,
  };
}

export type UnaryStart<Res> = (metadata: Metadata, deadline: Date, done: (err: ServiceError | null, value?: Res) => void) => void;

/** One unary call with a deadline, its failure mapped to the wofleet error kind (fromServiceError). */
export function unaryInvoker(address: string, timeoutMs: number) {
  return function invoke<Res>(start: UnaryStart<Res>, metadata = new Metadata()): Promise<Res> {
    return new Promise((resolve, reject) => {
      start(metadata, new Date(Date.now() + timeoutMs), (err, value) => {
        if (err) reject(fromServiceError(err, address, timeoutMs));
        else if (value === undefined) reject(new ControllerCallError(status.INTERNAL, `the controller at ${address} sent an empty answer`));
        else resolve(value);
      });
    });
  };
}

/** A gRPC failure as the error kind the CLI turns into its exit code (2 for bad input, else 1). */
export function fromServiceError(err: ServiceError, address: string, timeoutMs: number): WofleetError {
  const details = err.details || err.message;
  switch (err.code) {
    case status.INVALID_ARGUMENT:
      return new UsageError(details);
    case status.NOT_FOUND:
      return new NotFoundError(details);
    case status.ALREADY_EXISTS:
    case status.FAILED_PRECONDITION:
      return new StateError(details);
    case status.UNAVAILABLE:
      return new ControllerCallError(err.code, `cannot reach the controller at ${address}: ${details}`);
    case status.DEADLINE_EXCEEDED:
      return new ControllerCallError(err.code, `the controller at ${address} did not answer within ${timeoutMs / 1000}s`);
    default:
      return new ControllerCallError(err.code, `the controller refused: ${details}`);
  }
}
