// docs/identity-providers/: every guide is listed in the folder's README, has a
// token-shape test of its own, shows at least one valid AudiencePolicy and says
// whether a client may widen its scope (MCP clients step up on insufficient_scope).
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/helm.ts';
import { guidePolicies } from './guide-harness.ts';

const FOLDER = join(REPO_ROOT, 'docs', 'identity-providers');
const GUIDES = readdirSync(FOLDER).filter((name) => name.endsWith('.md') && name !== 'README.md').sort();
const INDEX = readFileSync(join(FOLDER, 'README.md'), 'utf8');
const PROVIDERS = ['keycloak.md', 'auth0.md', 'microsoft-entra-id.md', 'okta.md', 'aws-cognito.md', 'google.md'];

describe('identity provider guides', () => {
  it('must cover Keycloak, Auth0, Microsoft Entra ID, Okta, AWS Cognito and Google', () => {
    assert.deepEqual(GUIDES, [...PROVIDERS].sort());
  });

  for (const guide of GUIDES) {
    describe(guide, () => {
      const text = readFileSync(join(FOLDER, guide), 'utf8');

      it('must be linked from the folder README', () => {
        assert.ok(INDEX.includes(`](${guide})`), `README.md must link to ${guide}`);
      });

      it('must have a test of its own that it links to', () => {
        const test = `test/identity-providers/${guide.replace(/\.md$/, '.test.ts')}`;
        assert.ok(existsSync(join(REPO_ROOT, test)), `${test} must exist`);
        assert.ok(text.includes(`(../../${test})`), `${guide} must link to ${test}`);
      });

      it('must show at least one valid AudiencePolicy', () => {
        assert.ok(guidePolicies(guide).length > 0);
      });

      it('must say whether a client may widen its scope', () => {
        assert.match(text, /\*\*Scope step-up\*\*|^## \d+\. Scope step-up$/m);
      });

      it('must link only to files that exist', () => {
        for (const match of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
          const target = match[1] ?? '';
          if (/^[a-z]+:/.test(target)) continue;
          assert.ok(existsSync(join(FOLDER, target)), `${guide} links to ${target}, which does not exist`);
        }
      });
    });
  }
});
