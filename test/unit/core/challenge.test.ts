// WWW-Authenticate challenges (docs/contract.md §2.5; RFC 6750 §3, RFC 9728 §5.1,
// MCP authorization): no credentials → no `error`; errors carry `error` and
// `error_description`; insufficient scope lists the scopes; every 401/403/400
// challenge points to the resource metadata; each auth-param at most once;
// `offline_access` never appears.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { wwwAuthenticate } from '../../../src/core/challenge.ts';
import { REASON_TABLE, REASONS, type Reason } from '../../../src/core/reasons.ts';

const M = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';

interface ParsedChallenge {
  readonly scheme: string;
  readonly params: readonly (readonly [string, string])[];
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/** A strict parser for one challenge: `scheme 1*SP auth-param *( OWS "," OWS auth-param )` (RFC 9110 §11.3). */
function parseChallenge(header: string): ParsedChallenge {
  let at = 0;
  const readToken = (): string => {
    const start = at;
    while (at < header.length && TCHAR.test(header.charAt(at))) at += 1;
    if (at === start) throw new Error(`expected a token at ${start} in ${header}`);
    return header.slice(start, at);
  };
  const skipOWS = (): void => {
    while (header.charAt(at) === ' ' || header.charAt(at) === '\t') at += 1;
  };
  const scheme = readToken();
  const params: [string, string][] = [];
  if (at === header.length) return { scheme, params };
  if (header.charAt(at) !== ' ') throw new Error(`expected SP after the scheme in ${header}`);
  skipOWS();
  for (;;) {
    const name = readToken().toLowerCase();
    if (header.charAt(at) !== '=') throw new Error(`expected "=" after ${name} in ${header}`);
    at += 1;
    let value = '';
    if (header.charAt(at) === '"') {
      at += 1;
      for (;;) {
        if (at >= header.length) throw new Error(`unterminated quoted-string in ${header}`);
        const character = header.charAt(at);
        if (character === '"') break;
        if (character === '\\') {
          at += 1;
          value += header.charAt(at);
        } else {
          value += character;
        }
        at += 1;
      }
      at += 1;
    } else {
      value = readToken();
    }
    params.push([name, value]);
    skipOWS();
    if (at === header.length) return { scheme, params };
    if (header.charAt(at) !== ',') throw new Error(`expected "," at ${at} in ${header}`);
    at += 1;
    skipOWS();
  }
}

function paramsOf(header: string | undefined): Map<string, string> {
  assert.ok(header !== undefined, 'expected a challenge');
  const parsed = parseChallenge(header);
  assert.equal(parsed.scheme, 'Bearer');
  const names = parsed.params.map(([name]) => name);
  assert.equal(new Set(names).size, names.length, `an auth-param appears twice in ${header}`);
  return new Map(parsed.params);
}

const PRINTABLE_WITHOUT_QUOTE_OR_BACKSLASH = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;
const scopeTokenArb = fc.stringMatching(/^[\x21\x23-\x5B\x5D-\x7E]{1,12}$/);

describe('WWW-Authenticate challenges (RFC 6750 §3)', () => {
  describe('no credentials (missing_token)', () => {
    it('points to the resource metadata and carries no error', () => {
      const params = paramsOf(wwwAuthenticate('missing_token', M, []));
      assert.equal(params.get('resource_metadata'), M);
      assert.equal(params.has('error'), false);
      assert.equal(params.has('error_description'), false);
    });

    it('names the required scopes when there are some', () => {
      const params = paramsOf(wwwAuthenticate('missing_token', M, ['mcp:tools', 'mcp:read']));
      assert.equal(params.get('scope'), 'mcp:tools mcp:read');
      assert.equal(params.get('resource_metadata'), M);
      assert.equal(params.has('error'), false);
    });

    it('omits scope when no scopes are required', () => {
      assert.equal(paramsOf(wwwAuthenticate('missing_token', M, [])).has('scope'), false);
    });
  });

  describe('malformed request (invalid_request)', () => {
    it('carries error="invalid_request", a description and the resource metadata', () => {
      const params = paramsOf(wwwAuthenticate('invalid_request', M, []));
      assert.equal(params.get('error'), 'invalid_request');
      assert.equal(params.get('error_description'), REASON_TABLE.invalid_request.description);
      assert.equal(params.get('resource_metadata'), M);
    });
  });

  describe('token failures (invalid_token)', () => {
    const tokenReasons = REASONS.filter((reason) => REASON_TABLE[reason].challenge === 'invalid_token');

    it('covers every token failure of docs/contract.md §2.1', () => {
      for (const reason of ['malformed_token', 'token_too_large', 'unsupported_token_type', 'disallowed_algorithm', 'unknown_issuer', 'unknown_key', 'invalid_signature', 'expired', 'not_yet_valid', 'missing_claim', 'id_token_presented', 'audience_mismatch'] as const) {
        assert.ok(tokenReasons.includes(reason), reason);
      }
    });

    for (const reason of tokenReasons) {
      it(`answers ${reason} with error="invalid_token", its own description and the resource metadata`, () => {
        const params = paramsOf(wwwAuthenticate(reason, M, ['mcp:tools']));
        assert.equal(params.get('error'), 'invalid_token');
        assert.equal(params.get('error_description'), REASON_TABLE[reason].description);
        assert.equal(params.get('resource_metadata'), M);
      });
    }
  });

  describe('insufficient scope', () => {
    it('carries error, scope and resource_metadata', () => {
      const params = paramsOf(wwwAuthenticate('insufficient_scope', M, ['mcp:tools', 'mcp:write']));
      assert.equal(params.get('error'), 'insufficient_scope');
      assert.equal(params.get('scope'), 'mcp:tools mcp:write');
      assert.equal(params.get('resource_metadata'), M);
      assert.ok(params.has('error_description'));
    });

    it('lists all the scopes in one challenge', () => {
      const scopes = ['a', 'b', 'c', 'd'];
      assert.deepEqual(paramsOf(wwwAuthenticate('insufficient_scope', M, scopes)).get('scope')?.split(' '), scopes);
    });
  });

  describe('offline_access', () => {
    for (const reason of ['missing_token', 'insufficient_scope'] as const) {
      it(`never appears in a ${reason} challenge`, () => {
        const header = wwwAuthenticate(reason, M, ['offline_access', 'mcp:tools', 'offline_access']);
        assert.ok(header !== undefined);
        assert.equal(header.includes('offline_access'), false);
        assert.equal(paramsOf(header).get('scope'), 'mcp:tools');
      });
    }

    it('leaves out scope entirely when offline_access is the only scope', () => {
      assert.equal(paramsOf(wwwAuthenticate('missing_token', M, ['offline_access'])).has('scope'), false);
      assert.equal(paramsOf(wwwAuthenticate('insufficient_scope', M, ['offline_access'])).has('scope'), false);
    });
  });

  describe('no challenge', () => {
    for (const reason of ['keys_unavailable', 'upstream_token_unavailable', 'timeout', 'no_policy', 'internal_error'] as const) {
      it(`sends no WWW-Authenticate for ${reason}`, () => {
        assert.equal(wwwAuthenticate(reason, M, ['mcp:tools']), undefined);
      });
    }

    it('sends no challenge without a metadata URL (no policy selected)', () => {
      assert.equal(wwwAuthenticate('missing_token', undefined, []), undefined);
    });
  });

  describe('properties', () => {
    it('every challenge parses, names each auth-param at most once, and points to M', () => {
      fc.assert(fc.property(fc.constantFrom(...REASONS), fc.array(fc.oneof(scopeTokenArb, fc.constant('offline_access')), { maxLength: 6 }), (reason: Reason, scopes) => {
        const header = wwwAuthenticate(reason, M, scopes);
        if (REASON_TABLE[reason].challenge === 'none') {
          assert.equal(header, undefined);
          return;
        }
        const params = paramsOf(header);
        assert.equal(params.get('resource_metadata'), M);
        assert.equal(header!.includes('offline_access'), false);
        assert.equal(params.has('error'), REASON_TABLE[reason].challenge !== 'no_error');
        const description = params.get('error_description');
        if (description !== undefined) assert.match(description, PRINTABLE_WITHOUT_QUOTE_OR_BACKSLASH);
      }), { numRuns: 1000 });
    });

    it('round-trips scope tokens with quotes and backslashes through the quoted-string', () => {
      fc.assert(fc.property(fc.array(fc.oneof(scopeTokenArb, fc.constantFrom('a"b', 'c\\d')), { minLength: 1, maxLength: 4 }), (scopes) => {
        const params = paramsOf(wwwAuthenticate('insufficient_scope', M, scopes));
        assert.equal(params.get('scope'), scopes.join(' '));
      }), { numRuns: 500 });
    });
  });
});
