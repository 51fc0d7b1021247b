/**
 * Sends one alert notice to one target: a generic webhook (the notice as JSON), ntfy (text, with Title, Priority
 * and Tags headers) or a Slack-compatible incoming webhook (`{"text": …}`). Each attempt has a timeout; failed
 * attempts are retried with capped exponential backoff, a bounded number of times. Redirects are not followed:
 * a target that answers with one has moved, and its new place is the operator's to write down.
 */
import type { AlertNotice, DeliveryOutcome, NotifyTarget } from '@dockpulse/shared';
import { backoffDelay, sleep, type BackoffOptions } from '../backoff.js';

export interface DeliveryOptions {
  /** Attempts in all, the first included. */
  attempts: number;
  timeoutMs: number;
  backoff: BackoffOptions;
}

export const DEFAULT_DELIVERY: DeliveryOptions = { attempts: 5, timeoutMs: 5_000, backoff: { baseMs: 1_000, capMs: 30_000 } };

/** The HTTP request a target gets for a notice. */
export interface NotifyRequest {
  headers: Record<string, string>;
  body: string;
}

/** What a notice says in one line, for people: `web-1 on edge-1: cpu 97.5 > 80`. */
export function describeNotice(n: AlertNotice): string {
  const value = n.value === null ? 'no value' : String(n.value);
  const what = n.state === 'firing' ? `${n.metric} ${value} ${n.op} ${n.threshold}` : `${n.metric} ${value}, resolved`;
  return `${n.container.name} on ${n.container.host}: ${what}`;
}

/** Builds the request for one kind of target. */
export function notifyRequest(type: NotifyTarget['type'], n: AlertNotice): NotifyRequest {
  const title = `[${n.state === 'firing' ? 'FIRING' : 'RESOLVED'}] ${n.rule.name}`;
  switch (type) {
    case 'webhook':
      return { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(n) };
    case 'ntfy':
      return {
        headers: {
          'Content-Type': 'text/plain; charset=utf-8',
          Title: headerText(title),
          Priority: n.state === 'firing' ? 'high' : 'default',
          Tags: n.state === 'firing' ? 'rotating_light' : 'white_check_mark',
        },
        body: describeNotice(n),
      };
    case 'slack':
      return { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text: `${title}: ${describeNotice(n)}` }) };
  }
}

/** A header value as ASCII: text with other characters is sent as an RFC 2047 encoded word, which ntfy decodes. */
function headerText(s: string): string {
  return /^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`;
}

/** The target as shown and logged: its origin only, since a path may hold a secret (a Slack hook, an ntfy topic). */
export function shownTarget(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'invalid URL';
  }
}

/** Delivers one notice to one target, retrying; resolves with how it went, never rejects. */
export async function deliver(
  target: NotifyTarget,
  notice: AlertNotice,
  opts: DeliveryOptions,
  signal: AbortSignal,
): Promise<DeliveryOutcome> {
  const request = notifyRequest(target.type, notice);
  let error = 'not attempted';
  let attempts = 0;
  while (attempts < opts.attempts && !signal.aborted) {
    if (attempts > 0) await sleep(backoffDelay(attempts - 1, opts.backoff), signal);
    if (signal.aborted) break;
    attempts++;
    const failure = await attempt(target.url, request, opts.timeoutMs, signal);
    if (failure === undefined) return outcome(target, true, attempts);
    error = failure;
  }
  return { ...outcome(target, false, attempts), error: signal.aborted && attempts < opts.attempts ? `${error} (gateway stopping)` : error };
}

function outcome(target: NotifyTarget, ok: boolean, attempts: number): DeliveryOutcome {
  return { type: target.type, target: shownTarget(target.url), ok, attempts, at: Date.now() };
}

/**
 * A URL's user name and password as Basic authorization (ntfy's protected topics take it), since `fetch` refuses
 * a URL that holds them.
 */
export function withoutCredentials(url: string): { target: string; authorization: string | undefined } {
  const u = new URL(url);
  if (u.username === '' && u.password === '') return { target: url, authorization: undefined };
  const pair = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
  u.username = '';
  u.password = '';
  return { target: u.href, authorization: `Basic ${Buffer.from(pair, 'utf8').toString('base64')}` };
}

/** One POST; undefined when it was accepted (2xx), else why not. */
async function attempt(url: string, request: NotifyRequest, timeoutMs: number, signal: AbortSignal): Promise<string | undefined> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const { target, authorization } = withoutCredentials(url);
    const res = await fetch(target, {
      method: 'POST',
      headers: authorization === undefined ? request.headers : { ...request.headers, Authorization: authorization },
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.any([signal, timeout]),
    });
    await res.body?.cancel();
    if (res.status >= 200 && res.status < 300) return undefined;
    if (res.status >= 300 && res.status < 400) return `HTTP ${res.status}: redirects are not followed`;
    return `HTTP ${res.status}`;
  } catch (e) {
    if (timeout.aborted) return `no answer within ${timeoutMs} ms`;
    const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
    return `${e instanceof Error ? e.message : String(e)}${cause}`;
  }
}
