// The forward-auth listener's serve flags (src/http-authz/http-authz-flags.ts through
// src/cli/serve-flags.ts): off unless an address is given, loopback-only peers by
// default, and every other value checked so a wrong one stops the start.
import { strict as assert } from 'node:assert';
import { parseServeFlags } from '../../../src/cli/serve-flags.ts';

const parse = (argv: string[], env: Record<string, string> = {}) => parseServeFlags(argv, env);

function options(argv: string[], env: Record<string, string> = {}) {
  const result = parse(argv, env);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.flags.httpAuthz;
}

function failure(argv: string[]): string {
  const result = parse(argv);
  assert.ok(!result.ok, 'expected a flag error');
  return result.error;
}

describe('--http-authz-* flags', () => {
  it('leaves the forward-auth listener off by default', () => {
    assert.equal(options([]), undefined);
    assert.equal(options(['--http-authz-proxy', 'nginx']), undefined, 'the other flags alone start nothing');
  });

  it('starts it on --http-authz-address, trusting loopback only and reading the family from the headers (auto)', () => {
    assert.deepEqual(options(['--http-authz-address', '127.0.0.1:9002']), {
      address: '127.0.0.1:9002', trustedCidrs: ['127.0.0.0/8', '::1/128'], proxy: 'auto', clientCertHeader: undefined, pathPrefix: undefined,
    });
  });

  it('reads every flag from the command line and the environment', () => {
    assert.deepEqual(options([
      '--http-authz-address', '0.0.0.0:9002', '--http-authz-trusted-cidr', '10.0.0.0/8', '--http-authz-trusted-cidr', 'fd00::/8',
      '--http-authz-proxy', 'envoy', '--http-authz-client-cert-header', 'X-Client-Cert', '--http-authz-path-prefix', '/authz',
    ]), { address: '0.0.0.0:9002', trustedCidrs: ['10.0.0.0/8', 'fd00::/8'], proxy: 'envoy', clientCertHeader: 'x-client-cert', pathPrefix: '/authz' });
    assert.deepEqual(options([], {
      AUDIENCE_GUARD_HTTP_AUTHZ_ADDRESS: '0.0.0.0:9002', AUDIENCE_GUARD_HTTP_AUTHZ_TRUSTED_CIDR: '10.0.0.0/8, 10.1.0.0/16', AUDIENCE_GUARD_HTTP_AUTHZ_PROXY: 'ingress-nginx',
    })?.trustedCidrs, ['10.0.0.0/8', '10.1.0.0/16']);
  });

  it('refuses a bad address, CIDR, family, header name or path prefix, naming the flag', () => {
    assert.match(failure(['--http-authz-address', 'nowhere']), /--http-authz-address/);
    assert.match(failure(['--http-authz-address', ':9002', '--http-authz-trusted-cidr', '10.0.0.0']), /--http-authz-address|--http-authz-trusted-cidr/);
    assert.match(failure(['--http-authz-trusted-cidr', '10.0.0.0/33']), /--http-authz-trusted-cidr/);
    assert.match(failure(['--http-authz-trusted-cidr', 'example.com/8']), /--http-authz-trusted-cidr/);
    assert.match(failure(['--http-authz-proxy', 'traefik']), /--http-authz-proxy/);
    assert.match(failure(['--http-authz-client-cert-header', 'bad header']), /--http-authz-client-cert-header/);
    assert.match(failure(['--http-authz-path-prefix', 'authz']), /--http-authz-path-prefix/);
    assert.match(failure(['--http-authz-path-prefix', '/authz/']), /--http-authz-path-prefix/);
  });

  it('attack: naming Authorization or a family header as the certificate header must be refused (a client sets those)', () => {
    for (const name of ['authorization', 'X-Forwarded-Uri', 'host', 'dpop']) {
      assert.match(failure(['--http-authz-client-cert-header', name]), /--http-authz-client-cert-header/, name);
    }
  });
});
