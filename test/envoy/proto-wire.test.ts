// Proves that proto/ (the project's subset of Envoy's ext_authz v3 API) is
// wire-compatible with Envoy's real definitions, which ship with
// @grpc/grpc-js-xds under deps/: every message, enum and service in the subset
// must exist in Envoy's files with the same names, numbers, types, rules and
// oneofs, and messages must survive a round trip between the two.
import { strict as assert } from 'node:assert';
import { loadSync } from '@grpc/proto-loader';
import type { MethodDefinition } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import type { Field, NamespaceBase, ReflectionObject, Root } from 'protobufjs';
import {
  AUTHORIZATION_SERVICE_NAME,
  EXTERNAL_AUTH_PROTO,
  PROTO_LOADER_OPTIONS,
  PROTO_ROOT,
  loadAuthorizationService,
} from '../../src/envoy/proto.ts';
import type { CheckRequest, CheckResponse } from '../../src/envoy/proto.ts';
import { envoyIncludeDirs, loadProtoRoot } from '../support/envoy-protos.ts';

const ENVOY_INCLUDE_DIRS = envoyIncludeDirs();
const loadRoot = loadProtoRoot;

function* walk(ns: NamespaceBase): Generator<ReflectionObject> {
  for (const nested of ns.nestedArray) {
    yield nested;
    if (nested instanceof protobuf.Namespace) yield* walk(nested);
  }
}

function describeField(field: Field): string {
  const type = field.resolvedType === null ? field.type : field.resolvedType.fullName;
  const rule = field instanceof protobuf.MapField
    ? `map<${field.keyType}>`
    : field.repeated ? `repeated${field.packed && field.type in protobuf.types.packed ? ' packed' : ''}` : 'singular';
  const oneof = field.partOf === null ? '' : ` oneof ${field.partOf.name}`;
  return `${rule} ${type} ${field.name} = ${field.id}${oneof}`;
}

interface Comparison {
  /** Full names of the subset's messages, enums and services that were compared. */
  readonly compared: string[];
  /** Human-readable mismatches; empty when the subset matches. */
  readonly problems: string[];
}

/**
 * Checks every message, enum and service in `subset` against `real`: same full
 * name and kind; every field with the same name, number, type, rule and oneof;
 * every enum value with the same number and no real value missing; every
 * method with the same request/response types and streaming.
 */
function compareSubset(subset: Root, real: Root): Comparison {
  const compared: string[] = [];
  const problems: string[] = [];
  for (const obj of walk(subset)) {
    if (obj instanceof protobuf.Type) {
      compared.push(obj.fullName);
      const other = real.lookup(obj.fullName);
      if (!(other instanceof protobuf.Type) || other.fullName !== obj.fullName) {
        problems.push(`message ${obj.fullName} is not in Envoy's protos`);
        continue;
      }
      for (const field of obj.fieldsArray) {
        const realField = other.fields[field.name];
        if (realField === undefined) {
          problems.push(`field ${obj.fullName}.${field.name} is not in Envoy's protos`);
          continue;
        }
        const mine = describeField(field);
        const theirs = describeField(realField);
        if (mine !== theirs) problems.push(`field ${obj.fullName}.${field.name}: subset "${mine}", Envoy "${theirs}"`);
      }
    } else if (obj instanceof protobuf.Enum) {
      compared.push(obj.fullName);
      const other = real.lookup(obj.fullName);
      if (!(other instanceof protobuf.Enum) || other.fullName !== obj.fullName) {
        problems.push(`enum ${obj.fullName} is not in Envoy's protos`);
        continue;
      }
      for (const [name, value] of Object.entries(obj.values)) {
        const realValue = other.values[name];
        if (realValue !== value) {
          problems.push(`enum value ${obj.fullName}.${name}: subset ${value}, Envoy ${realValue ?? 'missing'}`);
        }
      }
      // Decoding with enums: String turns values the subset lacks into bare numbers.
      for (const name of Object.keys(other.values)) {
        if (!(name in obj.values)) problems.push(`enum value ${obj.fullName}.${name} is missing from the subset`);
      }
    } else if (obj instanceof protobuf.Service) {
      compared.push(obj.fullName);
      const other = real.lookup(obj.fullName);
      if (!(other instanceof protobuf.Service) || other.fullName !== obj.fullName) {
        problems.push(`service ${obj.fullName} is not in Envoy's protos`);
        continue;
      }
      for (const method of obj.methodsArray) {
        const realMethod = other.methods[method.name];
        if (realMethod === undefined) {
          problems.push(`method ${obj.fullName}.${method.name} is not in Envoy's protos`);
          continue;
        }
        const sig = (m: protobuf.Method): string =>
          `${m.requestStream === true ? 'stream ' : ''}${m.resolvedRequestType?.fullName ?? m.requestType} -> ` +
          `${m.responseStream === true ? 'stream ' : ''}${m.resolvedResponseType?.fullName ?? m.responseType}`;
        if (sig(method) !== sig(realMethod)) {
          problems.push(`method ${obj.fullName}.${method.name}: subset "${sig(method)}", Envoy "${sig(realMethod)}"`);
        }
      }
    }
  }
  return { compared, problems };
}

type AnyMethod = MethodDefinition<object, object>;

function checkMethod(definition: unknown, label: string): AnyMethod {
  const method = (definition as Record<string, AnyMethod | undefined>)['Check'];
  assert.ok(method !== undefined, `${label}: no Check method`);
  return method;
}

describe('envoy ext_authz proto subset', () => {
  const subsetRoot = loadRoot(EXTERNAL_AUTH_PROTO, [PROTO_ROOT]);
  const envoyRoot = loadRoot(EXTERNAL_AUTH_PROTO, ENVOY_INCLUDE_DIRS);

  describe('definitions match Envoy', () => {
    it('every message, enum and service in proto/ matches Envoy field for field', () => {
      const { compared, problems } = compareSubset(subsetRoot, envoyRoot);
      assert.deepEqual(problems, []);
      // Guard against a vacuous pass: the walk must have reached the whole subset.
      for (const name of [
        '.envoy.service.auth.v3.Authorization',
        '.envoy.service.auth.v3.CheckRequest',
        '.envoy.service.auth.v3.CheckResponse',
        '.envoy.service.auth.v3.AttributeContext.HttpRequest',
        '.envoy.service.auth.v3.OkHttpResponse',
        '.envoy.config.core.v3.HeaderValueOption.HeaderAppendAction',
        '.envoy.config.core.v3.SocketAddress',
        '.envoy.type.v3.StatusCode',
        '.google.rpc.Status',
      ]) {
        assert.ok(compared.includes(name), `${name} was not compared`);
      }
    });

    it('reports mismatches in a deliberately altered copy', () => {
      const altered = protobuf.parse(`
        syntax = "proto3";
        package envoy.config.core.v3;
        message QueryParameter { string key = 1; string value = 3; }
        message HeaderValue { string key = 1; bytes value = 2; }
        message SocketAddress {
          enum Protocol { TCP = 0; UDP = 2; }
          Protocol protocol = 1;
          string address = 2;
          uint32 port_value = 3;
        }
        message NotInEnvoy { string x = 1; }
      `, { keepCase: true }).root;
      protobuf.parse(`
        syntax = "proto3";
        package envoy.service.auth.v3;
        message CheckRequest { repeated string attributes = 1; }
        message CheckResponse { map<int32, string> dynamic_metadata = 4; }
        service Authorization { rpc Check(CheckResponse) returns (CheckRequest); }
      `, altered, { keepCase: true });
      altered.resolveAll();

      const { problems } = compareSubset(altered, envoyRoot);
      const expected = [
        /^field \.envoy\.config\.core\.v3\.QueryParameter\.value: .*= 3.*= 2/,
        /^field \.envoy\.config\.core\.v3\.HeaderValue\.value: subset "singular bytes/,
        /^enum value \.envoy\.config\.core\.v3\.SocketAddress\.Protocol\.UDP: subset 2, Envoy 1$/,
        /^field \.envoy\.config\.core\.v3\.SocketAddress\.port_value: .*Envoy ".* oneof port_specifier"$/,
        /^message \.envoy\.config\.core\.v3\.NotInEnvoy is not in Envoy's protos$/,
        /^field \.envoy\.service\.auth\.v3\.CheckRequest\.attributes: subset "repeated string/,
        /^field \.envoy\.service\.auth\.v3\.CheckResponse\.dynamic_metadata: subset "map<int32> string/,
        /^method \.envoy\.service\.auth\.v3\.Authorization\.Check: /,
      ];
      for (const pattern of expected) {
        assert.ok(problems.some((p) => pattern.test(p)), `expected a problem matching ${String(pattern)} in:\n${problems.join('\n')}`);
      }
      assert.equal(problems.length, expected.length, problems.join('\n'));
    });
  });

  describe('wire round trips', () => {
    const subsetCheck = checkMethod(loadAuthorizationService().service, 'subset');
    const envoyPackage = loadSync(EXTERNAL_AUTH_PROTO, { ...PROTO_LOADER_OPTIONS, includeDirs: ENVOY_INCLUDE_DIRS });
    const envoyCheck = checkMethod(envoyPackage[AUTHORIZATION_SERVICE_NAME], 'Envoy');

    it('serves the method Envoy calls', () => {
      assert.equal(subsetCheck.path, '/envoy.service.auth.v3.Authorization/Check');
      assert.equal(subsetCheck.path, envoyCheck.path);
      assert.equal(subsetCheck.requestStream, false);
      assert.equal(subsetCheck.responseStream, false);
    });

    it('decodes a CheckRequest encoded with Envoy\'s definitions', () => {
      const headers = {
        ':authority': 'mcp.example.com',
        ':path': '/mcp?session=abc',
        ':method': 'POST',
        authorization: 'Bearer eyJhbGciOiJFUzI1NiJ9.e30.c2ln',
        'x-request-id': '7d0e5c1a-6f2b-4b8e-9a51-3c2d1e0f9a88',
        'content-type': 'application/json',
      };
      const wire = envoyCheck.requestSerialize({
        attributes: {
          source: {
            address: { socket_address: { protocol: 'TCP', address: '10.1.2.3', port_value: 51234 } },
            principal: 'spiffe://cluster.local/ns/agents/sa/agent-1',
            labels: { app: 'agent' },
          },
          destination: {
            address: { socket_address: { address: '10.0.0.7', port_value: 8080 } },
            service: 'mcp-server',
          },
          request: {
            time: { seconds: '1767225600', nanos: 123000000 },
            http: {
              id: headers['x-request-id'],
              method: 'POST',
              headers,
              // Field 13: not in the subset, must be skipped as an unknown field.
              header_map: { headers: [{ key: ':path', value: '/mcp?session=abc' }] },
              path: '/mcp?session=abc',
              host: 'mcp.example.com',
              scheme: 'https',
              query: 'session=abc',
              size: '17',
              protocol: 'HTTP/2',
              body: '{"jsonrpc":"2.0"}',
              raw_body: Buffer.from('{"jsonrpc":"2.0"}'),
            },
          },
          context_extensions: { resource: 'https://mcp.example.com/mcp', tenant: 'blue' },
          // Not in the subset either.
          metadata_context: { filter_metadata: { 'envoy.filters.http.rbac': { fields: { x: { stringValue: 'y' } } } } },
          tls_session: { sni: 'mcp.example.com' },
        },
      });

      const decoded = subsetCheck.requestDeserialize(wire) as CheckRequest;
      const attrs = decoded.attributes;
      assert.ok(attrs !== undefined);
      assert.deepEqual(attrs.source, {
        address: {
          socket_address: { protocol: 'TCP', address: '10.1.2.3', port_value: 51234, port_specifier: 'port_value' },
          address: 'socket_address',
        },
        principal: 'spiffe://cluster.local/ns/agents/sa/agent-1',
        labels: { app: 'agent' },
      });
      assert.equal(attrs.destination?.service, 'mcp-server');
      assert.equal(attrs.destination.address?.socket_address?.port_value, 8080);
      assert.deepEqual(attrs.request?.time, { seconds: '1767225600', nanos: 123000000 });
      const http = attrs.request.http;
      assert.ok(http !== undefined);
      assert.deepEqual(http.headers, headers);
      assert.equal(http.id, headers['x-request-id']);
      assert.equal(http.method, 'POST');
      assert.equal(http.path, '/mcp?session=abc');
      assert.equal(http.host, 'mcp.example.com');
      assert.equal(http.scheme, 'https');
      assert.equal(http.query, 'session=abc');
      assert.equal(http.size, '17');
      assert.equal(http.protocol, 'HTTP/2');
      assert.equal(http.body, '{"jsonrpc":"2.0"}');
      assert.deepEqual(http.raw_body, Buffer.from('{"jsonrpc":"2.0"}'));
      assert.equal('header_map' in http, false);
      assert.deepEqual(attrs.context_extensions, { resource: 'https://mcp.example.com/mcp', tenant: 'blue' });
      assert.equal('metadata_context' in attrs, false);
      assert.equal('tls_session' in attrs, false);
    });

    it('encodes a denied CheckResponse that Envoy\'s definitions decode', () => {
      const response: CheckResponse = {
        status: { code: 16, message: 'token audience does not match' },
        denied_response: {
          status: { code: 401 },
          headers: [
            {
              header: { key: 'www-authenticate', value: 'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource"' },
              append: { value: false },
            },
            { header: { key: 'cache-control', value: 'no-store' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
          ],
          body: '{"error":"invalid_token"}',
        },
        dynamic_metadata: { fields: { reason: { stringValue: 'audience_mismatch' }, retry: { boolValue: false } } },
      };
      const decoded = envoyCheck.responseDeserialize(subsetCheck.responseSerialize(response)) as Record<string, unknown>;
      assert.deepEqual(decoded, {
        status: { code: 16, message: 'token audience does not match' },
        http_response: 'denied_response',
        denied_response: {
          status: { code: 'Unauthorized' },
          headers: [
            {
              header: { key: 'www-authenticate', value: 'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource"' },
              // The BoolValue wrapper is present, so Envoy sees an explicit false.
              append: { value: false },
            },
            { header: { key: 'cache-control', value: 'no-store' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
          ],
          body: '{"error":"invalid_token"}',
        },
        dynamic_metadata: {
          fields: {
            reason: { stringValue: 'audience_mismatch', kind: 'stringValue' },
            retry: { boolValue: false, kind: 'boolValue' },
          },
        },
      });
    });

    it('encodes an OK CheckResponse that Envoy\'s definitions decode', () => {
      const response: CheckResponse = {
        status: { code: 0 },
        ok_response: {
          headers: [{ header: { key: 'x-agent-id', value: 'agent-1' }, append: { value: true } }],
          headers_to_remove: ['authorization'],
          response_headers_to_add: [{ header: { key: 'x-audience-guard', value: 'allowed' } }],
          query_parameters_to_set: [{ key: 'tenant', value: 'blue' }],
          query_parameters_to_remove: ['access_token'],
        },
        dynamic_metadata: {
          fields: {
            sub: { stringValue: 'user-42' },
            scopes: { listValue: { values: [{ stringValue: 'mcp:tools' }] } },
          },
        },
      };
      const decoded = envoyCheck.responseDeserialize(subsetCheck.responseSerialize(response)) as Record<string, unknown>;
      assert.deepEqual(decoded, {
        status: { code: 0 },
        http_response: 'ok_response',
        ok_response: {
          headers: [{ header: { key: 'x-agent-id', value: 'agent-1' }, append: { value: true } }],
          headers_to_remove: ['authorization'],
          response_headers_to_add: [{ header: { key: 'x-audience-guard', value: 'allowed' } }],
          query_parameters_to_set: [{ key: 'tenant', value: 'blue' }],
          query_parameters_to_remove: ['access_token'],
        },
        dynamic_metadata: {
          fields: {
            sub: { stringValue: 'user-42', kind: 'stringValue' },
            scopes: { listValue: { values: [{ stringValue: 'mcp:tools', kind: 'stringValue' }] }, kind: 'listValue' },
          },
        },
      });
    });
  });
});
