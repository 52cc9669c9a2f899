// The chart's install notes (NOTES.txt, rendered by a client-side dry run of the real
// Helm binary): without hostOwnership, a host belongs to the namespace that claims it
// first, so the notes must warn whenever more than one namespace is watched.
import { strict as assert } from 'node:assert';
import { CHART_DIR, RELEASE_NAME, RELEASE_NAMESPACE } from '../support/chart-render.ts';
import { runHelm } from '../support/helm.ts';

function notes(...values: string[]): string {
  const result = runHelm(['install', RELEASE_NAME, CHART_DIR, '--namespace', RELEASE_NAMESPACE, '--dry-run=client', ...values.flatMap((value) => ['--set-json', value])]);
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.slice(result.stdout.indexOf('NOTES:'));
}

const WARNING = /WARNING: more than one namespace is watched and hostOwnership is empty/;

describe('chart install notes: host ownership', function () {
  this.timeout(60_000);

  it('must warn when every namespace is watched and no hostOwnership is given', () => {
    assert.match(notes('policySource="kubernetes"'), WARNING);
  });

  it('must warn when several namespaces are watched and no hostOwnership is given', () => {
    assert.match(notes('policySource="kubernetes"', 'config.watchNamespaces=["team-a","team-b"]'), WARNING);
  });

  it('does not warn with one watched namespace, with hostOwnership, or in file mode', () => {
    assert.doesNotMatch(notes('policySource="kubernetes"', 'config.watchNamespaces=["team-a"]'), WARNING);
    assert.doesNotMatch(notes('policySource="kubernetes"', 'hostOwnership={"team-a":["mcp.example.com"]}'), WARNING);
    assert.doesNotMatch(notes('policySource="file"'), WARNING);
  });
});

describe('chart install notes: the request body for per-tool scopes', function () {
  this.timeout(60_000);

  it('must print each proxy\'s body setting with --max-body-bytes as its limit', () => {
    const text = notes('config.maxBodyBytes=32768');
    assert.match(text, /includeRequestBodyInCheck \{maxRequestBytes: 32768, allowPartialMessage: true, packAsBytes: true\}/);
    assert.match(text, /with_request_body \{max_request_bytes: 32768, allow_partial_message: true, pack_as_bytes: true\}/);
    assert.match(text, /extAuth\.bodyToExtAuth \{maxRequestBytes: 32768\}/);
  });
});
