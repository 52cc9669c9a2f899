// docs/identity-providers/microsoft-entra-id.md: its policy, read out of the
// guide, against tokens shaped as Entra ID issues them (v2.0 access tokens for a
// registered API, v1.0 tokens, Microsoft Graph tokens, ID tokens, app-only tokens).
import { strict as assert } from 'node:assert';
import type { JWTPayload } from 'jose';
import { decisionFor, guidePolicy, lifetime, ProviderKey, PublishedKeys, without } from './guide-harness.ts';

const TENANT = '0b5e3c4d-1a2b-4c3d-8e9f-a0b1c2d3e4f5';
const ISSUER_V2 = `https://login.microsoftonline.com/${TENANT}/v2.0`;
const ISSUER_V1 = `https://sts.windows.net/${TENANT}/`;
const API = '6f1b9d3e-7a2c-4c59-9a7e-2d5b8c0e4f11';
const CLIENT = '3c2b1a09-8f7e-4d6c-b5a4-93827160fedc';
const GRAPH = '00000003-0000-0000-c000-000000000000';
const policy = guidePolicy('microsoft-entra-id.md', 'weather');

let tenantKey: ProviderKey;
let otherTenantKey: ProviderKey;
let keys: PublishedKeys;

/** A delegated v2.0 access token for the API (the claims Entra documents for v2.0). */
function v2Token(overrides: JWTPayload = {}): JWTPayload {
  return {
    aud: API, iss: ISSUER_V2, ...lifetime(4_500, true),
    aio: 'AXQAi/8TAAAA6gr4yW2bXJ5Yt2e', azp: CLIENT, azpacr: '0', name: 'Alice Example',
    oid: '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d', preferred_username: 'alice@contoso.example',
    rh: '0.AXQATT5eCyoaPUyOn6Cxwt_k9Q.', scp: 'mcp.tools', sub: 'Vt3yE7qJ8mP2kL0sW9dF6gH1jK4zX5cB', tid: TENANT,
    uti: 'rT3kQx9wLEm0s2u1aB4cAA', ver: '2.0', ...overrides,
  };
}

const JWT = { typ: 'JWT' };

describe('identity provider guide: Microsoft Entra ID', () => {
  before(async () => {
    // Entra's JWKS entries carry kty, use, kid, x5t, n, e (and x5c, issuer), no alg.
    tenantKey = await ProviderKey.create('CNv0OI3RwqlHFEVnaoMAshCH2XE', 'RS256', { use: 'sig', x5t: 'CNv0OI3RwqlHFEVnaoMAshCH2XE', issuer: ISSUER_V2 });
    otherTenantKey = await ProviderKey.create('L1KfKFI_jnXbwWc22xZxw1sUHH0', 'RS256', { use: 'sig' });
    keys = new PublishedKeys({ [ISSUER_V2]: [tenantKey], [ISSUER_V1]: [tenantKey] });
  });

  it('accepts a v2.0 access token: typ JWT, aud the API\'s GUID, azp, scp mcp.tools', async () => {
    assert.equal(await decisionFor(policy, await tenantKey.sign(JWT, v2Token()), keys), 'allow');
  });

  it('accepts a v2.0 access token whose scp holds several scopes', async () => {
    assert.equal(await decisionFor(policy, await tenantKey.sign(JWT, v2Token({ scp: 'mcp.read mcp.tools' })), keys), 'allow');
  });

  it('attack: a v2.0 token the tenant issued for another API must be refused as audience_mismatch', async () => {
    assert.equal(await decisionFor(policy, await tenantKey.sign(JWT, v2Token({ aud: '1d2c3b4a-5f6e-4789-a0b1-c2d3e4f5a6b7' })), keys), 'audience_mismatch');
  });

  it('attack: a token for Microsoft Graph must be refused as audience_mismatch', async () => {
    assert.equal(await decisionFor(policy, await tenantKey.sign(JWT, v2Token({ aud: GRAPH, scp: 'openid profile User.Read email' })), keys), 'audience_mismatch');
  });

  it('attack: the API\'s own ID token (aud the same GUID, nonce) must be refused as id_token_presented', async () => {
    const idToken = { ...without(v2Token(), 'scp', 'azp', 'azpacr'), nonce: '6d3e2f1a-0b9c-4d8e-a7f6-5b4c3d2e1f0a' };
    assert.equal(await decisionFor(policy, await tenantKey.sign(JWT, idToken), keys), 'id_token_presented');
  });

  it('refuses a v1.0 token (sts.windows.net issuer, api:// audience) as unknown_issuer', async () => {
    const v1 = { ...without(v2Token(), 'azp', 'azpacr'), iss: ISSUER_V1, aud: `api://${API}`, appid: CLIENT, appidacr: '0', ver: '1.0' };
    assert.equal(await decisionFor(policy, await tenantKey.sign({ ...JWT, x5t: tenantKey.kid }, v1), keys), 'unknown_issuer');
  });

  it('attack: another tenant\'s token for an API with the same GUID must be refused as unknown_issuer', async () => {
    const foreign = v2Token({ iss: 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0', tid: '72f988bf-86f1-41af-91ab-2d7cd011db47' });
    assert.equal(await decisionFor(policy, await otherTenantKey.sign(JWT, foreign), keys), 'unknown_issuer');
  });

  it('refuses an application-permission token (roles, no scp) as insufficient_scope', async () => {
    const appOnly = { ...without(v2Token(), 'scp', 'name', 'preferred_username'), roles: ['Weather.Read.All'], azpacr: '1' };
    assert.equal(await decisionFor(policy, await tenantKey.sign(JWT, appOnly), keys), 'insufficient_scope');
  });

  it('refuses a token whose scp lacks mcp.tools as insufficient_scope', async () => {
    assert.equal(await decisionFor(policy, await tenantKey.sign(JWT, v2Token({ scp: 'mcp.read' })), keys), 'insufficient_scope');
  });
});
