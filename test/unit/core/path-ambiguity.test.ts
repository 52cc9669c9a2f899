// Policy selection must not depend on how the path is spelled: a path that
// some common reading (decoded, dot segments removed, slashes merged,
// `;parameters` or trailing dots dropped, case folded, `\` as `/`) would send to
// another policy is reported as ambiguous, so the check denies it.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import type { HttpRequestView } from '../../../src/core/http-request.ts';
import { foldCase, pathReadings } from '../../../src/core/path-readings.ts';
import { PolicySnapshot, prefixMatches } from '../../../src/core/policy-snapshot.ts';
import type { RuntimePolicy } from '../../../src/core/runtime-policy.ts';
import { runtimePolicy } from '../policy-fixtures.ts';

const HOST = 'mcp.example.com';

function request(path: string, options: { method?: string; policyReference?: string; host?: string } = {}): HttpRequestView {
  return { method: options.method ?? 'POST', host: options.host ?? HOST, path, authorization: undefined, policyReference: options.policyReference };
}

function policy(name: string, pathPrefixes: string[], createdAt = 0, resource = `https://${HOST}/${name}`): RuntimePolicy {
  return runtimePolicy({ resource, hosts: [HOST], pathPrefixes, requiredScopes: name === 'strict' ? ['mcp:admin'] : [] }, { name, namespace: 'ns', createdAt });
}

const strict = policy('strict', ['/admin']);
const lax = policy('lax', ['/']);
const snapshot = new PolicySnapshot([strict, lax], 1);

const ATTACK_SPELLINGS = [
  '/admin;x', '/ADMIN', '/Admin/tools', '/admin%2Fx', '/admin%2fx', '//admin', '/admin.', '/admin./x', '\\admin',
  '/admin%252Fx', '/public/%2e%2e/admin', '/public/..%2Fadmin', '/public/..%5Cadmin', '/public%2F..%2Fadmin',
  '/%61dmin', '/%41DMIN;v=1/', '/public/./..//ADMIN.;x', '/public\\..\\admin',
];

describe('ambiguous request paths', () => {
  for (const path of ATTACK_SPELLINGS) {
    it(`attack: ${path} with a strict /admin and a lax / policy must be reported ambiguous, not given to the lax policy`, () => {
      const selection = snapshot.select(request(path));
      assert.equal(selection?.ambiguous, true);
      assert.equal(selection.metadataRequest, false);
    });
  }

  for (const path of ['/admin', '/admin/tools', '/mcp', '/public/a%20b', '/admin/x%2Fy', '/admin/./tools', '/public/file.json', '/.well-known/oauth-protected-resource/strict']) {
    it(`decides ${path} normally: every reading selects the same policy`, () => {
      const selection = snapshot.select(request(path, { method: 'GET' }));
      assert.equal(selection?.ambiguous, false);
    });
  }

  it('must not count a reading that selects no policy as a conflict', () => {
    const only = new PolicySnapshot([policy('mcp', ['/mcp']), policy('tools', ['/tools'])], 1);
    assert.equal(only.select(request('/mcp/x/..%2F..%2Fnothing'))?.ambiguous, false);
  });

  it('must not re-read the path of a request whose policy Envoy named in context_extensions', () => {
    const selection = snapshot.select(request('/admin;x', { policyReference: 'ns/lax' }));
    assert.equal(selection?.policy.id, 'ns/lax');
    assert.equal(selection.ambiguous, false);
  });

  it('skips the readings when the host has one policy only', () => {
    const alone = new PolicySnapshot([lax], 1);
    assert.equal(alone.select(request('/admin;x/%2e%2e/ADMIN'))?.ambiguous, false);
  });

  it('attack: /admin must be ambiguous when the strict prefix is spelled /Admin (a case-insensitive server)', () => {
    const upper = new PolicySnapshot([policy('strict', ['/Admin']), lax], 1);
    assert.equal(upper.select(request('/admin'))?.ambiguous, true);
    assert.equal(upper.select(request('/Admin'))?.ambiguous, false);
  });

  it('attack: a metadata path spelled in upper case must not reach another policy\'s route', () => {
    const selection = snapshot.select(request('/.well-known/oauth-protected-resource/STRICT', { method: 'GET' }));
    assert.equal(selection?.ambiguous, true);
  });

  it('attack: a path with more readings than the bound must be reported ambiguous (fail closed)', () => {
    assert.equal(snapshot.select(request('/%255C%2E%2E%2F%2e%2F%2e%3B//%5C;x//.\\%2E%2E'))?.ambiguous, true);
  });

  describe('property', () => {
    const segment = fc.constantFrom('a', 'A', 'b', 'ab');
    const prefix = fc.array(segment, { minLength: 1, maxLength: 2 }).map((segments) => `/${segments.join('/')}`);
    const piece = fc.constantFrom('/', '//', 'a', 'A', 'b', '.', '..', ';x', '%2F', '%2e', '%25', '%41', '%61', '\\', 'b.');
    const path = fc.array(piece, { maxLength: 8 }).map((pieces) => `/${pieces.join('')}`);

    /** Longest matching prefix over every route, oldest first on equal length; independent of the snapshot's tables. */
    function reference(policies: readonly RuntimePolicy[], candidate: string, folded: boolean): RuntimePolicy | undefined {
      const routes = policies.flatMap((entry) => entry.pathPrefixes.map((routePrefix) => ({ routePrefix, entry })))
        .filter(({ routePrefix }) => prefixMatches(folded ? foldCase(routePrefix) : routePrefix, candidate))
        .sort((a, b) => b.routePrefix.length - a.routePrefix.length || a.entry.age[0] - b.entry.age[0]);
      return routes[0]?.entry;
    }

    it('select never returns a policy that some reading would not also reach, without reporting the ambiguity', () => {
      fc.assert(fc.property(fc.array(prefix, { minLength: 1, maxLength: 4 }), path, (prefixes, candidate) => {
        const policies = prefixes.map((routePrefix, index) => policy(`p${String(index)}`, [routePrefix], index));
        const selection = new PolicySnapshot(policies, 1).select(request(candidate));
        if (selection === undefined) {
          assert.equal(reference(policies, candidate, false), undefined);
          return;
        }
        assert.equal(selection.policy, reference(policies, candidate, false), 'the raw spelling decides which policy is named');
        const { readings, complete } = pathReadings(candidate);
        const others = readings.flatMap((reading) => [reference(policies, reading, false), reference(policies, foldCase(reading), true)])
          .filter((other) => other !== undefined && other !== selection.policy);
        assert.equal(selection.ambiguous, others.length > 0 || (!complete && new Set(prefixes).size > 1), `${candidate}: ${others.map((other) => other?.id).join(', ')}`);
      }), { numRuns: 3000 });
    });
  });
});
