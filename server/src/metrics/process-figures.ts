/** Reads what the gateway process holds (memory, descriptors, live handles), for `/metrics`. */
import { readdirSync, readFileSync } from 'node:fs';
import { countResources, parseMaxFds, type ProcessFigures } from './process-metrics.js';

/** The entries of `/proc/self/fd`, less the one the listing itself opens; undefined without `/proc`. */
function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return undefined;
  }
}

function maxFds(): number | undefined {
  try {
    return parseMaxFds(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined;
  }
}

/** This process's figures now. */
export function readProcessFigures(): ProcessFigures {
  const memory = process.memoryUsage();
  return {
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    heapTotal: memory.heapTotal,
    openFds: openFds(),
    maxFds: maxFds(),
    resources: countResources(process.getActiveResourcesInfo()),
  };
}
