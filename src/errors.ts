/**
 * Typed errors. Every failure a user can cause or meet is one of these, so callers (and the
 * CLI's exit codes) can tell bad input (exit 2) from an estimation that could not be done (exit 1).
 */
export type InputErrorKind = "formula" | "column" | "file" | "option" | "data" | "predicate";
export type EstimationErrorKind = "singular" | "convergence" | "worker" | "memory";
export type ErrorKind = InputErrorKind | EstimationErrorKind;

export class AbsorbError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string) {
    super(message);
    this.kind = kind;
    this.name = new.target.name;
  }
}

/** The user's input is wrong: formula, column, file, option, data values, predicate. */
export class InputError extends AbsorbError {
  constructor(kind: InputErrorKind, message: string) {
    super(kind, message);
  }
}

/** The input was valid but the estimate could not be computed. */
export class EstimationError extends AbsorbError {
  constructor(kind: EstimationErrorKind, message: string) {
    super(kind, message);
  }
}

/** Exit status for the CLI: 2 invalid input, 1 estimation failure (or anything unexpected). */
export function exitCodeFor(err: unknown): number {
  return err instanceof InputError ? 2 : 1;
}
