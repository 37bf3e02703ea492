import { parseDigestMessage, parseWordPressVersion, printable, UsageError, type Digest } from '@wofleet/shared';

/** Validation of a catalog release, the same at the CLI and in the controller. */
export interface ReleaseInput {
  version: string;
  url: string | undefined;
  digest: Digest;
}

export interface RawReleaseInput {
  version: string;
  url?: string | undefined;
  /** As sent: the CLI builds it from --sha1/--sha256; an empty message is an absent one. */
  digest?: { algorithm: string; hex: string } | null | undefined;
}

export function parseReleaseInput(raw: RawReleaseInput): ReleaseInput {
  const version = parseWordPressVersion(raw.version);
  if (!raw.digest || (raw.digest.algorithm === '' && raw.digest.hex === ''))
    throw new UsageError(`release ${version} needs the archive digest: --sha1 HEX or --sha256 HEX`);
  return { version, url: raw.url ? parseReleaseUrl(raw.url) : undefined, digest: parseDigestMessage(raw.digest) };
}

function parseReleaseUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new UsageError(`invalid --url '${printable(input)}': not a URL`);
  }
  // file:// names a path on each agent (a local mirror on air-gapped fleets): the agents
  // stage it only from inside their releases.mirrorDir.
  if (url.protocol !== 'https:' && url.protocol !== 'http:' && url.protocol !== 'file:') {
    throw new UsageError(`invalid --url '${printable(input)}': must be http://, https:// or file://`);
  }
  if (url.username || url.password) throw new UsageError('invalid --url: credentials in the URL would be stored in the catalog');
  return url.toString();
}
