/**
 * Command-line entry point (SPEC.md 1.1): `serve`, `validate`, `crd`.
 * Exit codes: 0 ok, 1 invalid input or a runtime failure, 2 usage or start-up
 * errors (bad flags, unreadable or invalid policy files) — with one line naming
 * the flag or file.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { createLogger, standardOutput } from '../obs/logger.ts';
import { logEvent } from '../obs/log-events.ts';
import { audiencePolicyCRDYAML } from '../policy/crd.ts';
import { startService } from '../server/audience-guard-service.ts';
import type { KubernetesOptions } from '../kubernetes/kubernetes-policies.ts';
import { PolicyFileError } from '../sources/policy-files.ts';
import { parseServeFlags, SERVE_FLAGS, environmentName } from './serve-flags.ts';
import { runValidate } from './validate-command.ts';

/** How long a shutdown waits for stdout to take the last log lines before it gives them up. */
const LOG_FLUSH_AT_EXIT_MS = 2_000;

const USAGE = `usage: audience-guard <command>

commands:
  serve [flags]        run the Envoy ext_authz gRPC server and the admin HTTP server
  validate FILE...     validate AudiencePolicy files (exit 0 valid, 1 invalid, 2 usage)
  crd                  print the AudiencePolicy CustomResourceDefinition

serve flags (also from the environment as AUDIENCE_GUARD_<FLAG>):
${Object.entries(SERVE_FLAGS).map(([name, spec]) => `  --${name.padEnd(18)} ${spec.help}${spec.default === undefined ? '' : ` Default: ${spec.default}.`} [${environmentName(name)}]`).join('\n')}
`;

/** The pod's namespace from its service account, for the status Lease. */
function ownNamespace(): string {
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim() || 'default';
  } catch {
    return 'default';
  }
}

async function serve(argv: readonly string[]): Promise<number> {
  const parsed = parseServeFlags(argv, process.env);
  if (!parsed.ok) {
    process.stderr.write(`audience-guard: ${parsed.error}\n`);
    return 2;
  }
  const { flags } = parsed;
  let kubernetes: KubernetesOptions | undefined;
  if (flags.policyFiles.length === 0) {
    try {
      // Loaded here, not at the top: file mode never loads the Kubernetes client.
      const { loadKubeConfig } = await import('../kubernetes/kube-config.ts');
      kubernetes = {
        config: loadKubeConfig(),
        namespaces: flags.watchNamespaces,
        lease: { namespace: flags.leaseNamespace ?? ownNamespace(), name: 'audience-guard-status', identity: `${hostname()}-${String(process.pid)}` },
        tenantRules: { secretFileDirs: flags.secretFileDirs, allowInsecureEndpoints: flags.allowInsecureEndpoints, namespaceHosts: flags.namespaceHosts },
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
    service = await startService({ ...flags, ...(kubernetes === undefined ? {} : { kubernetes }), maxConnectionAgeMs: 5 * 60_000, logBufferDrops: () => output.dropped }, logger);
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

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'validate':
      return runValidate(rest, (line) => process.stdout.write(`${line}\n`), (line) => process.stderr.write(`${line}\n`));
    case 'crd':
      if (rest.length > 0) {
        process.stderr.write('usage: audience-guard crd\n');
        return 2;
      }
      process.stdout.write(audiencePolicyCRDYAML());
      return 0;
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case undefined:
    default:
      process.stderr.write(USAGE);
      return 2;
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
