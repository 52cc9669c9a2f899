// deploy/envoy/envoy.yaml is a complete static Envoy bootstrap. It must parse against
// Envoy's own protos (bootstrap, HTTP connection manager, ext_authz, router, upstream
// HTTP options from @grpc/grpc-js-xds), and it must wire the ext_authz filter the way
// docs/contract.md §6.3 says: fail closed, V3, a timeout above --check-timeout, HTTP/2 to
// the service, normalised paths, a /healthz route without checks, and a pinned policy.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SERVE_FLAGS } from '../../src/cli/serve-flags.ts';
import { EnvoyConfigError, parseEnvoyMessage } from '../support/envoy-config.ts';
import { REPO_ROOT } from '../support/helm.ts';

const BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';
const TEXT = readFileSync(join(REPO_ROOT, 'deploy', 'envoy', 'envoy.yaml'), 'utf8');

type Node = Record<string, unknown>;
const bootstrap = (): Node => parse(TEXT) as Node;

function at(node: unknown, ...path: (string | number)[]): unknown {
  let current: unknown = node;
  for (const key of path) current = (current as Record<string | number, unknown> | undefined)?.[key];
  return current;
}

function connectionManager(config: Node): Node {
  return at(config, 'static_resources', 'listeners', 0, 'filter_chains', 0, 'filters', 0, 'typed_config') as Node;
}

function extAuthzFilter(config: Node): Node {
  const filters = connectionManager(config).http_filters as Node[];
  const filter = filters.find((candidate) => candidate.name === 'envoy.filters.http.ext_authz');
  assert.ok(filter, 'the HTTP connection manager must have the ext_authz filter');
  return filter.typed_config as Node;
}

function routes(config: Node): Node[] {
  return at(connectionManager(config), 'route_config', 'virtual_hosts', 0, 'routes') as Node[];
}

const seconds = (duration: unknown): number => Number(String(duration).replace(/s$/, ''));

describe('deploy/envoy/envoy.yaml against Envoy\'s protos', function () {
  this.timeout(30_000);

  it('must parse as an envoy.config.bootstrap.v3.Bootstrap, Any payloads included', () => {
    const decoded = parseEnvoyMessage(BOOTSTRAP, bootstrap());
    const filter = at(decoded, 'static_resources', 'listeners', 0, 'filter_chains', 0, 'filters', 0, 'typed_config', 'type_url');
    assert.equal(filter, 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
  });

  it('must fail on a misspelt field name in the ext_authz filter', () => {
    const config = bootstrap();
    const filter = extAuthzFilter(config);
    filter.failure_mode_alow = filter.failure_mode_allow;
    delete filter.failure_mode_allow;
    assert.throws(() => parseEnvoyMessage(BOOTSTRAP, config), (error: unknown) => error instanceof EnvoyConfigError && /has no field "failure_mode_alow"/.test(error.message) && /<ExtAuthz>/.test(error.message));
  });

  it('must fail on a misspelt field name anywhere, a bad enum value, a wrong type or an unknown @type', () => {
    const misspelt = bootstrap();
    (at(misspelt, 'static_resources', 'clusters', 0) as Node).conect_timeout = '1s';
    assert.throws(() => parseEnvoyMessage(BOOTSTRAP, misspelt), /Cluster has no field "conect_timeout"/);

    const badEnum = bootstrap();
    extAuthzFilter(badEnum).transport_api_version = 'V4';
    assert.throws(() => parseEnvoyMessage(BOOTSTRAP, badEnum), /"V4" is not a value of ApiVersion/);

    const badType = bootstrap();
    extAuthzFilter(badType).failure_mode_allow = 'false';
    assert.throws(() => parseEnvoyMessage(BOOTSTRAP, badType), /expected bool/);

    const badDuration = bootstrap();
    (extAuthzFilter(badDuration).grpc_service as Node).timeout = '200ms';
    assert.throws(() => parseEnvoyMessage(BOOTSTRAP, badDuration), /expected a duration/);

    const unknownType = bootstrap();
    extAuthzFilter(unknownType)['@type'] = 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzz';
    assert.throws(() => parseEnvoyMessage(BOOTSTRAP, unknownType), /unknown type/);
  });

  it('must set failure_mode_allow false, transport V3 and status 503 on errors', () => {
    const filter = extAuthzFilter(bootstrap());
    assert.equal(filter.failure_mode_allow, false);
    assert.equal(filter.transport_api_version, 'V3');
    assert.deepEqual(filter.status_on_error, { code: 'ServiceUnavailable' });
  });

  it('must call the audience_guard cluster over envoy_grpc with a timeout above --check-timeout', () => {
    const config = bootstrap();
    const grpc = extAuthzFilter(config).grpc_service as Node;
    assert.equal(at(grpc, 'envoy_grpc', 'cluster_name'), 'audience_guard');
    assert.equal(grpc.timeout, '0.2s');
    assert.ok(seconds(grpc.timeout) * 1000 > Number(SERVE_FLAGS['check-timeout'].default), 'Envoy must wait longer than the service takes to answer');
  });

  it('must send the body for per-tool scopes: raw bytes, partial allowed and flagged, within --max-body-bytes and below the gRPC receive limit', () => {
    const body = extAuthzFilter(bootstrap()).with_request_body as Node;
    assert.equal(body.allow_partial_message, true, 'without it Envoy answers 413 itself');
    assert.equal(body.pack_as_bytes, true);
    const limit = Number(body.max_request_bytes);
    assert.ok(limit <= Number(SERVE_FLAGS['max-body-bytes'].default), 'a body Envoy sends whole must not be over the service\'s own limit');
    assert.ok(limit + 16_384 < Number(SERVE_FLAGS['max-request-bytes'].default), 'the body and the headers must fit under the gRPC receive limit');
    const misspelt = bootstrap();
    (extAuthzFilter(misspelt).with_request_body as Node).pack_as_byte = true;
    assert.throws(() => parseEnvoyMessage(BOOTSTRAP, misspelt), /has no field "pack_as_byte"/);
  });

  it('must put ext_authz before the router and normalise paths', () => {
    const manager = connectionManager(bootstrap());
    const names = (manager.http_filters as Node[]).map((filter) => filter.name);
    assert.deepEqual(names, ['envoy.filters.http.ext_authz', 'envoy.filters.http.router']);
    assert.equal(manager.normalize_path, true);
    assert.equal(manager.merge_slashes, true);
    assert.ok(['REJECT_REQUEST', 'UNESCAPE_AND_REDIRECT'].includes(String(manager.path_with_escaped_slashes_action)), 'escaped slashes refused or redirected, never forwarded as they are');
  });

  it('must speak HTTP/2 to audience-guard', () => {
    const cluster = (at(bootstrap(), 'static_resources', 'clusters') as Node[]).find((candidate) => candidate.name === 'audience_guard');
    const options = at(cluster, 'typed_extension_protocol_options', 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions') as Node;
    assert.equal(options['@type'], 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions');
    assert.deepEqual(at(options, 'explicit_http_config', 'http2_protocol_options'), {});
  });

  it('must disable the check only on the /healthz route and pin the MCP route to its policy', () => {
    const [health, mcp, ...rest] = routes(bootstrap());
    assert.equal(rest.length, 0);
    assert.deepEqual(health?.match, { path: '/healthz' });
    assert.equal(at(health, 'typed_per_filter_config', 'envoy.filters.http.ext_authz', 'disabled'), true);
    assert.deepEqual(mcp?.match, { prefix: '/' });
    const perRoute = at(mcp, 'typed_per_filter_config', 'envoy.filters.http.ext_authz') as Node;
    assert.equal(perRoute['@type'], 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute');
    assert.equal(perRoute.disabled, undefined);
    assert.deepEqual(at(perRoute, 'check_settings', 'context_extensions'), { 'audienceguard.dev/policy': 'mcp/weather' });
  });
});
