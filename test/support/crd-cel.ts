/**
 * Evaluates a CRD's `x-kubernetes-validations` rules against a document the
 * way the API server does: each rule runs with `self` bound to the value at
 * the schema node that carries it (every item, for a rule on array items).
 * Uses the CEL engine from @bufbuild/cel; objects are passed as CEL maps.
 */
import { run } from '@bufbuild/cel';

type Schema = Record<string, unknown>;

function toCEL(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toCEL);
  if (value !== null && typeof value === 'object') return new Map(Object.entries(value).map(([key, child]) => [key, toCEL(child)]));
  return value;
}

export interface CELFailure {
  readonly path: string;
  readonly message: string;
}

/** Every rule that evaluates to anything but `true`, with the JSON pointer of its `self`. */
export function celFailures(schema: Schema, value: unknown, path = ''): CELFailure[] {
  const failures: CELFailure[] = [];
  const rules = (schema['x-kubernetes-validations'] ?? []) as { rule: string; message: string }[];
  for (const { rule, message } of rules) {
    const result = run(rule, { self: toCEL(value) as never });
    if (result !== true) failures.push({ path: path === '' ? '/' : path, message });
  }
  const properties = schema.properties as Record<string, Schema> | undefined;
  if (properties !== undefined && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [name, child] of Object.entries(properties)) {
      const childValue = (value as Record<string, unknown>)[name];
      if (childValue !== undefined) failures.push(...celFailures(child, childValue, `${path}/${name}`));
    }
  }
  const items = schema.items as Schema | undefined;
  if (items !== undefined && Array.isArray(value)) {
    value.forEach((item: unknown, index) => failures.push(...celFailures(items, item, `${path}/${String(index)}`)));
  }
  return failures;
}
