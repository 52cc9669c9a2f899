// docs/identity-providers/google.md: Google's access tokens are opaque (no JWT,
// no RFC 7662 introspection) and its ID tokens are not access tokens, so the
// guide's policy trusts a broker and must refuse both shapes.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { decisionFor, guidePolicy, lifetime, ProviderKey, PublishedKeys, uuid } from './guide-harness.ts';

const BROKER = 'https://keycloak.example.com/realms/mcp';
const GOOGLE = 'https://accounts.google.com';
const GOOGLE_CLIENT = '123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com';
const policy = guidePolicy('google.md', 'weather');

let brokerKey: ProviderKey;
let googleKey: ProviderKey;
let keys: PublishedKeys;

/** A Google ID token (the claims of Google's OpenID Connect documentation). */
function googleIdToken(): Record<string, unknown> {
  return {
    iss: GOOGLE, azp: GOOGLE_CLIENT, aud: GOOGLE_CLIENT, sub: '110169484474386276334', email: 'alice@example.com',
    email_verified: true, at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q', name: 'Alice Example', ...lifetime(3600),
  };
}

describe('identity provider guide: Google', () => {
  before(async () => {
    brokerKey = await ProviderKey.create('broker-rs256', 'RS256', { use: 'sig', alg: 'RS256' });
    googleKey = await ProviderKey.create('c7e04465649ffa606557650c7e65f0a87ae00fe8', 'RS256', { use: 'sig', alg: 'RS256' });
    keys = new PublishedKeys({ [BROKER]: [brokerKey], [GOOGLE]: [googleKey] });
  });

  it('accepts the broker\'s audience-bound access token (the user signed in with Google at the broker)', async () => {
    const brokered = {
      ...lifetime(300), jti: uuid(), iss: BROKER, aud: 'https://weather.example.com/mcp', sub: 'f3a1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
      typ: 'Bearer', azp: 'mcp-client', client_id: 'mcp-client', scope: 'openid mcp:tools', identity_provider: 'google',
    };
    assert.equal(await decisionFor(policy, await brokerKey.sign({ typ: 'at+jwt' }, brokered), keys), 'allow');
  });

  it('attack: a Google OAuth access token (opaque) must be refused as malformed_token', async () => {
    const opaque = `ya29.a0${randomBytes(120).toString('base64url')}`;
    assert.equal(await decisionFor(policy, opaque, keys), 'malformed_token');
  });

  it('attack: a Google ID token presented as an access token must be refused as unsupported_token_type', async () => {
    assert.equal(await decisionFor(policy, await googleKey.sign({ typ: 'JWT' }, googleIdToken()), keys), 'unsupported_token_type');
  });

  it('attack: a Google ID token with typ at+jwt forced on it must be refused as unknown_issuer', async () => {
    assert.equal(await decisionFor(policy, await googleKey.sign({ typ: 'at+jwt' }, googleIdToken()), keys), 'unknown_issuer');
  });
});
