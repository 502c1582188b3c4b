/**
 * Typed errors. Every failure a user can cause or meet is one of these, so callers (and the
 * CLI's exit codes) can tell bad input (exit 2) from an estimation that could not be done (exit 1).
 */
export type InputErrorKind = "formula" | "column" | "file" | "option" | "data" | "predicate" | "size";
export type EstimationErrorKind = "singular" | "convergence" | "worker" | "memory";
/** A bug in absorb, not in the input: the CLI reports any untyped failure with this kind too. */
export type InternalErrorKind = "internal";
export type ErrorKind = InputErrorKind | EstimationErrorKind | InternalErrorKind;

export class AbsorbError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string) {
    super(message);
    this.kind = kind;
    this.name = new.target.name;
  }
}

/** The user's input is wrong: formula, column, file, option, data values, predicate, or too large to fit ("size"). */
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

/** absorb broke one of its own invariants; the message says which (please report it). */
export class InternalError extends AbsorbError {
  constructor(message: string) {
    super("internal", `internal error: ${message}`);
  }
}

/** Exit status for the CLI: 2 invalid input, 1 estimation failure (or anything unexpected). */
export function exitCodeFor(err: unknown): number {
  return err instanceof InputError ? 2 : 1;
}
