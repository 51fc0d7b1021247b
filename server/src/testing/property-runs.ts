/**
 * Cases each property test runs (fast-check's `numRuns`): 300, many more under `SOAK=long`, or as
 * `SOAK_PROPERTY_RUNS` says (the README's soak tests).
 */
export function propertyRuns(env: NodeJS.ProcessEnv = process.env): number {
  return Number(env['SOAK_PROPERTY_RUNS'] ?? (env['SOAK'] === 'long' ? 10_000 : 300));
}
