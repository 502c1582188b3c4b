// The wasm module's exports: every kernel file, one module so one compiled instance per thread.
export * from "./demean";
export * from "./crossprod";
export * from "./vcov";
export * from "./theil";
export * from "./schur";
export * from "./cg";
export * from "./bootstrap";
export * from "./sample";
