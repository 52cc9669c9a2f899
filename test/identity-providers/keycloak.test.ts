// docs/identity-providers/keycloak.md: its two policies, read out of the guide,
// against tokens shaped as Keycloak issues them (access tokens with the Audience
// mapper, with and without the at+jwt header option, ID tokens).
import { strict as assert } from 'node:assert';
import type { JWTPayload } from 'jose';
import { decisionFor, guidePolicy, lifetime, ProviderKey, PublishedKeys, uuid, without } from './guide-harness.ts';

const GUIDE = 'keycloak.md';
const REALM = 'https://keycloak.example.com/realms/mcp';
const MCP = 'https://weather.example.com/mcp';
const rfc9068 = guidePolicy(GUIDE, 'weather');
const typJWT = guidePolicy(GUIDE, 'weather-typ-jwt');

let realmKey: ProviderKey;
let otherRealmKey: ProviderKey;
let keys: PublishedKeys;

/** A user's access token from the authorization code flow, as the realm of the guide issues it. */
function accessToken(overrides: JWTPayload = {}): JWTPayload {
  return {
    ...lifetime(300),
    auth_time: lifetime().iat,
    jti: uuid(),
    iss: REALM,
    aud: [MCP, 'account'],
    sub: 'f3a1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    typ: 'Bearer',
    azp: 'mcp-client',
    sid: uuid(),
    acr: '1',
    realm_access: { roles: ['default-roles-mcp', 'offline_access'] },
    resource_access: { account: { roles: ['manage-account', 'view-profile'] } },
    scope: 'openid mcp:tools profile email',
    email_verified: true,
    preferred_username: 'alice',
    ...overrides,
  };
}

const AT_JWT = { typ: 'at+jwt' };
const JWT = { typ: 'JWT' };

describe('identity provider guide: Keycloak', () => {
  before(async () => {
    realmKey = await ProviderKey.create('kc-rs256', 'RS256', { use: 'sig', alg: 'RS256' });
    otherRealmKey = await ProviderKey.create('kc-other', 'RS256', { use: 'sig', alg: 'RS256' });
    keys = new PublishedKeys({ [REALM]: [realmKey], 'https://keycloak.example.com/realms/other': [otherRealmKey] });
  });

  describe('profile rfc9068 (the at+jwt header option on, a client_id mapper)', () => {
    it('accepts an access token with the at+jwt header, the mapper\'s audience, client_id and mcp:tools', async () => {
      assert.equal(await decisionFor(rfc9068, await realmKey.sign(AT_JWT, accessToken({ client_id: 'mcp-client' })), keys), 'allow');
    });

    it('accepts the audience as a single string too', async () => {
      assert.equal(await decisionFor(rfc9068, await realmKey.sign(AT_JWT, accessToken({ client_id: 'mcp-client', aud: MCP })), keys), 'allow');
    });

    it('refuses Keycloak\'s default header typ JWT as unsupported_token_type', async () => {
      assert.equal(await decisionFor(rfc9068, await realmKey.sign(JWT, accessToken({ client_id: 'mcp-client' })), keys), 'unsupported_token_type');
    });

    it('refuses a user token without the client_id mapper as missing_claim', async () => {
      assert.equal(await decisionFor(rfc9068, await realmKey.sign(AT_JWT, accessToken()), keys), 'missing_claim');
    });
  });

  describe('profile jwt (no at+jwt header option)', () => {
    it('accepts an access token with typ JWT, the mapper\'s audience, no client_id and mcp:tools', async () => {
      assert.equal(await decisionFor(typJWT, await realmKey.sign(JWT, accessToken()), keys), 'allow');
    });
  });

  for (const [profile, policy, extra] of [['rfc9068', rfc9068, { client_id: 'mcp-client' }], ['jwt', typJWT, {}]] as const) {
    const header = profile === 'rfc9068' ? AT_JWT : JWT;
    describe(`every profile (${profile})`, () => {
      it('attack: a token without the Audience mapper ("aud": "account") must be refused as audience_mismatch', async () => {
        assert.equal(await decisionFor(policy, await realmKey.sign(header, accessToken({ ...extra, aud: 'account' })), keys), 'audience_mismatch');
      });

      it('attack: a token the realm issued for another client\'s API must be refused as audience_mismatch', async () => {
        assert.equal(await decisionFor(policy, await realmKey.sign(header, accessToken({ ...extra, aud: ['https://calendar.example.com/mcp', 'account'] })), keys), 'audience_mismatch');
      });

      it('refuses a token with no aud at all (no mapper added one) as missing_claim', async () => {
        assert.equal(await decisionFor(policy, await realmKey.sign(header, without(accessToken(extra), 'aud')), keys), 'missing_claim');
      });

      it('refuses the MCP server\'s audience without mcp:tools as insufficient_scope', async () => {
        assert.equal(await decisionFor(policy, await realmKey.sign(header, accessToken({ ...extra, scope: 'openid profile email' })), keys), 'insufficient_scope');
      });

      it('attack: another realm\'s token must be refused as unknown_issuer', async () => {
        const foreign = accessToken({ ...extra, iss: 'https://keycloak.example.com/realms/other' });
        assert.equal(await decisionFor(policy, await otherRealmKey.sign(header, foreign), keys), 'unknown_issuer');
      });
    });
  }

  describe('ID tokens', () => {
    async function idToken(): Promise<string> {
      return realmKey.sign(JWT, {
        ...without(accessToken(), 'scope', 'realm_access', 'resource_access'),
        typ: 'ID', aud: 'mcp-client', nonce: 'n-0S6_WzA2Mj', at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q',
      });
    }

    it('attack: an ID token presented as an access token must be refused (rfc9068: unsupported_token_type)', async () => {
      assert.equal(await decisionFor(rfc9068, await idToken(), keys), 'unsupported_token_type');
    });

    it('attack: an ID token presented as an access token must be refused (jwt: id_token_presented)', async () => {
      assert.equal(await decisionFor(typJWT, await idToken(), keys), 'id_token_presented');
    });
  });
});
