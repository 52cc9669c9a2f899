// The Node.js version check the `audience-guard` command runs first, in plain
// JavaScript that any Node.js able to load an ES module can run: the CLI itself
// is TypeScript run through Node's type stripping, and an older Node fails on
// it with a stack trace or a misleading TypeError instead of saying why.

/**
 * Why `version` (process.versions.node) does not satisfy `range` (package.json
 * `engines.node`, of the form `>=MAJOR[.MINOR[.PATCH]]`), or undefined when it
 * does — or when the range has another form, which this check leaves to Node.
 */
export function nodeVersionProblem(version, range) {
  const minimum = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(String(range).trim());
  if (minimum === null) return undefined;
  const wanted = minimum.slice(1).map((part) => Number(part ?? 0));
  const running = String(version).replace(/^v/, '').split('.').map((part) => Number.parseInt(part, 10) || 0);
  for (let index = 0; index < 3; index += 1) {
    const have = running[index] ?? 0;
    if (have > wanted[index]) return undefined;
    if (have < wanted[index]) {
      return `Node.js ${String(version).replace(/^v/, '')} is too old: audience-guard needs Node.js ${String(range).trim()} (package.json "engines"); install a newer Node.js`;
    }
  }
  return undefined;
}
