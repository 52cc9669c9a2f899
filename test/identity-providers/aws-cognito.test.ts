// docs/identity-providers/aws-cognito.md: user pool access tokens have no `aud`,
// so the guide's policy must refuse them; ID tokens are refused too. Tokens are
// shaped as AWS documents them.
import { strict as assert } from 'node:assert';
import type { JWTPayload } from 'jose';
import { decisionFor, guidePolicy, lifetime, ProviderKey, PublishedKeys, uuid, without } from './guide-harness.ts';

const POOL = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EXAMPLE';
const APP_CLIENT = '1example23456789abcdefghij';
const policy = guidePolicy('aws-cognito.md', 'weather-cognito');

let accessKey: ProviderKey;
let idKey: ProviderKey;
let keys: PublishedKeys;

/** A user pool access token from the managed-login authorization code flow (AWS's documented claims). */
function accessToken(overrides: JWTPayload = {}): JWTPayload {
  return {
    sub: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', 'cognito:groups': ['mcp-users'], iss: POOL, version: 2,
    client_id: APP_CLIENT, origin_jti: uuid(), event_id: uuid(), token_use: 'access',
    scope: 'openid weather-mcp/tools', auth_time: lifetime().iat, ...lifetime(3600), jti: uuid(), username: 'alice',
    ...overrides,
  };
}

/** Header: `kid` and `alg` only. */
const NO_TYP = {};

describe('identity provider guide: AWS Cognito', () => {
  before(async () => {
    // Cognito signs access tokens and ID tokens with different keys of the same JWKS.
    accessKey = await ProviderKey.create('1234example=', 'RS256', { use: 'sig', alg: 'RS256' });
    idKey = await ProviderKey.create('5678example=', 'RS256', { use: 'sig', alg: 'RS256' });
    keys = new PublishedKeys({ [POOL]: [accessKey, idKey] });
  });

  it('attack: a user pool access token (client_id, no aud) must be refused as missing_claim', async () => {
    assert.equal(await decisionFor(policy, await accessKey.sign(NO_TYP, accessToken()), keys), 'missing_claim');
  });

  it('attack: an SDK-flow access token (aws.cognito.signin.user.admin, no aud) must be refused as missing_claim', async () => {
    const sdk = accessToken({ scope: 'aws.cognito.signin.user.admin' });
    assert.equal(await decisionFor(policy, await accessKey.sign(NO_TYP, sdk), keys), 'missing_claim');
  });

  it('attack: a user pool ID token (aud the app client, token_use id, at_hash) must be refused as id_token_presented', async () => {
    const idToken = {
      ...without(accessToken(), 'client_id', 'scope', 'username', 'version'), token_use: 'id', aud: APP_CLIENT,
      at_hash: 'ZAB1ExaMpLe2', 'cognito:username': 'alice', email: 'alice@example.com', email_verified: true,
    };
    assert.equal(await decisionFor(policy, await idKey.sign(NO_TYP, idToken), keys), 'id_token_presented');
  });

  it('attack: a user pool ID token without at_hash must be refused as audience_mismatch', async () => {
    const idToken = { ...without(accessToken(), 'client_id', 'scope', 'username', 'version'), token_use: 'id', aud: APP_CLIENT, 'cognito:username': 'alice' };
    assert.equal(await decisionFor(policy, await idKey.sign(NO_TYP, idToken), keys), 'audience_mismatch');
  });

  it('accepts an access token that carries aud with the MCP server (the reported resource binding)', async () => {
    assert.equal(await decisionFor(policy, await accessKey.sign(NO_TYP, accessToken({ aud: 'https://weather.example.com/mcp' })), keys), 'allow');
  });
});
