/**
 * The CRD's side of the one rule source (src/policy/policy-rules.ts): each
 * rule becomes a CEL `x-kubernetes-validations` entry on the schema node its
 * place names, so the API server checks it on every AudiencePolicy write and
 * reports the field (`spec.issuers[0].jwksUri: Invalid value: …`). The process
 * runs the same table (src/policy/policy-rule-checks.ts);
 * test/unit/policy/rule-parity.test.ts evaluates both over one corpus.
 *
 * Only standard CEL is used (`matches`, `has`, `size`, `all`, `exists_one`, `filter`),
 * no Kubernetes extension library, so any supported API server takes it.
 */
import { POLICY_RULES, type RuleCheck } from './policy-rules.ts';

export interface CELRule {
  readonly rule: string;
  readonly message: string;
}

type JSONSchema = Record<string, unknown>;

/** A CEL string literal: single quotes, with `\` and `'` escaped. */
function celString(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** A field name as a CEL selector; the schema's names are plain identifiers. */
function field(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a CEL identifier: ${name}`);
  return name;
}

/** The CEL expression of one check, with `self` bound to the value at the rule's place. */
function celExpression(check: RuleCheck): string {
  switch (check.kind) {
    case 'pattern':
      return `${check.matches ? '' : '!'}self.matches(${celString(check.pattern)})`;
    case 'exactlyOneOf':
      return `has(self.${field(check.fields[0])}) != has(self.${field(check.fields[1])})`;
    case 'uniqueBy':
      return `self.all(i, self.exists_one(j, j.${field(check.key)} == i.${field(check.key)}))`;
    case 'keyLength':
      return `self.all(k, size(k) >= ${String(check.min)} && size(k) <= ${String(check.max)})`;
    case 'atMostOneWith':
      return `self.filter(i, has(i.${field(check.field)})).size() <= 1`;
  }
}

/** The schema node at `at` (`*`: a list's items) under `schema`. */
export function nodeAt(schema: JSONSchema, at: readonly string[]): JSONSchema {
  let node = schema;
  for (const name of at) {
    const next = name === '*' ? node.items : (node.properties as Record<string, unknown> | undefined)?.[name];
    if (next === null || typeof next !== 'object') throw new Error(`no schema node at ${at.join('.')}`);
    node = next as JSONSchema;
  }
  return node;
}

/** Adds every rule of the table to the structural `spec` schema, in table order. */
export function addValidationRules(specSchema: JSONSchema): void {
  for (const { at, check, message } of POLICY_RULES) {
    const node = nodeAt(specSchema, at);
    const rules = (node['x-kubernetes-validations'] ?? []) as CELRule[];
    node['x-kubernetes-validations'] = [...rules, { rule: celExpression(check), message }];
  }
}
