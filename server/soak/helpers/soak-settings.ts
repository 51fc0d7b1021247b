/**
 * How much each soak test does. CI runs the short form; `SOAK=long` runs the full counts, and each count can be
 * set on its own (`SOAK_CYCLES=300`). The counts are what a run proves, so every test prints the ones it used.
 */

/** The counts of one run. */
export interface SoakSettings {
  /** Create/stop/remove cycles of containers while clients watch. */
  cycles: number;
  /** Clients watching the overview and some containers during the cycles. */
  clients: number;
  /** Times the gateway is killed with SIGKILL during share writes. */
  killRounds: number;
  /** Times the test's own Docker engine is stopped and started while clients watch. */
  engineRestarts: number;
  /** Frames of random bytes and JSON sent to a live gateway socket. */
  socketFuzzRuns: number;
  /** Runs of each property of the parsers (fast-check's `numRuns`). */
  propertyRuns: number;
}

const SHORT: SoakSettings = { cycles: 40, clients: 20, killRounds: 3, engineRestarts: 1, socketFuzzRuns: 300, propertyRuns: 300 };
const LONG: SoakSettings = { cycles: 1000, clients: 20, killRounds: 20, engineRestarts: 3, socketFuzzRuns: 3000, propertyRuns: 10_000 };

const ENV: Record<keyof SoakSettings, string> = {
  cycles: 'SOAK_CYCLES',
  clients: 'SOAK_CLIENTS',
  killRounds: 'SOAK_KILL_ROUNDS',
  engineRestarts: 'SOAK_ENGINE_RESTARTS',
  socketFuzzRuns: 'SOAK_FUZZ_RUNS',
  propertyRuns: 'SOAK_PROPERTY_RUNS',
};

/** The counts for this run, from `SOAK` (`short`, the default, or `long`) and the `SOAK_*` overrides. */
export function soakSettings(env: NodeJS.ProcessEnv = process.env): SoakSettings {
  const form = env['SOAK'] ?? 'short';
  if (form !== 'short' && form !== 'long') throw new Error(`SOAK must be short or long, not ${JSON.stringify(form)}`);
  const settings = { ...(form === 'long' ? LONG : SHORT) };
  for (const key of Object.keys(ENV) as (keyof SoakSettings)[]) {
    const text = env[ENV[key]];
    if (text === undefined) continue;
    if (!/^[1-9]\d{0,6}$/.test(text)) throw new Error(`${ENV[key]} must be a whole number from 1, not ${JSON.stringify(text)}`);
    settings[key] = Number(text);
  }
  return settings;
}
