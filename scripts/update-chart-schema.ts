/**
 * `npm run chart:schema`: rewrites the generated part of charts/audience-guard/values.schema.json
 * (the AudiencePolicy `spec` schema under `definitions`) from the policy's schema and rule table.
 * Run it after changing src/policy/policy-schema.ts or src/policy/policy-rules.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { expectedValuesSchemaText, VALUES_SCHEMA_FILE } from '../test/support/chart-values-schema.ts';
import { REPO_ROOT } from '../test/support/helm.ts';

const before = readFileSync(VALUES_SCHEMA_FILE, 'utf8');
const after = expectedValuesSchemaText();
writeFileSync(VALUES_SCHEMA_FILE, after);
process.stdout.write(`${before === after ? 'unchanged' : 'updated  '} ${relative(REPO_ROOT, VALUES_SCHEMA_FILE)}\n`);
