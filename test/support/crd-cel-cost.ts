/**
 * A pessimistic estimate of the static CEL cost the API server computes when a
 * CRD is created (Kubernetes apiextensions validation, on cel-go's checker
 * cost model): string functions cost by the schema's maxLength (`matches`:
 * ceil((n + 1) × 0.1) × ceil(regex length × 0.25)), a comprehension runs its
 * body once per possible item (maxItems / maxProperties), and a rule's cost is
 * multiplied by how many times it can run (the product of the maxItems and
 * maxProperties of the lists and maps above it). Without a bound, a string or
 * list is as big as the 3 MiB request limit, as the API server assumes; that
 * is what makes an unbounded rule exceed the budget and the CRD be refused.
 */
import { parse } from '@bufbuild/cel';

type Schema = Record<string, unknown>;
type Expr = ReturnType<typeof parse>['expr'];

/** Kubernetes' limits: per rule (cost × cardinality), per CRD (all rules), per evaluation. */
export const STATIC_ESTIMATED_COST_LIMIT = 10_000_000;
export const STATIC_ESTIMATED_CRD_COST_LIMIT = 100_000_000;
export const PER_CALL_LIMIT = 1_000_000;
const MAX_REQUEST_BYTES = 3 * 1024 * 1024;

interface Estimate {
  readonly cost: number;
  readonly schema: Schema | undefined;
}

function length(schema: Schema | undefined): number {
  return typeof schema?.maxLength === 'number' ? schema.maxLength : MAX_REQUEST_BYTES;
}

function count(schema: Schema | undefined): number {
  if (typeof schema?.maxItems === 'number') return schema.maxItems;
  if (typeof schema?.maxProperties === 'number') return schema.maxProperties;
  return MAX_REQUEST_BYTES;
}

/** The schema of what iterating over a value of `schema` yields: list items, or map keys. */
function element(schema: Schema | undefined): Schema | undefined {
  if (schema?.type === 'array') return schema.items as Schema | undefined;
  return { type: 'string' }; // a map key: no schema, so no maxLength
}

function estimate(expr: Expr, scope: ReadonlyMap<string, Schema | undefined>): Estimate {
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'constExpr': {
      const constant = kind.value.constantKind;
      return { cost: 0, schema: constant.case === 'stringValue' ? { type: 'string', maxLength: constant.value.length } : undefined };
    }
    case 'identExpr':
      return { cost: 1, schema: scope.get(kind.value.name) };
    case 'selectExpr': {
      const operand = estimate(kind.value.operand as Expr, scope);
      const properties = operand.schema?.properties as Record<string, Schema> | undefined;
      const child = properties?.[kind.value.field] ?? (operand.schema?.additionalProperties as Schema | undefined);
      return { cost: operand.cost + 1, schema: child };
    }
    case 'callExpr': {
      const target = kind.value.target === undefined ? undefined : estimate(kind.value.target, scope);
      const args = kind.value.args.map((arg) => estimate(arg, scope));
      const operands = target === undefined ? args : [target, ...args];
      const sum = operands.reduce((total, operand) => total + operand.cost, 0);
      const [first, second] = operands.map((operand) => operand.schema);
      switch (kind.value.function) {
        case 'matches':
          return { cost: sum + Math.ceil((length(first) + 1) * 0.1) * Math.ceil(length(second) * 0.25), schema: undefined };
        case 'contains':
        case 'startsWith':
        case 'endsWith':
          return { cost: sum + Math.ceil(length(first) * 0.1) * Math.ceil(length(second) * 0.1), schema: undefined };
        case '_==_':
        case '_!=_':
          return { cost: sum + (first?.type === 'string' ? Math.ceil(length(first) * 0.1) : 1), schema: undefined };
        default:
          return { cost: sum + 1, schema: undefined };
      }
    }
    case 'listExpr':
      return { cost: 10 + kind.value.elements.reduce((total, item) => total + estimate(item, scope).cost, 0), schema: undefined };
    case 'comprehensionExpr': {
      const { iterRange, iterVar, accuVar, accuInit, loopCondition, loopStep, result } = kind.value;
      const range = estimate(iterRange as Expr, scope);
      const inner = new Map(scope).set(iterVar, element(range.schema)).set(accuVar, undefined);
      const body = estimate(loopCondition as Expr, inner).cost + estimate(loopStep as Expr, inner).cost;
      return { cost: range.cost + estimate(accuInit as Expr, inner).cost + count(range.schema) * body + estimate(result as Expr, inner).cost, schema: undefined };
    }
    case 'structExpr':
    case undefined:
      return { cost: 1, schema: undefined };
  }
}

export interface RuleCost {
  /** JSON-pointer-like place of the rule in the schema (`[]`: list items, `{}`: map values). */
  readonly path: string;
  readonly rule: string;
  /** Estimated cost of one evaluation. */
  readonly cost: number;
  /** How many times the rule can run for one object. */
  readonly cardinality: number;
}

/** The estimated cost of every `x-kubernetes-validations` rule under `schema`. */
export function ruleCosts(schema: Schema, path = '', cardinality = 1): RuleCost[] {
  const costs: RuleCost[] = [];
  for (const { rule } of (schema['x-kubernetes-validations'] ?? []) as { rule: string }[]) {
    costs.push({ path, rule, cost: estimate(parse(rule).expr, new Map([['self', schema]])).cost, cardinality });
  }
  for (const [name, child] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) costs.push(...ruleCosts(child, `${path}/${name}`, cardinality));
  if (schema.items !== undefined) costs.push(...ruleCosts(schema.items as Schema, `${path}/[]`, cardinality * count(schema)));
  if (typeof schema.additionalProperties === 'object') costs.push(...ruleCosts(schema.additionalProperties as Schema, `${path}/{}`, cardinality * count(schema)));
  return costs;
}
