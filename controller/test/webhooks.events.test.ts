import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '@wofleet/shared';
import { readWebhookSecret, resolveWebhookSettings } from '../src/config/webhooks.js';
import { DEFAULT_RETRY_POLICY, nextRetryDelay, webhookEventOf } from '../src/webhooks/index.js';
import { refusal } from './refusal.fixtures.js';

/** Which transitions webhooks report, when a failed one is sent again, and the controller's webhook settings. */
describe('webhookEventOf', () => {
  it.each([
    [{ scope: 'campaign', state: 'running', reason: 'started: 6.5.5' }, 'campaign.started'],
    [{ scope: 'campaign', state: 'running', reason: 'resume requested by operator:alice' }, undefined],
    [{ scope: 'campaign', state: 'paused', reason: 'pause requested by operator:alice' }, 'campaign.paused'],
    [{ scope: 'campaign', state: 'awaiting-promotion' }, 'campaign.paused'],
    [{ scope: 'campaign', state: 'failed', reason: 'the canary failed' }, 'campaign.halted'],
    [{ scope: 'campaign', state: 'aborted' }, 'campaign.halted'],
    [{ scope: 'campaign', state: 'aborting' }, undefined],
    [{ scope: 'campaign', state: 'succeeded' }, 'campaign.succeeded'],
    [{ scope: 'campaign', state: 'rolling-back' }, undefined],
    [{ scope: 'campaign', state: 'rolled-back' }, 'campaign.rolled-back'],
    [{ scope: 'wave', state: 'running' }, undefined],
    [{ scope: 'wave', state: 'succeeded' }, 'campaign.wave-done'],
    [{ scope: 'wave', state: 'failed' }, 'campaign.wave-done'],
    [{ scope: 'wave', state: 'skipped' }, undefined],
    [{ scope: 'target', state: 'succeeded' }, undefined],
  ] as const)('%j is %s', (event, expected) => {
    expect(webhookEventOf(event)).toBe(expected);
  });
});

describe('nextRetryDelay', () => {
  it('doubles from the first delay up to the cap, each drawn between half and all of it', () => {
    const policy = { firstDelayMs: 1_000, maxDelayMs: 8_000, retryForMs: 3_600_000 };
    expect([1, 2, 3, 4, 5, 9].map((attempt) => nextRetryDelay(policy, attempt, 0, () => 1))).toEqual([
      1_000, 2_000, 4_000, 8_000, 8_000, 8_000,
    ]);
    expect(nextRetryDelay(policy, 3, 0, () => 0)).toBe(2_000);
  });

  it('gives up once the next attempt would fall past the retry period (24 h by default)', () => {
    const day = DEFAULT_RETRY_POLICY.retryForMs;
    expect(day).toBe(24 * 3_600_000);
    expect(nextRetryDelay(DEFAULT_RETRY_POLICY, 100, day - DEFAULT_RETRY_POLICY.maxDelayMs - 1, () => 1)).toBeDefined();
    expect(nextRetryDelay(DEFAULT_RETRY_POLICY, 100, day - 1_000, () => 1)).toBeUndefined();
  });
});

describe('webhook settings', () => {
  it('none without a URL; URLs from flags over WOFLEET_WEBHOOK_URLS, the secret file from either', () => {
    expect(resolveWebhookSettings({}, {})).toBeUndefined();
    const env = {
      WOFLEET_WEBHOOK_URLS: 'https://a.example/hook, http://b.example:8080/x',
      WOFLEET_WEBHOOK_SECRET_FILE: '/etc/wofleet/webhook.secret',
    };
    expect(resolveWebhookSettings({}, env)).toEqual({
      urls: ['https://a.example/hook', 'http://b.example:8080/x'],
      secretFile: '/etc/wofleet/webhook.secret',
    });
    expect(resolveWebhookSettings({ webhookUrl: ['https://c.example/'], webhookSecretFile: '/s' }, env)).toEqual({
      urls: ['https://c.example/'],
      secretFile: '/s',
    });
  });

  it('refuses a URL that is not http(s), URLs without a secret file, and a secret file without URLs', () => {
    expect(refusal(() => resolveWebhookSettings({ webhookUrl: ['ftp://a.example/'], webhookSecretFile: '/s' }, {}))).toBe(
      "invalid --webhook-url 'ftp://a.example/': only http:// and https:// URLs are accepted",
    );
    expect(refusal(() => resolveWebhookSettings({}, { WOFLEET_WEBHOOK_URLS: 'not a url', WOFLEET_WEBHOOK_SECRET_FILE: '/s' }))).toBe(
      "invalid WOFLEET_WEBHOOK_URLS 'not a url': an absolute http:// or https:// URL expected",
    );
    expect(refusal(() => resolveWebhookSettings({ webhookUrl: ['https://a.example/'] }, {}))).toMatch(
      /^webhooks are signed: set --webhook-secret-file/,
    );
    expect(refusal(() => resolveWebhookSettings({ webhookSecretFile: '/s' }, {}))).toMatch(
      /^a webhook secret file is set but no webhook URL/,
    );
  });

  it('reads the secret without its final newline and refuses a missing or short one', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'wofleet-webhook-'));
    await writeFile(path.join(dir, 'good'), 'a'.repeat(32) + '\n');
    await writeFile(path.join(dir, 'short'), 'abc\n');
    expect((await readWebhookSecret(path.join(dir, 'good'))).toString()).toBe('a'.repeat(32));
    await expect(readWebhookSecret(path.join(dir, 'short'))).rejects.toThrow(/too short: at least 16 bytes/);
    await expect(readWebhookSecret(path.join(dir, 'missing'))).rejects.toBeInstanceOf(UsageError);
  });
});
