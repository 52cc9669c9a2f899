/** The two ways the soak learns that the server refused an invalid policy file (soak-changes.ts). */
import { setTimeout as delay } from 'node:timers/promises';
import type { RejectionSignal } from './soak-changes.ts';
import type { LogMonitor, SoakServer } from './soak-server.ts';

/** Its `policy_rejected` log line (stdout read throughout). */
export function rejectionsFromLog(monitor: LogMonitor): RejectionSignal {
  return {
    mark: () => monitor.count('policy_rejected'),
    since: (mark, timeoutMs) => monitor.waitFor('policy_rejected', mark, timeoutMs),
  };
}

/**
 * Its `audience_guard_policies{state="rejected"}` gauge, for a run whose
 * stdout is not read: above 0 from the refused reload until the next good one
 * (every invalid file is followed by a valid one that is seen in force).
 */
export function rejectionsFromMetrics(server: SoakServer): RejectionSignal {
  return {
    mark: () => 0,
    async since(_mark, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      while (performance.now() < deadline) {
        const rejected = Number(/^audience_guard_policies\{state="rejected"\} (\S+)/m.exec(await server.metrics())?.[1] ?? 0);
        if (rejected > 0) return true;
        await delay(100);
      }
      return false;
    },
  };
}
