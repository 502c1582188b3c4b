import { expect } from "vitest";
import { InputError } from "../../src/core/errors.js";

/** Runs fn, which must throw an InputError of `kind`; returns it so its message can be checked. */
export function inputError(fn: () => unknown, kind: string): InputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).kind).toBe(kind);
    return err as InputError;
  }
  throw new Error("expected an InputError");
}
