// `audience-guard serve` flags (docs/contract.md §1.1): documented defaults;
// every flag also from AUDIENCE_GUARD_<FLAG_IN_UPPER_SNAKE>; the command line
// wins; repeatable flags repeat on the command line and are comma-separated in
// the environment; every bad value is a one-line error naming the flag.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { environmentName, parseServeFlags, SERVE_FLAGS, type ServeFlags } from '../../../src/cli/serve-flags.ts';

type Env = Record<string, string | undefined>;

function parsed(argv: string[], env: Env = {}): ServeFlags {
  const result = parseServeFlags(argv, env);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.flags;
}

function failure(argv: string[], env: Env = {}): string {
  const result = parseServeFlags(argv, env);
  assert.equal(result.ok, false, `expected ${JSON.stringify(argv)} ${JSON.stringify(env)} to be refused`);
  const { error } = result as { ok: false; error: string };
  assert.ok(!error.includes('\n'), `the error must be one line: ${error}`);
  return error;
}

/** Flag name → (value to give, the ServeFlags field and the value it must become). */
const SINGLE_FLAGS = [
  { flag: 'grpc-address', value: '127.0.0.1:0', field: 'grpcAddress', expected: '127.0.0.1:0' },
  { flag: 'admin-address', value: '[::1]:9191', field: 'adminAddress', expected: '[::1]:9191' },
  { flag: 'log-level', value: 'debug', field: 'logLevel', expected: 'debug' },
  { flag: 'check-timeout', value: '120', field: 'checkTimeoutMs', expected: 120 },
  { flag: 'max-token-bytes', value: '8192', field: 'maxTokenBytes', expected: 8192 },
  { flag: 'max-request-bytes', value: '65536', field: 'maxRequestBytes', expected: 65536 },
  { flag: 'max-body-bytes', value: '8192', field: 'maxBodyBytes', expected: 8192 },
  { flag: 'token-cache-size', value: '0', field: 'tokenCacheSize', expected: 0 },
] as const;

describe('serve flags', () => {
  describe('defaults', () => {
    it('uses the documented defaults when nothing is given', () => {
      assert.deepEqual(parsed([]), {
        policyFiles: [],
        grpcAddress: '0.0.0.0:9001',
        adminAddress: '0.0.0.0:9090',
        watchNamespaces: [],
        leaseNamespace: undefined,
        logLevel: 'info',
        checkTimeoutMs: 150,
        maxTokenBytes: 16384,
        maxRequestBytes: 1048576,
        maxBodyBytes: 65536,
        tokenCacheSize: 10000,
        upstreamTokenCacheSize: 10000,
        introspectionCacheSize: 10000,
        introspectionConcurrency: 64,
        maxPolicies: 10000,
        maxJWKSBytes: 524288,
        maxJWKSKeys: 100,
        secretFileDirs: [],
        allowInsecureEndpoints: false,
        namespaceHosts: [],
        logRate: 50,
        httpAuthz: undefined,
        tracing: false,
        dpopReplayCacheSize: 100000,
        dpopNonceKeyFile: undefined,
      });
    });

    it('treats an empty environment variable as not set', () => {
      assert.deepEqual(parsed([], { AUDIENCE_GUARD_CHECK_TIMEOUT: '', AUDIENCE_GUARD_GRPC_ADDRESS: '', AUDIENCE_GUARD_LEASE_NAMESPACE: '' }), parsed([]));
    });

    it('ignores environment variables that are not its own', () => {
      assert.deepEqual(parsed([], { LOG_LEVEL: 'debug', GRPC_ADDRESS: 'x', AUDIENCE_GUARD_UNKNOWN: 'x' }), parsed([]));
    });
  });

  describe('environmentName', () => {
    it('maps a flag to AUDIENCE_GUARD_<FLAG_IN_UPPER_SNAKE>', () => {
      assert.equal(environmentName('policy-file'), 'AUDIENCE_GUARD_POLICY_FILE');
      assert.equal(environmentName('check-timeout'), 'AUDIENCE_GUARD_CHECK_TIMEOUT');
      assert.equal(environmentName('max-request-bytes'), 'AUDIENCE_GUARD_MAX_REQUEST_BYTES');
      assert.equal(environmentName('grpc-address'), 'AUDIENCE_GUARD_GRPC_ADDRESS');
    });

    it('gives every serve flag a distinct, shell-safe name', () => {
      const names = Object.keys(SERVE_FLAGS).map(environmentName);
      assert.equal(new Set(names).size, names.length);
      for (const name of names) assert.match(name, /^AUDIENCE_GUARD_[A-Z][A-Z0-9_]*$/);
    });

    it('is a pure function of the kebab-case flag (property)', () => {
      fc.assert(fc.property(fc.array(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), { minLength: 1, maxLength: 4 }), (words) => {
        assert.equal(environmentName(words.join('-')), `AUDIENCE_GUARD_${words.map((word) => word.toUpperCase()).join('_')}`);
      }));
    });
  });

  describe('each flag', () => {
    for (const { flag, value, field, expected } of SINGLE_FLAGS) {
      it(`reads --${flag} from the command line`, () => {
        assert.equal(parsed([`--${flag}`, value])[field], expected);
        assert.equal(parsed([`--${flag}=${value}`])[field], expected);
      });

      it(`reads --${flag} from ${environmentName(flag)}`, () => {
        assert.equal(parsed([], { [environmentName(flag)]: value })[field], expected);
      });
    }

    it('reads repeated --policy-file from the command line, in order', () => {
      assert.deepEqual(parsed(['--policy-file', '/etc/a.yaml', '--policy-file', '/etc/policies']).policyFiles, ['/etc/a.yaml', '/etc/policies']);
    });

    it('reads repeated --watch-namespace from the command line', () => {
      assert.deepEqual(parsed(['--watch-namespace', 'mcp', '--watch-namespace', 'tools']).watchNamespaces, ['mcp', 'tools']);
    });

    it('reads a comma-separated list from AUDIENCE_GUARD_POLICY_FILE, trimming blanks', () => {
      assert.deepEqual(parsed([], { AUDIENCE_GUARD_POLICY_FILE: '/etc/a.yaml, /etc/policies,,' }).policyFiles, ['/etc/a.yaml', '/etc/policies']);
    });

    it('reads a comma-separated list from AUDIENCE_GUARD_WATCH_NAMESPACE', () => {
      assert.deepEqual(parsed([], { AUDIENCE_GUARD_WATCH_NAMESPACE: 'mcp,tools' }).watchNamespaces, ['mcp', 'tools']);
    });

    it('treats an empty list variable as not set', () => {
      assert.deepEqual(parsed([], { AUDIENCE_GUARD_POLICY_FILE: '', AUDIENCE_GUARD_WATCH_NAMESPACE: '' }), parsed([]));
    });

    it('accepts every pino level', () => {
      for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) assert.equal(parsed(['--log-level', level]).logLevel, level);
    });

    it('accepts host names, IPv4 and bracketed IPv6 addresses with ports 0 to 65535', () => {
      for (const address of ['localhost:0', '0.0.0.0:65535', 'audience-guard.ns.svc:9001', '[::]:9001', '[::1]:1']) {
        assert.equal(parsed(['--grpc-address', address]).grpcAddress, address);
      }
    });

    it('reads --allow-insecure-endpoints as a switch, and true/false from the environment', () => {
      assert.equal(parsed(['--allow-insecure-endpoints']).allowInsecureEndpoints, true);
      assert.equal(parsed([], { AUDIENCE_GUARD_ALLOW_INSECURE_ENDPOINTS: 'true' }).allowInsecureEndpoints, true);
      assert.equal(parsed([], { AUDIENCE_GUARD_ALLOW_INSECURE_ENDPOINTS: 'false' }).allowInsecureEndpoints, false);
      assert.match(failure([], { AUDIENCE_GUARD_ALLOW_INSECURE_ENDPOINTS: 'yes' }), /allow-insecure-endpoints.*true or false/);
      assert.match(failure(['--allow-insecure-endpoints=true']), /allow-insecure-endpoints/);
    });

    it('reads --tracing as a switch, and true/false from the environment', () => {
      assert.equal(parsed(['--tracing']).tracing, true);
      assert.equal(parsed([], { AUDIENCE_GUARD_TRACING: 'true' }).tracing, true);
      assert.match(failure([], { AUDIENCE_GUARD_TRACING: 'on' }), /tracing.*true or false/);
    });

    it('reads repeated --secret-file-dir', () => {
      assert.deepEqual(parsed(['--secret-file-dir', '/etc/secrets', '--secret-file-dir', '/var/run/upstream']).secretFileDirs, ['/etc/secrets', '/var/run/upstream']);
      assert.deepEqual(parsed([], { AUDIENCE_GUARD_SECRET_FILE_DIR: '/etc/secrets,/var/x' }).secretFileDirs, ['/etc/secrets', '/var/x']);
    });

    it('reads --namespace-hosts entries, separated by ";" in the environment', () => {
      assert.deepEqual(parsed(['--namespace-hosts', 'weather=weather.example.com,*.weather.example.com', '--namespace-hosts', 'tools=Tools.example.com']).namespaceHosts, [
        { namespace: 'weather', patterns: ['weather.example.com', '*.weather.example.com'] },
        { namespace: 'tools', patterns: ['tools.example.com'] },
      ]);
      assert.deepEqual(parsed([], { AUDIENCE_GUARD_NAMESPACE_HOSTS: 'a=a.example.com,b.example.com; c=c.example.com' }).namespaceHosts, [
        { namespace: 'a', patterns: ['a.example.com', 'b.example.com'] },
        { namespace: 'c', patterns: ['c.example.com'] },
      ]);
    });

    it('refuses --namespace-hosts patterns that two namespaces could both claim', () => {
      assert.match(failure(['--namespace-hosts', 'a=*.example.com', '--namespace-hosts', 'b=api.example.com']), /namespace-hosts.*overlap/);
      assert.match(failure(['--namespace-hosts', 'a=x.example.com', '--namespace-hosts', 'b=x.example.com']), /overlap/);
      assert.match(failure(['--namespace-hosts', 'nohosts']), /NAMESPACE=PATTERN/);
      assert.match(failure(['--namespace-hosts', 'a=http://x']), /not a host name/);
    });

    it('reads --introspection-cache-size and --introspection-concurrency as whole numbers of at least 1', () => {
      assert.equal(parsed(['--introspection-cache-size', '5']).introspectionCacheSize, 5);
      assert.equal(parsed([], { AUDIENCE_GUARD_INTROSPECTION_CONCURRENCY: '8' }).introspectionConcurrency, 8);
      assert.match(failure(['--introspection-cache-size', '0']), /--introspection-cache-size/);
      assert.match(failure(['--introspection-concurrency', '0']), /--introspection-concurrency/);
    });

    it('reads --log-rate as a whole number of at least 1', () => {
      assert.equal(parsed(['--log-rate', '5']).logRate, 5);
      assert.match(failure(['--log-rate', '0']), /--log-rate/);
    });

    it('reads --dpop-replay-cache-size as a whole number of at least 1, and --dpop-nonce-key-file as a path', () => {
      assert.equal(parsed(['--dpop-replay-cache-size', '7']).dpopReplayCacheSize, 7);
      assert.match(failure(['--dpop-replay-cache-size', '0']), /--dpop-replay-cache-size/);
      assert.equal(parsed(['--dpop-nonce-key-file', '/run/dpop/key']).dpopNonceKeyFile, '/run/dpop/key');
    });

    it('the last value of a single-valued flag given twice wins', () => {
      assert.equal(parsed(['--log-level', 'debug', '--log-level', 'warn']).logLevel, 'warn');
    });
  });

  describe('the command line wins over the environment', () => {
    for (const { flag, value, field, expected } of SINGLE_FLAGS) {
      it(`--${flag}`, () => {
        const other = { 'grpc-address': '10.0.0.1:1', 'admin-address': '10.0.0.1:2', 'log-level': 'error', 'check-timeout': '99', 'max-token-bytes': '4096', 'max-request-bytes': '8192', 'max-body-bytes': '4096', 'token-cache-size': '5' }[flag];
        assert.equal(parsed([`--${flag}`, value], { [environmentName(flag)]: other })[field], expected);
      });
    }

    it('for repeatable flags, the command line replaces the environment list', () => {
      const flags = parsed(['--policy-file', '/cli.yaml'], { AUDIENCE_GUARD_POLICY_FILE: '/env-a.yaml,/env-b.yaml' });
      assert.deepEqual(flags.policyFiles, ['/cli.yaml']);
    });

    it('a bad environment value is not consulted when the command line gives the flag', () => {
      assert.equal(parsed(['--check-timeout', '100'], { AUDIENCE_GUARD_CHECK_TIMEOUT: 'soon' }).checkTimeoutMs, 100);
    });
  });

  describe('bad values', () => {
    for (const flag of ['grpc-address', 'admin-address']) {
      for (const bad of ['localhost', '127.0.0.1', ':9001', 'host:', 'host:70000', 'host:65536', 'host:-1', 'host:port', 'http://host:80', '::1:9001', 'a b:80']) {
        it(`--${flag} ${JSON.stringify(bad)} is refused, naming the flag`, () => {
          assert.match(failure([`--${flag}=${bad}`]), new RegExp(`--${flag}`));
          assert.match(failure([], { [environmentName(flag)]: bad }), new RegExp(`--${flag}`));
        });
      }
    }

    for (const bad of ['-5', '0', 'abc', '1.5', '', ' 100', '1e3', '60001', '0x10']) {
      it(`--check-timeout ${JSON.stringify(bad)} is refused, naming the flag`, () => {
        assert.match(failure([`--check-timeout=${bad}`]), /--check-timeout/);
        // An empty variable means "not set" (templating tools render unset values as "").
        if (bad !== '') assert.match(failure([], { AUDIENCE_GUARD_CHECK_TIMEOUT: bad }), /--check-timeout/);
      });
    }

    it('--check-timeout followed by a negative number is refused, naming the flag', () => {
      assert.match(failure(['--check-timeout', '-5']), /check-timeout/);
    });

    for (const [flag, bad] of [['max-token-bytes', '255'], ['max-token-bytes', '1048577'], ['max-request-bytes', '4095'], ['max-request-bytes', 'lots'], ['token-cache-size', '-1'], ['token-cache-size', '10000001'], ['token-cache-size', 'many']] as const) {
      it(`--${flag} ${bad} is refused, naming the flag`, () => {
        assert.match(failure([`--${flag}`, bad]), new RegExp(`--${flag}`));
      });
    }

    for (const bad of ['verbose', 'INFO', 'warning', '']) {
      it(`--log-level ${JSON.stringify(bad)} is refused, naming the flag`, () => {
        assert.match(failure([`--log-level=${bad}`]), /--log-level/);
        if (bad !== '') assert.match(failure([], { AUDIENCE_GUARD_LOG_LEVEL: bad }), /--log-level/);
      });
    }

    it('an unknown flag is refused, naming it', () => {
      assert.match(failure(['--policy-files', 'a.yaml']), /--policy-files/);
      assert.match(failure(['-p', 'a.yaml']), /-p/);
    });

    it('a positional argument is refused, naming it', () => {
      assert.match(failure(['policies.yaml']), /policies\.yaml/);
    });

    it('a flag without its value is refused, naming the flag', () => {
      assert.match(failure(['--grpc-address']), /--grpc-address/);
    });
  });
});
