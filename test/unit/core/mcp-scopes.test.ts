// Which scopes a request needs under a policy with per-tool scopes
// (src/core/mcp-scopes.ts, src/core/mcp-request.ts, src/policy/compile-mcp.ts):
// requiredScopes ∪ methodScopes[method] ∪ (tools/call) toolScopes[name] or
// toolScopes["*"]; the method and tool come from trusted mirrored headers or
// the body as `source` says, and whatever cannot be read with certainty is
// unreadable. The label values are names from the policy or `other`.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import type { McpSpec } from '../../../src/policy/mcp-schema.ts';
import { requestScopes } from '../../../src/core/mcp-scopes.ts';
import type { RequestExtras } from '../../../src/core/request-extras.ts';
import { runtimePolicy } from '../policy-fixtures.ts';

const RULES: McpSpec = {
  methodScopes: { 'resources/read': ['weather:read'], 'tools/call': ['weather:call'] },
  toolScopes: { delete_alert: ['weather:admin'], '*': ['weather:tools'] },
};
const policy = (mcp: McpSpec = RULES) => runtimePolicy({ requiredScopes: ['mcp:tools', 'offline_access'], mcp });
const call = (method: string, params: Record<string, unknown> = {}): Uint8Array =>
  Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }));
const V2026 = { 'mcp-protocol-version': '2026-07-28' };
const scopesOf = (extras: RequestExtras, mcp?: McpSpec, method = 'POST') => requestScopes(policy(mcp), method, extras);

describe('per-tool scopes: the scopes a request needs', () => {
  describe('the union of the rules', () => {
    it('a listed tool needs requiredScopes, methodScopes["tools/call"] and its own', () => {
      assert.deepEqual(scopesOf({ body: call('tools/call', { name: 'delete_alert' }) }),
        { kind: 'scopes', required: ['mcp:tools', 'offline_access', 'weather:call', 'weather:admin'], mcp: { method: 'tools/call', tool: 'delete_alert' } });
    });

    it('a tool not listed needs toolScopes["*"], and is labelled other', () => {
      assert.deepEqual(scopesOf({ body: call('tools/call', { name: 'get_forecast' }) }),
        { kind: 'scopes', required: ['mcp:tools', 'offline_access', 'weather:call', 'weather:tools'], mcp: { method: 'tools/call', tool: 'other' } });
    });

    it('without "*", a tool not listed needs only the method\'s scopes', () => {
      const result = scopesOf({ body: call('tools/call', { name: 'get_forecast' }) }, { toolScopes: { delete_alert: ['weather:admin'] } });
      assert.deepEqual(result, { kind: 'scopes', required: ['mcp:tools', 'offline_access'], mcp: { method: 'tools/call', tool: 'other' } });
    });

    it('a method rule adds its scopes; a method the policy does not name needs requiredScopes only', () => {
      assert.deepEqual(scopesOf({ body: call('resources/read', { uri: 'weather://today' }) }),
        { kind: 'scopes', required: ['mcp:tools', 'offline_access', 'weather:read'], mcp: { method: 'resources/read', tool: 'other' } });
      assert.deepEqual(scopesOf({ body: call('prompts/list') }), { kind: 'scopes', required: ['mcp:tools', 'offline_access'], mcp: { method: 'other', tool: 'other' } });
    });

    it('a JSON-RPC response, GET and DELETE need requiredScopes only', () => {
      assert.deepEqual(scopesOf({ body: Buffer.from('{"jsonrpc":"2.0","id":3,"result":{}}') }),
        { kind: 'scopes', required: ['mcp:tools', 'offline_access'], mcp: { method: 'other', tool: 'other' } });
      for (const method of ['GET', 'DELETE', 'HEAD']) {
        assert.deepEqual(scopesOf({ body: Buffer.from('garbage') }, RULES, method), { kind: 'scopes', required: ['mcp:tools', 'offline_access'], mcp: undefined });
      }
    });

    it('a policy without mcp rules (or with an empty mcp) ignores the body, garbage or not', () => {
      for (const mcp of [undefined, {}, { methodScopes: {}, toolScopes: {} }]) {
        const compiled = runtimePolicy({ requiredScopes: ['mcp:tools'], ...(mcp === undefined ? {} : { mcp }) });
        assert.deepEqual(requestScopes(compiled, 'POST', { body: Buffer.from('[1,'), bodyPartial: true }), { kind: 'scopes', required: ['mcp:tools'], mcp: undefined });
      }
    });

    it('attack: a tool named like an Object.prototype member must not borrow anything', () => {
      for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
        assert.deepEqual(scopesOf({ body: call('tools/call', { name }) }),
          { kind: 'scopes', required: ['mcp:tools', 'offline_access', 'weather:call', 'weather:tools'], mcp: { method: 'tools/call', tool: 'other' } });
      }
    });
  });

  describe('where the method and tool come from (source)', () => {
    const headers = (method: string, name?: string, version = '2026-07-28') =>
      ({ 'mcp-protocol-version': version, 'mcp-method': method, ...(name === undefined ? {} : { 'mcp-name': name }) });

    it('Auto: trusted headers without a body are enough', () => {
      assert.equal(scopesOf({ mcpHeaders: headers('tools/call', 'delete_alert') }).kind, 'scopes');
      assert.deepEqual((scopesOf({ mcpHeaders: headers('tools/call', '=?base64?ZGVsZXRlX2FsZXJ0?=') }) as { mcp: unknown }).mcp, { method: 'tools/call', tool: 'delete_alert' });
    });

    it('attack: headers of an older protocol version without a body must be unreadable', () => {
      assert.equal(scopesOf({ mcpHeaders: headers('tools/call', 'list_alerts', '2025-11-25') }).kind, 'unreadable');
    });

    it('Auto: headers of an older protocol version are ignored when the body says otherwise', () => {
      const result = scopesOf({ mcpHeaders: headers('tools/call', 'list_alerts', '2025-11-25'), body: call('tools/call', { name: 'delete_alert' }) });
      assert.deepEqual((result as { mcp: unknown }).mcp, { method: 'tools/call', tool: 'delete_alert' });
    });

    it('attack: trusted headers that disagree with the body must be unreadable (method, name, or a missing header)', () => {
      const body = call('tools/call', { name: 'delete_alert' });
      for (const mcpHeaders of [headers('tools/call', 'list_alerts'), headers('tools/list'), headers('tools/call'), V2026]) {
        assert.equal(scopesOf({ mcpHeaders, body }).kind, 'unreadable', JSON.stringify(mcpHeaders));
      }
      assert.equal(scopesOf({ mcpHeaders: headers('tools/call', 'delete_alert'), body }).kind, 'scopes');
      assert.equal(scopesOf({ mcpHeaders: headers('resources/read', 'weather://a'), body: call('resources/read', { uri: 'weather://a' }) }).kind, 'scopes');
      assert.equal(scopesOf({ mcpHeaders: headers('resources/read', 'weather://b'), body: call('resources/read', { uri: 'weather://a' }) }).kind, 'unreadable');
    });

    it('Headers: trusted headers are required', () => {
      const mcp = { ...RULES, source: 'Headers' as const };
      assert.equal(scopesOf({ body: call('tools/call', { name: 'delete_alert' }) }, mcp).kind, 'unreadable');
      assert.equal(scopesOf({ mcpHeaders: headers('tools/call', 'delete_alert') }, mcp).kind, 'scopes');
    });

    it('Body: headers are ignored, the body is required', () => {
      const mcp = { ...RULES, source: 'Body' as const };
      assert.equal(scopesOf({ mcpHeaders: headers('tools/call', 'delete_alert') }, mcp).kind, 'unreadable');
      const result = scopesOf({ mcpHeaders: headers('tools/call', 'list_alerts'), body: call('tools/call', { name: 'delete_alert' }) }, mcp);
      assert.deepEqual((result as { mcp: unknown }).mcp, { method: 'tools/call', tool: 'delete_alert' });
    });

    it('attack: a partial body, a body over the limit, a tools/call without a name, or no body at all must be unreadable', () => {
      assert.equal(scopesOf({ body: call('tools/call', { name: 'delete_alert' }), bodyPartial: true }).kind, 'unreadable');
      assert.equal(scopesOf({ mcpHeaders: headers('tools/call', 'delete_alert'), bodyPartial: true }).kind, 'unreadable');
      assert.equal(scopesOf({ body: call('tools/call', {}) }).kind, 'unreadable');
      assert.equal(scopesOf({ mcpHeaders: headers('tools/call') }).kind, 'unreadable');
      assert.equal(scopesOf({}).kind, 'unreadable');
      const big = call('tools/call', { name: 'delete_alert', arguments: { text: 'x'.repeat(2_000) } });
      assert.equal(requestScopes(policy(), 'POST', { body: big }, 1_024).kind, 'unreadable');
      assert.equal(requestScopes(policy(), 'POST', { body: big }, big.length).kind, 'scopes');
    });
  });

  it('labels only names the policy gives, or other, whatever the request says', () => {
    fc.assert(fc.property(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }), (method, name) => {
      const result = scopesOf({ body: call(method, { name }) });
      if (result.mcp === undefined) return;
      assert.ok(['resources/read', 'tools/call', 'other'].includes(result.mcp.method), result.mcp.method);
      assert.ok(['delete_alert', 'other'].includes(result.mcp.tool), result.mcp.tool);
    }));
  });
});
