/**
 * A model of what the Kubernetes API server does with a write of a custom
 * resource, so tests can ask "would `kubectl apply` take this?" without a
 * cluster: unknown fields are pruned, defaults applied, then the value is
 * checked against the structural schema (OpenAPI v3 value validations, with
 * `pattern` read as RE2 like Go's regexp, `x-kubernetes-list-type` set and map
 * uniqueness) and the CEL rules (test/support/crd-cel.ts) run. `apiVersion`,
 * `kind` and `metadata` at the root are the API server's own business and are
 * passed through untouched.
 */
import { Ajv, type AnySchemaObject, type SchemaValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { celFailures, celRuleResult, type CELFailure } from './crd-cel.ts';

type Schema = Record<string, unknown>;

export interface SchemaError {
  readonly path: string;
  readonly message: string;
}

export interface Admission {
  readonly admitted: boolean;
  /** The object as stored (pruned and defaulted). */
  readonly stored: unknown;
  readonly schemaErrors: readonly SchemaError[];
  readonly celFailures: readonly CELFailure[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Prunes fields the schema does not name and fills in defaults, as the API server does before validating. */
export function pruneAndDefault(schema: Schema, value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = schema.items as Schema | undefined;
    return items === undefined ? value : value.map((item: unknown) => pruneAndDefault(items, item));
  }
  if (!isObject(value) || schema['x-kubernetes-preserve-unknown-fields'] === true) return value;
  const properties = schema.properties as Record<string, Schema> | undefined;
  const values = schema.additionalProperties;
  if (properties === undefined) {
    if (!isObject(values)) return schema.type === 'object' ? {} : value;
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, pruneAndDefault(values, child)]));
  }
  const out: Record<string, unknown> = {};
  for (const [name, child] of Object.entries(properties)) {
    if (Object.hasOwn(value, name)) out[name] = pruneAndDefault(child, value[name]);
    else if (child.default !== undefined) out[name] = pruneAndDefault(child, structuredClone(child.default));
  }
  return out;
}

// Ajv keys its cache of compiled patterns by toString(), so each matcher names its pattern.
const re2 = Object.assign(
  (pattern: string) => ({
    test: (text: string): boolean => celRuleResult(`self.matches(${JSON.stringify(pattern)})`, text) === true,
    toString: () => `re2:${pattern}`,
  }),
  { code: 'crd-admission-re2' },
);

/** `x-kubernetes-list-type`: `set` items are unique; `map` items are unique by their `x-kubernetes-list-map-keys`. */
const listType: SchemaValidateFunction = (kind: unknown, data: unknown, parentSchema?: AnySchemaObject): boolean => {
  if (!Array.isArray(data) || (kind !== 'set' && kind !== 'map')) return true;
  const keys = (parentSchema?.['x-kubernetes-list-map-keys'] ?? []) as string[];
  const identity = (item: unknown): string => JSON.stringify(kind === 'set' ? item : keys.map((key) => (isObject(item) ? item[key] : undefined)));
  return new Set(data.map(identity)).size === data.length;
};

const ajv = new Ajv({ allErrors: true, strict: false, code: { regExp: re2 } });
addFormats.default(ajv);
ajv.addFormat('int64', { type: 'number', validate: Number.isSafeInteger });
ajv.addKeyword({ keyword: 'x-kubernetes-list-type', validate: listType, errors: false });

const API_SERVER_FIELDS = ['apiVersion', 'kind', 'metadata'];
const compiled = new WeakMap<Schema, ReturnType<typeof ajv.compile>>();

/** What the API server would do with a create of `object` under the CRD's `openAPIV3Schema`. */
export function admit(schema: Schema, object: unknown): Admission {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  const stored = isObject(object) ? { ...(pruneAndDefault(schema, object) as object), ...Object.fromEntries(API_SERVER_FIELDS.filter((name) => Object.hasOwn(object, name)).map((name) => [name, object[name]])) } : object;
  const schemaErrors = validate(stored) ? [] : (validate.errors ?? []).map((error) => ({ path: error.instancePath === '' ? '/' : error.instancePath, message: error.message ?? error.keyword }));
  const failures = celFailures(schema, stored);
  return { admitted: schemaErrors.length === 0 && failures.length === 0, stored, schemaErrors, celFailures: failures };
}
