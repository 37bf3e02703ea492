import { generateKeyPairSync, sign, verify } from 'node:crypto';

/**
 * A fixed piece of CPU work, timed, printed beside a benchmark's figures so that runs of
 * different days can be compared: on the 2-core bench machine the same campaign took 1.3-1.8
 * times the controller CPU on some days (docs/SCALE.md, sessions 14 and 15). The work is the
 * kind a campaign is made of: ECDSA P-256 signatures and verifications (a TLS handshake's
 * share) and JSON round trips of server rows (a database read's decoding).
 */
export interface Calibration {
  /** Median wall time of the rounds, ms: more means a slower (or busier) machine. */
  medianMs: number;
  rounds: number[];
}

const SIGNATURES = 1_000;
const ROWS = 10_000;
const ROUND_TRIPS = 10;

export function calibrate(rounds = 3): Calibration {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rows = Array.from({ length: ROWS }, (_, i) => ({
    name: `sim-${i}`,
    address: `127.1.${i >> 8}.${i & 255}:7443`,
    labels: { env: 'prod' },
    canary: false,
    status: 'online',
    agentVersion: '0.2.0',
  }));
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    for (let i = 0; i < SIGNATURES; i++) {
      const data = Buffer.from(`calibration ${round} ${i}`);
      if (!verify('sha256', data, publicKey, sign('sha256', data, privateKey))) throw new Error('calibration: a signature did not verify');
    }
    for (let i = 0; i < ROUND_TRIPS; i++) if (JSON.parse(JSON.stringify(rows)).length !== ROWS) throw new Error('calibration: rows lost');
    times.push(Math.round(performance.now() - start));
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { medianMs: sorted[Math.floor(sorted.length / 2)] ?? 0, rounds: times };
}

export const CALIBRATION_WORK = `${SIGNATURES.toLocaleString('en')} ECDSA P-256 sign+verify, ${ROUND_TRIPS} JSON round trips of ${ROWS.toLocaleString('en')} rows`;
