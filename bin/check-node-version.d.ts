/** Why `version` does not satisfy `range` (`>=MAJOR[.MINOR[.PATCH]]`), or undefined when it does. */
export function nodeVersionProblem(version: string, range: string): string | undefined;
