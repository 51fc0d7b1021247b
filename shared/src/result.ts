/** The outcome of parsing or checking something that came from outside: a value, or a typed error. */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

/** Wraps a successful value. */
export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

/** Wraps an error. */
export function err<E>(error: E): { ok: false; error: E } {
  return { ok: false, error };
}

/** Marks a branch the type checker has proved unreachable; reaching it at run time is a programmer error. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
