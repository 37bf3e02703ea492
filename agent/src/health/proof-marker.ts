import { z } from 'zod';

/** The HTML comment the MU-plugin ends a proof request's page with: `<!-- wofleet-proof {json} -->`. */
export const PROOF_MARKER_OPEN = '<!-- wofleet-proof ';
const MARKER_CLOSE = ' -->';

const phpError = z.object({ message: z.string(), file: z.string(), line: z.number().int() });
export type PhpErrorAt = z.infer<typeof phpError>;

/** What the worker that rendered the page reports, late (health/mu-plugin.ts). */
export const proofMarkerSchema = z.object({
  nonce: z.string(),
  wp_version: z.string(),
  wp_db_version: z.number().int(),
  db_version: z.number().int(),
  release: z.string(),
  theme: z.string().nullable(),
  plugins: z.array(z.string()),
  /** The theme reached wp_footer: the page rendered to its end. */
  footer: z.boolean(),
  /** PHP warnings and notices error_reporting() included, raised while rendering. */
  warnings: z.number().int().min(0),
  first_warning: phpError.nullable(),
  /** Set when the marker came from WordPress' fatal error page. */
  fatal: phpError.optional(),
  ms: z.number(),
});
export type ProofMarker = z.infer<typeof proofMarkerSchema>;

/**
 * The marker carrying this probe's nonce, else undefined. Any other marker (one a page
 * cache stored from an earlier probe) is ignored: only this request's worker knows the nonce.
 */
export function findProofMarker(body: string, nonce: string): ProofMarker | undefined {
  let from = body.lastIndexOf(PROOF_MARKER_OPEN);
  while (from >= 0) {
    const start = from + PROOF_MARKER_OPEN.length;
    const end = body.indexOf(MARKER_CLOSE, start);
    if (end > start) {
      const parsed = parseMarker(body.slice(start, end));
      if (parsed?.nonce === nonce) return parsed;
    }
    from = from === 0 ? -1 : body.lastIndexOf(PROOF_MARKER_OPEN, from - 1);
  }
  return undefined;
}

function parseMarker(json: string): ProofMarker | undefined {
  try {
    const parsed = proofMarkerSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
