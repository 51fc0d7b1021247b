import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasMemoryLimit } from './memory-limit.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

test('hasMemoryLimit: a limit given in MiB or GiB is one; the host memory reported for no limit is not', () => {
  const cases: [what: string, limit: number, limited: boolean][] = [
    // `MemTotal` of the hosts the cgroup fixtures were captured on, as the gateway reports it (kB × 1024).
    ['host, 24683656 kB', 24_683_656 * KiB, false],
    ['host, 4030648 kB', 4_030_648 * KiB, false],
    ['host, 16318480 kB', 16_318_480 * KiB, false],
    // The Docker API's own figure for a container without a limit (server/src/stats/fixtures).
    ['host, as the Docker API reports it', 25_276_063_744, false],
    ['host, go-dockerclient fixture', 67_353_382_912, false],
    ['--memory 6m, the smallest Docker takes', 6 * MiB, true],
    ['--memory 256m', 256 * MiB, true],
    ['--memory 1g', GiB, true],
    ['--memory 1.5g', 1.5 * GiB, true],
    ['--memory 64g', 64 * GiB, true],
    ['compose mem_limit: 500M', 500 * MiB, true],
    // Known misreading: a limit that is not a whole MiB reads as none (the chart then fits usage).
    ['--memory 1000000000 (bytes)', 1_000_000_000, false],
    ['unknown', 0, false],
    ['not a number', Number.NaN, false],
  ];
  for (const [what, limit, limited] of cases) assert.equal(hasMemoryLimit(limit), limited, what);
});
