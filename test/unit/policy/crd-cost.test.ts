// The CRD must stay within the CEL cost budget the API server enforces when it
// is created or updated: every string, list and map under spec is bounded
// (else a rule's estimated cost is reckoned over a 3 MiB value and the CRD is
// refused at apply time), and the estimated cost of every rule, and of all of
// them together, is under Kubernetes' limits.
import { strict as assert } from 'node:assert';
import { audiencePolicySchema } from '../../../src/policy/crd.ts';
import { PER_CALL_LIMIT, ruleCosts, STATIC_ESTIMATED_COST_LIMIT, STATIC_ESTIMATED_CRD_COST_LIMIT } from '../../support/crd-cel-cost.ts';

type Schema = Record<string, unknown>;

function* nodes(schema: Schema, path: string): Generator<[string, Schema]> {
  yield [path, schema];
  for (const [name, child] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) yield* nodes(child, `${path}.${name}`);
  if (schema.items !== undefined) yield* nodes(schema.items as Schema, `${path}[]`);
  if (typeof schema.additionalProperties === 'object') yield* nodes(schema.additionalProperties as Schema, `${path}{}`);
}

const SCHEMA = audiencePolicySchema();
const SPEC = (SCHEMA.properties as Record<string, Schema>).spec as Schema;

describe('AudiencePolicy CRD: CEL cost budget', () => {
  it('bounds every string under spec with maxLength', () => {
    for (const [path, node] of nodes(SPEC, 'spec')) {
      if (node.type === 'string') assert.equal(typeof node.maxLength, 'number', `${path} has no maxLength`);
    }
  });

  it('bounds every list under spec with maxItems and every map with maxProperties', () => {
    for (const [path, node] of nodes(SPEC, 'spec')) {
      if (node.type === 'array') assert.equal(typeof node.maxItems, 'number', `${path} has no maxItems`);
      if (node.type === 'object' && node.additionalProperties !== undefined) assert.equal(typeof node.maxProperties, 'number', `${path} has no maxProperties`);
    }
  });

  it('keeps every rule under the per-rule limit, counted once for each place it runs', () => {
    for (const { path, rule, cost, cardinality } of ruleCosts(SCHEMA)) {
      assert.ok(cost <= PER_CALL_LIMIT, `${path}: ${rule} costs ${String(cost)} per evaluation`);
      assert.ok(cost * cardinality <= STATIC_ESTIMATED_COST_LIMIT, `${path}: ${rule} costs ${String(cost)} × ${String(cardinality)}`);
    }
  });

  it('keeps all rules together under the per-CRD limit', () => {
    const total = ruleCosts(SCHEMA).reduce((sum, { cost, cardinality }) => sum + cost * cardinality, 0);
    assert.ok(total <= STATIC_ESTIMATED_CRD_COST_LIMIT, `total estimated cost ${String(total)}`);
  });

  it('would refuse a rule over an unbounded string (the estimate sees what the API server sees)', () => {
    const unbounded = { type: 'object', properties: { name: { type: 'string', 'x-kubernetes-validations': [{ rule: "self.matches('^[a-z]+(-[a-z]+)*$')" }] } } };
    const [only] = ruleCosts({ type: 'array', maxItems: 64, items: unbounded });
    assert.ok(only !== undefined && only.cost * only.cardinality > STATIC_ESTIMATED_COST_LIMIT);
  });
});
