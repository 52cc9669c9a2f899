/**
 * The process's side of the one rule source (src/policy/policy-rules.ts):
 * runs every rule over a document's `spec`, the way the API server runs the
 * CEL form of the same rule — at each value the rule's place names, skipping
 * places that are absent. The document has already passed the schema, so the
 * values have the schema's types.
 */
import { POLICY_RULES, type PolicyRule, type RuleCheck } from './policy-rules.ts';
import { patternRuleHolds } from './uri-rules.ts';
import type { PolicyProblem } from './validate-policy.ts';

type Located = readonly [pointer: string, value: unknown];

/** RFC 6901 escaping of one reference token. */
function token(name: string): string {
  return name.replaceAll('~', '~0').replaceAll('/', '~1');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Every value at `at` under `value`, with its JSON pointer. */
function locate(value: unknown, at: readonly string[], pointer: string): Located[] {
  const [head, ...rest] = at;
  if (head === undefined) return [[pointer, value]];
  if (head === '*') return Array.isArray(value) ? value.flatMap((item, index) => locate(item, rest, `${pointer}/${String(index)}`)) : [];
  if (!isRecord(value) || !Object.hasOwn(value, head)) return [];
  return locate(value[head], rest, `${pointer}/${token(head)}`);
}

/** The pointers where `check` fails for `value` at `pointer` (empty: it holds). */
function failures(check: RuleCheck, pointer: string, value: unknown): string[] {
  switch (check.kind) {
    case 'pattern':
      return typeof value === 'string' && patternRuleHolds(check, value) ? [] : [pointer];
    case 'exactlyOneOf': {
      const [first, second] = check.fields;
      return isRecord(value) && Object.hasOwn(value, first) !== Object.hasOwn(value, second) ? [] : [pointer];
    }
    case 'uniqueBy': {
      if (!Array.isArray(value)) return [pointer];
      const seen = new Set<unknown>();
      return value.flatMap((item: unknown, index) => {
        const key = isRecord(item) ? item[check.key] : undefined;
        const repeated = seen.has(key);
        seen.add(key);
        return repeated ? [`${pointer}/${String(index)}/${token(check.key)}`] : [];
      });
    }
    case 'keyLength':
      if (!isRecord(value)) return [pointer];
      return Object.keys(value).filter((key) => {
        const length = Array.from(key).length; // code points, as CEL size() and the schema's maxLength count
        return length < check.min || length > check.max;
      }).map((key) => `${pointer}/${token(key)}`);
    case 'atMostOneWith': {
      if (!Array.isArray(value)) return [pointer];
      const setting = value.flatMap((item: unknown, index) => (isRecord(item) && Object.hasOwn(item, check.field) ? [index] : []));
      return setting.slice(1).map((index) => `${pointer}/${String(index)}/${token(check.field)}`);
    }
  }
}

function ruleProblems(rule: PolicyRule, spec: unknown): PolicyProblem[] {
  return locate(spec, rule.at, '/spec')
    .flatMap(([pointer, value]) => failures(rule.check, pointer, value).map((path) => ({ path, message: rule.message })));
}

/** Every problem the rule table finds in `spec`, in table order. */
export function policyRuleProblems(spec: unknown): PolicyProblem[] {
  return POLICY_RULES.flatMap((rule) => ruleProblems(rule, spec));
}
