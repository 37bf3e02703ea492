/**
 * What a long run (the demo) has started, to be stopped however the run ends: normally,
 * on an error, or on Ctrl-C in the middle of starting something. A part is registered
 * while it is still starting, so an interrupted start is stopped once it has started
 * (or not at all if its start failed, which cleans up after itself).
 */
export class Teardown {
  private readonly steps: Array<() => Promise<unknown>> = [];
  private done: Promise<void> | undefined;

  /** Registers `starting`'s stop, then resolves with what it started. */
  adopt<T>(starting: Promise<T>, stop: (started: T) => Promise<unknown>): Promise<T> {
    this.steps.push(() => starting.then(stop, () => undefined));
    return starting;
  }

  /**
   * Stops everything registered, all at once (the parts stop independently: the
   * controller and nats-server on the host, each server with what runs in it); once only,
   * later calls wait for the first. A part that fails to stop is reported on stderr.
   */
  run(): Promise<void> {
    this.done ??= Promise.allSettled(this.steps.map((step) => step())).then((results) => {
      for (const r of results) if (r.status === 'rejected') process.stderr.write(`teardown: ${String(r.reason)}\n`);
    });
    return this.done;
  }
}
