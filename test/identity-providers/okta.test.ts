// docs/identity-providers/okta.md: its policy, read out of the guide, against
// tokens shaped as Okta issues them (custom and org authorization servers, the
// default server, ID tokens).
import { strict as assert } from 'node:assert';
import type { JWTPayload } from 'jose';
import { decisionFor, guidePolicy, lifetime, ProviderKey, PublishedKeys } from './guide-harness.ts';

const ORG = 'https://example.okta.com';
const SERVER = `${ORG}/oauth2/aus1a2b3c4d5e6f7g8h9`;
const CALENDAR_SERVER = `${ORG}/oauth2/aus9z8y7x6w5v4u3t2s1`;
const DEFAULT_SERVER = `${ORG}/oauth2/default`;
const MCP = 'https://weather.example.com/mcp';
const policy = guidePolicy('okta.md', 'weather');

let serverKey: ProviderKey;
let keys: PublishedKeys;

/** A custom authorization server's access token (the claims Okta documents). */
function accessToken(overrides: JWTPayload = {}): JWTPayload {
  return {
    ver: 1, jti: 'AT.0mP4JKAZX1iACIT4vbEDF7LpvDVjxypPMf0D7uX39RE', iss: SERVER, aud: MCP,
    sub: 'alice@example.com', ...lifetime(3600), cid: '0oa1b2c3d4e5f6g7h8i9', uid: '00u1a2b3c4d5e6f7g8h9',
    scp: ['openid', 'mcp:tools'], auth_time: lifetime().iat, ...overrides,
  };
}

/** Okta's access and ID tokens have only `alg` and `kid` in the header. */
const NO_TYP = {};

describe('identity provider guide: Okta', () => {
  before(async () => {
    serverKey = await ProviderKey.create('45js03w0djwedsw', 'RS256', { use: 'sig', alg: 'RS256' });
    const sameOrgOtherServers = await ProviderKey.create('Hg5Bq2pL9xT0vW3z', 'RS256', { use: 'sig', alg: 'RS256' });
    keys = new PublishedKeys({ [SERVER]: [serverKey], [CALENDAR_SERVER]: [sameOrgOtherServers], [DEFAULT_SERVER]: [sameOrgOtherServers], [ORG]: [sameOrgOtherServers] });
  });

  it('accepts a custom authorization server access token: no typ, cid, scp [openid, mcp:tools]', async () => {
    assert.equal(await decisionFor(policy, await serverKey.sign(NO_TYP, accessToken()), keys), 'allow');
  });

  it('refuses an access token whose scp lacks mcp:tools as insufficient_scope', async () => {
    assert.equal(await decisionFor(policy, await serverKey.sign(NO_TYP, accessToken({ scp: ['openid'] })), keys), 'insufficient_scope');
  });

  it('attack: an org authorization server token (typ application/okta-internal-at+jwt) must be refused as unsupported_token_type', async () => {
    const orgToken = accessToken({ iss: ORG, aud: ORG, scp: ['openid', 'okta.users.read.self'] });
    assert.equal(await decisionFor(policy, await serverKey.sign({ typ: 'application/okta-internal-at+jwt' }, orgToken), keys), 'unsupported_token_type');
  });

  it('attack: a default authorization server token (aud api://default) must be refused as unknown_issuer', async () => {
    assert.equal(await decisionFor(policy, await serverKey.sign(NO_TYP, accessToken({ iss: DEFAULT_SERVER, aud: 'api://default' })), keys), 'unknown_issuer');
  });

  it('attack: a token from another MCP server\'s authorization server must be refused as unknown_issuer', async () => {
    assert.equal(await decisionFor(policy, await serverKey.sign(NO_TYP, accessToken({ iss: CALENDAR_SERVER, aud: 'https://calendar.example.com/mcp' })), keys), 'unknown_issuer');
  });

  it('attack: a token of this authorization server for another audience must be refused as audience_mismatch', async () => {
    assert.equal(await decisionFor(policy, await serverKey.sign(NO_TYP, accessToken({ aud: 'https://calendar.example.com/mcp' })), keys), 'audience_mismatch');
  });

  it('attack: an ID token presented as an access token must be refused as id_token_presented', async () => {
    const idToken = {
      ver: 1, sub: '00u1a2b3c4d5e6f7g8h9', iss: SERVER, aud: '0oa1b2c3d4e5f6g7h8i9', ...lifetime(3600), amr: ['pwd'],
      jti: 'ID.4eAWJOCMB3SX8XewDfVR', auth_time: lifetime().iat, at_hash: 'cpqKfdQA5eH891Ff5oJr_Q', name: 'Alice Example',
    };
    assert.equal(await decisionFor(policy, await serverKey.sign(NO_TYP, idToken), keys), 'id_token_presented');
  });
});
