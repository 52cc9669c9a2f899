/**
 * Request headers as Node's `IncomingMessage.headersDistinct` gives them:
 * lower-case names, every value of a repeated header kept. (Node's plain
 * `headers` keeps only the first `authorization` or `host` of a repeated one,
 * which would let a client hide a second value from us that a proxy reads.)
 */
export type DistinctHeaders = Readonly<Record<string, readonly string[] | undefined>>;

/** Thrown by `singleValue` for a header that must appear at most once. */
export class MultiValued extends Error {
  constructor(name: string) {
    super(`the header ${name} is repeated`);
  }
}

/** The one value of `name`, undefined when absent; throws `MultiValued` when it is repeated. */
export function singleValue(headers: DistinctHeaders, name: string): string | undefined {
  const values = headers[name];
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > 1) throw new MultiValued(name);
  return values[0];
}

/** All values of `name` joined with "," as a proxy joins them (Envoy does so for its CheckRequest). */
export function joinedValue(headers: DistinctHeaders, name: string): string | undefined {
  const values = headers[name];
  return values === undefined || values.length === 0 ? undefined : values.join(',');
}

/** The named headers present, each joined; undefined when none is. */
export function pickJoined(headers: DistinctHeaders, names: readonly string[]): Record<string, string> | undefined {
  let picked: Record<string, string> | undefined;
  for (const name of names) {
    const value = joinedValue(headers, name);
    if (value !== undefined) (picked ??= {})[name] = value;
  }
  return picked;
}
