import { connect } from 'nats';
import { DEFAULT_EVENT_STREAM } from '../../controller/src/presence/subjects.js';
import { ensureEventStream } from '../../controller/src/presence/jetstream.js';

/**
 * Creates the agents' events stream as the controller does at start: agents publish into
 * it but may not create it. For tests that run agents without a controller.
 */
export async function createEventStream(url: string, stream = DEFAULT_EVENT_STREAM): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    await ensureEventStream(await nc.jetstreamManager(), stream);
  } finally {
    await nc.close();
  }
}
