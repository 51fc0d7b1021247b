import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toContainerSummary } from './container-summary.js';

/** An entry of Podman 4.3's `GET /v1.41/containers/json`, as captured (labels and networks left out). */
const PODMAN_ENTRY = {
  Id: 'ffe5da7581c92879bb0d319e4ade36120d52f893210d3264d779ef87098652ae',
  Names: ['/dpx-life'],
  Image: 'localhost/dp-busybox:latest',
  Command: 'sleep 1d',
  Created: 1796098547,
  State: 'created',
  Status: 'Created',
};

test("Podman's states that Docker has no name for keep the container in the list, as the Docker state each stands for", () => {
  const cases: [string, string][] = [
    ['created', 'created'],
    ['running', 'running'],
    ['paused', 'paused'],
    ['exited', 'exited'],
    // `podman stop` under way (seen here with `podman stop -t 4` on a shell that ignores SIGTERM).
    ['stopping', 'running'],
    ['stopped', 'exited'],
    ['initialized', 'created'],
    ['configured', 'created'],
    ['unknown', 'dead'],
  ];
  for (const [podman, want] of cases) {
    assert.equal(toContainerSummary('h', { ...PODMAN_ENTRY, State: podman })?.state, want, podman);
  }
});

test('a state neither engine has is refused, whatever its name', () => {
  for (const state of ['asleep', 'constructor', '__proto__', 'toString', 42]) {
    assert.equal(toContainerSummary('h', { ...PODMAN_ENTRY, State: state }), undefined, String(state));
  }
});
