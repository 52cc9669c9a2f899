/**
 * Policy files while serving: edits take effect without a restart; an invalid
 * or half-written file keeps the last good snapshot serving and says what is
 * wrong, with file, document index and field.
 */
import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { httpStatus } from '../support/envoy-check-client.ts';
import { eventually, MCP_RESOURCE, OTHER_RESOURCE, policyYAML, startHarness, type Harness } from '../support/service-harness.ts';

describe('file policy source while serving', function () {
  let harness: Harness;
  let mcpToken: string;
  let otherToken: string;

  before(async function () {
    harness = await startHarness({ policies: (issuer) => policyYAML(issuer) });
    mcpToken = await harness.token({ resource: MCP_RESOURCE });
    otherToken = await harness.token({ resource: OTHER_RESOURCE });
  });
  after(async function () {
    await harness.close();
  });

  const checkOther = () => harness.client.check({ authority: 'other.example.com', headers: { authorization: `Bearer ${otherToken}` } });

  it('applies an edited policy file without a restart', async function () {
    assert.equal(httpStatus(await checkOther()), 403, 'other.example.com has no policy yet');
    const generation = harness.service.store.current().generation;
    await harness.writePolicies([policyYAML(harness.auth.issuer), policyYAML(harness.auth.issuer, { name: 'other', resource: OTHER_RESOURCE })].join('---\n'));
    await eventually(() => harness.service.store.current().generation > generation);
    assert.equal((await checkOther()).status?.code ?? 0, 0);
  });

  it('keeps the last good policies serving when an update is invalid, and logs each problem with file and document', async function () {
    const generation = harness.service.store.current().generation;
    await harness.writePolicies([
      policyYAML(harness.auth.issuer),
      policyYAML(harness.auth.issuer, { name: 'other', resource: 'http://other.example.com/mcp' }),
    ].join('---\n'));
    await eventually(() => harness.logs.some((line) => line.event === 'policy_rejected'));
    const problem = harness.logs.find((line) => line.event === 'policy_rejected');
    assert.equal(problem?.origin, `${harness.policyFile}#1`);
    assert.equal(problem.field, '/spec/resource');
    assert.match(String(problem.problem), /https/);
    assert.equal(harness.service.store.current().generation, generation);
    assert.equal((await checkOther()).status?.code ?? 0, 0, 'the last good policy for other.example.com still serves');
    assert.equal((await harness.client.check({ headers: { authorization: `Bearer ${mcpToken}` } })).status?.code ?? 0, 0);
  });

  it('keeps serving when the file is caught half-written, then applies the complete file', async function () {
    const before = harness.logs.filter((line) => line.event === 'policy_rejected').length;
    const complete = policyYAML(harness.auth.issuer);
    await writeFile(harness.policyFile, complete.slice(0, complete.indexOf('issuers:') + 4));
    await eventually(() => harness.logs.filter((line) => line.event === 'policy_rejected').length > before);
    assert.equal((await checkOther()).status?.code ?? 0, 0, 'still the last good snapshot');
    const generation = harness.service.store.current().generation;
    await harness.writePolicies(complete);
    await eventually(() => harness.service.store.current().generation > generation);
    assert.equal(httpStatus(await checkOther()), 403, 'the complete file no longer covers other.example.com');
  });
});
