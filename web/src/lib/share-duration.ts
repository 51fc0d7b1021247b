/** How long a new share link lasts: a few presets, or a custom amount. */
import { err, ok, type Result } from '@dockpulse/shared';
import { SHARE_TTL_LIMITS } from './api.js';

export const DURATION_PRESETS = [
  { key: '1h', label: '1 hour', seconds: 3600 },
  { key: '1d', label: '1 day', seconds: 24 * 3600 },
  { key: '7d', label: '7 days', seconds: 7 * 24 * 3600 },
] as const;

export const DURATION_UNITS = [
  { key: 'minutes', label: 'minutes', seconds: 60 },
  { key: 'hours', label: 'hours', seconds: 3600 },
  { key: 'days', label: 'days', seconds: 24 * 3600 },
] as const;

export type DurationChoice = (typeof DURATION_PRESETS)[number]['key'] | 'custom';
export type DurationUnit = (typeof DURATION_UNITS)[number]['key'];

/** The lifetime in seconds, or why the custom amount cannot be one (said to a person). */
export function ttlSeconds(choice: DurationChoice, amount: number, unit: DurationUnit): Result<number, string> {
  if (choice !== 'custom') {
    const preset = DURATION_PRESETS.find((p) => p.key === choice);
    return preset ? ok(preset.seconds) : err('Choose how long the link lasts.');
  }
  const per = DURATION_UNITS.find((u) => u.key === unit)?.seconds ?? 60;
  if (!Number.isFinite(amount) || amount <= 0) return err('Enter how long the link lasts.');
  const seconds = Math.round(amount * per);
  if (seconds < SHARE_TTL_LIMITS.minSeconds) return err('A link lasts at least 1 minute.');
  if (seconds > SHARE_TTL_LIMITS.maxSeconds) return err('A link lasts at most 30 days.');
  return ok(seconds);
}
