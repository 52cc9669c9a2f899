/**
 * `audience-guard serve`: flags (src/cli/serve-flags.ts), the Kubernetes
 * configuration when no policy file is given, the service, and an orderly
 * shutdown on SIGTERM or SIGINT. Exit 0 after a clean shutdown, 1 when it
 * cannot start, 2 for bad flags, no kubeconfig, or bad policy files at start.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { logEvent } from '../obs/log-events.ts';
import { createLogger, standardOutput } from '../obs/logger.ts';
import { startService } from '../server/audience-guard-service.ts';
import type { KubernetesOptions } from '../kubernetes/kubernetes-policies.ts';
import { PolicyFileError } from '../sources/policy-files.ts';
import { tracingSettings } from '../tracing/tracing-settings.ts';
import { helpPage } from './help-text.ts';
import { parseServeFlags, SERVE_FLAGS, environmentName } from './serve-flags.ts';

/** How long a shutdown waits for stdout to take the last log lines before it gives them up. */
const LOG_FLUSH_AT_EXIT_MS = 2_000;

export const SERVE_HELP = helpPage(
  'audience-guard serve [flags]',
  'Runs the Envoy ext_authz gRPC server and the admin HTTP server. Policies come from --policy-file, '
    + 'or else from AudiencePolicy resources through the Kubernetes API (KUBECONFIG, ~/.kube/config, '
    + 'or the in-cluster service account). Every flag can also be set through the environment '
    + 'variable shown; a flag on the command line wins.',
  [{
    title: 'flags',
    entries: Object.entries(SERVE_FLAGS).map(([name, spec]) => ({
      name: `--${name}`,
      text: `${spec.help}${spec.default === undefined ? '' : ` Default: ${spec.default}.`} [${environmentName(name)}]`,
    })),
  }],
);

/** The pod's namespace from its service account, for the status Lease. */
function ownNamespace(): string {
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim() || 'default';
  } catch {
    return 'default';
  }
}

export async function runServe(argv: readonly string[]): Promise<number> {
  const parsed = parseServeFlags(argv, process.env);
  if (!parsed.ok) {
    process.stderr.write(`audience-guard: ${parsed.error}\n`);
    return 2;
  }
  const { flags } = parsed;
  const tracing = tracingSettings(flags.tracing, process.env);
  if (!tracing.ok) {
    process.stderr.write(`audience-guard: --tracing: ${tracing.error}\n`);
    return 2;
  }
  let kubernetes: KubernetesOptions | undefined;
  if (flags.policyFiles.length === 0) {
    try {
      // Loaded here, not at the top: file mode never loads the Kubernetes client.
      const { loadKubeConfig } = await import('../kubernetes/kube-config.ts');
      kubernetes = {
        config: loadKubeConfig(),
        namespaces: flags.watchNamespaces,
        lease: {
          namespace: flags.leaseNamespace ?? ownNamespace(),
          name: 'audience-guard-status',
          identity: `${hostname()}-${String(process.pid)}`,
        },
        tenantRules: {
          secretFileDirs: flags.secretFileDirs,
          allowInsecureEndpoints: flags.allowInsecureEndpoints,
          namespaceHosts: flags.namespaceHosts,
        },
      };
    } catch (error) {
      process.stderr.write(`audience-guard: no --policy-file, and ${(error as Error).message}\n`);
      return 2;
    }
  }
  const output = standardOutput();
  const logger = createLogger(flags.logLevel, output);
  let service;
  try {
    service = await startService({
      ...flags,
      ...(kubernetes === undefined ? {} : { kubernetes }),
      tracing: tracing.settings,
      maxConnectionAgeMs: 5 * 60_000,
      logBufferDrops: () => output.dropped,
    }, logger);
  } catch (error) {
    if (error instanceof PolicyFileError) {
      for (const problem of error.problems) process.stderr.write(`${problem.origin} ${problem.path}: ${problem.message}\n`);
      process.stderr.write(`audience-guard: --policy-file: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`audience-guard: cannot start: ${(error as Error).message}\n`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string): void => {
      logEvent(logger, 'shutdown', { signal }, 'draining in-flight checks');
      void service.stop().then(resolve);
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  });
  // A stdout nobody reads would keep the last lines' write pending, and the process alive, forever.
  if (!await output.close(LOG_FLUSH_AT_EXIT_MS)) process.exit(0);
  return 0;
}
