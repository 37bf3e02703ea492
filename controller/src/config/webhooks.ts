import { readFile } from 'node:fs/promises';
import { describeError, printable, UsageError } from '@wofleet/shared';

/**
 * Where the controller sends campaign webhooks, and the file holding the secret it signs
 * them with. Flags win over the environment; no URL: no webhooks.
 *
 * | setting    | flag                        | environment                 |
 * |------------|-----------------------------|-----------------------------|
 * | urls       | --webhook-url URL (repeat)  | WOFLEET_WEBHOOK_URLS (a,b)  |
 * | secretFile | --webhook-secret-file FILE  | WOFLEET_WEBHOOK_SECRET_FILE |
 *
 * The secret has no flag or variable of its own: command lines and environments are
 * readable by other users of the host, a 0600 file is not.
 */
export interface WebhookSettings {
  urls: string[];
  secretFile: string;
}

export interface WebhookFlags {
  webhookUrl?: string[] | undefined;
  webhookSecretFile?: string | undefined;
}

/** A secret shorter than this is refused: it would be guessable. */
const MIN_SECRET_BYTES = 16;

export function resolveWebhookSettings(flags: WebhookFlags, env: NodeJS.ProcessEnv): WebhookSettings | undefined {
  const fromFlags = flags.webhookUrl !== undefined && flags.webhookUrl.length > 0;
  const what = fromFlags ? '--webhook-url' : 'WOFLEET_WEBHOOK_URLS';
  const texts = (fromFlags ? (flags.webhookUrl ?? []) : (env.WOFLEET_WEBHOOK_URLS ?? '').split(','))
    .map((u) => u.trim())
    .filter((u) => u !== '');
  const urls = [...new Set(texts.map((text) => parseWebhookUrl(what, text)))];
  const secretFile = flags.webhookSecretFile ?? (env.WOFLEET_WEBHOOK_SECRET_FILE?.trim() || undefined);
  if (urls.length === 0) {
    if (secretFile !== undefined)
      throw new UsageError('a webhook secret file is set but no webhook URL (--webhook-url or WOFLEET_WEBHOOK_URLS)');
    return undefined;
  }
  if (secretFile === undefined) {
    throw new UsageError('webhooks are signed: set --webhook-secret-file or WOFLEET_WEBHOOK_SECRET_FILE (a file holding the secret)');
  }
  return { urls, secretFile };
}

/** An absolute http:// or https:// URL, as given (normalised by URL). */
export function parseWebhookUrl(what: string, text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`invalid ${what} '${printable(text)}': an absolute http:// or https:// URL expected`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`invalid ${what} '${printable(text)}': only http:// and https:// URLs are accepted`);
  }
  return url.toString();
}

/** The secret in the file (surrounding whitespace, such as its final newline, dropped); checked at start. */
export async function readWebhookSecret(file: string): Promise<Buffer> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the webhook secret file ${file}: ${describeError(err)}`, { cause: err });
  }
  const secret = Buffer.from(text.trim(), 'utf8');
  if (secret.length < MIN_SECRET_BYTES) {
    throw new UsageError(`the webhook secret in ${file} is too short: at least ${MIN_SECRET_BYTES} bytes (e.g. openssl rand -hex 32)`);
  }
  return secret;
}
