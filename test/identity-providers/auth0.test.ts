// docs/identity-providers/auth0.md: its two policies, read out of the guide,
// against tokens shaped as Auth0 issues them (the RFC 9068 and the Auth0 token
// profiles, the /userinfo-only token, ID tokens).
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { decisionFor, guidePolicy, lifetime, ProviderKey, PublishedKeys, without } from './guide-harness.ts';

const GUIDE = 'auth0.md';
const TENANT = 'https://example-tenant.us.auth0.com/';
const USERINFO = 'https://example-tenant.us.auth0.com/userinfo';
const API = 'https://weather.example.com/mcp';
const rfc9068 = guidePolicy(GUIDE, 'weather');
const auth0Profile = guidePolicy(GUIDE, 'weather-auth0-profile');

let tenantKey: ProviderKey;
let keys: PublishedKeys;

/** The RFC 9068 profile's access token (Auth0's sample token, for this API). */
function rfc9068Token(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: TENANT, sub: 'auth0|64f1c2a9e4b0a1b2c3d4e5f6', aud: [API, USERINFO], client_id: 'Xy7aBcDeFgHiJkLmNoPqRsTuVwXyZ012',
    ...lifetime(86_400), jti: '73WakrfVbNJBaAmhQtEeDv', scope: 'openid profile mcp:tools', ...overrides,
  };
}

/** The Auth0 profile's access token: `azp`, no `client_id`, no `jti`. */
function auth0ProfileToken(overrides: JWTPayload = {}): JWTPayload {
  return { ...without(rfc9068Token(), 'client_id', 'jti'), azp: 'Xy7aBcDeFgHiJkLmNoPqRsTuVwXyZ012', ...overrides };
}

function segment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

const AT_JWT = { typ: 'at+jwt' };
const JWT = { typ: 'JWT' };

describe('identity provider guide: Auth0', () => {
  before(async () => {
    tenantKey = await ProviderKey.create('NjVBRjY5MDlCMUIwNzU4RTA2QzZFMDQ4QzQ2MDAyQjVDNjk1RTM2Qg', 'RS256', { use: 'sig', alg: 'RS256', x5t: 'NjVBRjY5MDlCMUIwNzU4RTA2QzZFMDQ4QzQ2MDAyQjVDNjk1RTM2Qg' });
    keys = new PublishedKeys({ [TENANT]: [tenantKey] });
  });

  describe('profile rfc9068 (the API\'s RFC 9068 token profile)', () => {
    it('accepts the RFC 9068 profile token whose aud holds the API and /userinfo', async () => {
      assert.equal(await decisionFor(rfc9068, await tenantKey.sign(AT_JWT, rfc9068Token()), keys), 'allow');
    });

    it('accepts the RFC 9068 profile token whose aud is the API alone', async () => {
      assert.equal(await decisionFor(rfc9068, await tenantKey.sign(AT_JWT, rfc9068Token({ aud: API, scope: 'mcp:tools' })), keys), 'allow');
    });

    it('refuses the Auth0 profile token (typ JWT, azp, no client_id) as unsupported_token_type', async () => {
      assert.equal(await decisionFor(rfc9068, await tenantKey.sign(JWT, auth0ProfileToken()), keys), 'unsupported_token_type');
    });
  });

  describe('profile jwt (the API\'s Auth0 token profile)', () => {
    it('accepts the Auth0 profile token', async () => {
      assert.equal(await decisionFor(auth0Profile, await tenantKey.sign(JWT, auth0ProfileToken()), keys), 'allow');
    });
  });

  for (const [profile, policy, header, token] of [['rfc9068', rfc9068, AT_JWT, rfc9068Token], ['jwt', auth0Profile, JWT, auth0ProfileToken]] as const) {
    describe(`every profile (${profile})`, () => {
      it('attack: a token the tenant issued for another API must be refused as audience_mismatch', async () => {
        assert.equal(await decisionFor(policy, await tenantKey.sign(header, token({ aud: ['https://calendar.example.com/mcp', USERINFO] })), keys), 'audience_mismatch');
      });

      it('attack: a token for /userinfo only must be refused as audience_mismatch', async () => {
        assert.equal(await decisionFor(policy, await tenantKey.sign(header, token({ aud: USERINFO })), keys), 'audience_mismatch');
      });

      it('refuses the five-segment token for /userinfo (no API requested) as malformed_token', async () => {
        const encrypted = [segment({ alg: 'dir', enc: 'A256GCM', iss: TENANT }), '', randomBytes(12).toString('base64url'), randomBytes(96).toString('base64url'), randomBytes(16).toString('base64url')].join('.');
        assert.equal(await decisionFor(policy, encrypted, keys), 'malformed_token');
      });

      it('refuses a token without mcp:tools as insufficient_scope', async () => {
        assert.equal(await decisionFor(policy, await tenantKey.sign(header, token({ scope: 'openid profile' })), keys), 'insufficient_scope');
      });

      it('refuses an iss without the trailing slash as unknown_issuer', async () => {
        assert.equal(await decisionFor(policy, await tenantKey.sign(header, token({ iss: TENANT.slice(0, -1) })), keys), 'unknown_issuer');
      });

      it('attack: a token signed with HS256 (an API\'s HMAC option) must be refused as disallowed_algorithm', async () => {
        const hmac = await new SignJWT(token()).setProtectedHeader({ alg: 'HS256', ...header }).sign(randomBytes(32));
        assert.equal(await decisionFor(policy, hmac, keys), 'disallowed_algorithm');
      });
    });
  }

  describe('ID tokens', () => {
    async function idToken(): Promise<string> {
      return tenantKey.sign(JWT, {
        iss: TENANT, sub: 'auth0|64f1c2a9e4b0a1b2c3d4e5f6', aud: 'Xy7aBcDeFgHiJkLmNoPqRsTuVwXyZ012', ...lifetime(36_000),
        sid: 'vhHkT5bL0o3uGWrzDq3B1yZc', nonce: 'bXlOb25jZQ', name: 'Alice', email: 'alice@example.com',
      });
    }

    it('attack: an ID token presented as an access token must be refused (rfc9068: unsupported_token_type)', async () => {
      assert.equal(await decisionFor(rfc9068, await idToken(), keys), 'unsupported_token_type');
    });

    it('attack: an ID token presented as an access token must be refused (jwt: id_token_presented)', async () => {
      assert.equal(await decisionFor(auth0Profile, await idToken(), keys), 'id_token_presented');
    });
  });
});
