import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The state directory (secret and share list) of every server the e2e run starts, so the run never touches
 * the user's; the same for all of them, so a restarted server keeps its shares. Removed by the teardown.
 */
export const STATE_DIR = process.env['DPE2E_STATE_DIR'] ?? join(tmpdir(), 'dockpulse-e2e-state');
