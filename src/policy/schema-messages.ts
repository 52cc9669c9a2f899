/**
 * JSON Schema errors in the words a policy author uses. Ajv's own texts
 * ("must match pattern "^/[^?#]*$"", "must NOT have fewer than 1 items") name
 * regular expressions and schema keywords; `audience-guard validate`, serve's
 * start-up errors, the logs and the Kubernetes status say instead what the
 * field must be. The path stays the JSON pointer Ajv reports (for a required
 * field, the object that lacks it; the message names the field).
 */
import type { ErrorObject } from 'ajv';

/** What each pattern of src/policy/policy-schema.ts asks for, by the pattern's source. */
const PATTERN_WORDS: Readonly<Record<string, string>> = {
  '^(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$':
    'must be a host name (letters, digits and "-" between dots; no port, scheme or path), or "*." and a domain',
  '^/[^?#]*$': 'must be a path that starts with "/" and has no "?" or "#"',
  '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$':
    'must be a lower-case DNS name: letters a-z, digits, "-" and ".", starting and ending with a letter or digit',
  '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$':
    'must be a lower-case DNS label: letters a-z, digits and "-", starting and ending with a letter or digit',
  '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$': 'must be an OAuth scope: printable ASCII characters other than space, " and \\',
  '^[-._a-zA-Z0-9]+$': 'must contain only letters, digits, "-", "_" and "."',
  '^/': 'must be an absolute path (starting with "/")',
  '^[a-z0-9][-a-z0-9_]*$': 'must be a lower-case HTTP header name: letters a-z, digits, "-" and "_"',
};

/** Patterns of the schema that have words (a test keeps this list complete). */
export const WORDED_PATTERNS: readonly string[] = Object.keys(PATTERN_WORDS);

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'must be text',
  integer: 'must be a whole number',
  number: 'must be a number',
  boolean: 'must be true or false',
  array: 'must be a list',
  object: 'must be a mapping of fields',
  null: 'must be empty (null)',
};

function count(limit: number, one: string, many: string): string {
  return `${String(limit)} ${limit === 1 ? one : many}`;
}

/** The error's limit (`params.limit`), a number for the size and range keywords. */
function limitOf(error: ErrorObject): number {
  return Number((error.params as { limit?: unknown }).limit);
}

/** A schema error in people's words; `path` is the field it is about. */
export function schemaMessage(error: ErrorObject): { readonly path: string; readonly message: string } {
  const path = error.instancePath === '' ? '/' : error.instancePath;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      return { path, message: `the field "${missing}" is required` };
    }
    case 'additionalProperties':
      return { path, message: `unknown field "${String(params.additionalProperty)}"` };
    case 'type':
      return { path, message: TYPE_WORDS[String(params.type)] ?? `must be of type ${String(params.type)}` };
    case 'minLength':
      return {
        path,
        message: limitOf(error) === 1 ? 'must not be empty' : `must be at least ${count(limitOf(error), 'character', 'characters')} long`,
      };
    case 'maxLength':
      return { path, message: `must be at most ${count(limitOf(error), 'character', 'characters')} long` };
    case 'minItems':
      return { path, message: `must list at least ${count(limitOf(error), 'entry', 'entries')}` };
    case 'maxItems':
      return { path, message: `must list at most ${count(limitOf(error), 'entry', 'entries')}` };
    case 'maxProperties':
      return { path, message: `must have at most ${count(limitOf(error), 'entry', 'entries')}` };
    case 'minimum':
      return { path, message: `must be at least ${String(limitOf(error))}` };
    case 'maximum':
      return { path, message: `must be at most ${String(limitOf(error))}` };
    case 'uniqueItems':
      return { path, message: `must not list the same value twice (entries ${String(params.j)} and ${String(params.i)})` };
    case 'pattern':
      return { path, message: PATTERN_WORDS[String(params.pattern)] ?? 'contains characters that are not allowed here' };
    case 'const':
      return { path, message: `must be ${JSON.stringify(params.allowedValue)}` };
    case 'enum':
      return { path, message: `must be one of: ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}` };
    default:
      return { path, message: 'is not a valid value here' };
  }
}
