/**
 * Evaluates a CRD's `x-kubernetes-validations` rules against a document the
 * way the API server does: each rule runs with `self` bound to the value at
 * the schema node that carries it (every item, for a rule on array items;
 * every value, for a rule on a map's values), and a rule on an absent field
 * does not run. Uses the CEL engine from @bufbuild/cel, whose `matches()` is
 * RE2 as in Kubernetes; objects are passed as CEL maps and integers as CEL
 * ints. Only standard CEL: the rules use no Kubernetes extension library.
 */
import { celEnv, parse, plan } from '@bufbuild/cel';

type Schema = Record<string, unknown>;
type Program = (bindings: { self: never }) => unknown;

function toCEL(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toCEL);
  if (value !== null && typeof value === 'object') return new Map(Object.entries(value).map(([key, child]) => [key, toCEL(child)]));
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return value;
}

const programs = new Map<string, Program>();

/** The rule's result for `self`: `true` when it holds; anything else (false, an error) fails it. */
export function celRuleResult(rule: string, self: unknown): unknown {
  let program = programs.get(rule);
  if (program === undefined) {
    try {
      program = plan(celEnv(), parse(rule));
    } catch (error) {
      program = () => error;
    }
    programs.set(rule, program);
  }
  try {
    return program({ self: toCEL(self) as never });
  } catch (error) {
    return error;
  }
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
    if (celRuleResult(rule, value) !== true) failures.push({ path: path === '' ? '/' : path, message });
  }
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  const properties = schema.properties as Record<string, Schema> | undefined;
  if (properties !== undefined && isObject) {
    for (const [name, child] of Object.entries(properties)) {
      const childValue = (value as Record<string, unknown>)[name];
      if (childValue !== undefined) failures.push(...celFailures(child, childValue, `${path}/${name}`));
    }
  }
  const values = schema.additionalProperties;
  if (values !== null && typeof values === 'object' && isObject) {
    for (const [name, childValue] of Object.entries(value)) failures.push(...celFailures(values as Schema, childValue, `${path}/${name}`));
  }
  const items = schema.items as Schema | undefined;
  if (items !== undefined && Array.isArray(value)) {
    value.forEach((item: unknown, index) => failures.push(...celFailures(items, item, `${path}/${String(index)}`)));
  }
  return failures;
}
