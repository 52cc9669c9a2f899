/** `audience-guard crd`: prints the AudiencePolicy CustomResourceDefinition; takes no arguments. */
import { audiencePolicyCRDYAML } from '../policy/crd.ts';
import { parseCommandArgs } from './args.ts';
import { helpPage } from './help-text.ts';

export const CRD_HELP = helpPage(
  'audience-guard crd',
  'Prints the AudiencePolicy CustomResourceDefinition (YAML), generated from the same schema as the '
    + 'validator, for `audience-guard crd | kubectl apply -f -`.',
  [],
);

export function runCrd(argv: readonly string[], write: (text: string) => void, err: (line: string) => void): Promise<number> {
  const parsed = parseCommandArgs('crd', argv, {}, false);
  if (!parsed.ok) {
    err(`audience-guard: ${parsed.error}`);
    return Promise.resolve(2);
  }
  write(audiencePolicyCRDYAML());
  return Promise.resolve(0);
}
