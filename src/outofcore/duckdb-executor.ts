/**
 * Runs a plan's statements in an in-process DuckDB and reads back its (small, DOUBLE) results.
 * DuckDB spills to its temp directory past the memory limit, so the data never has to fit in
 * memory; extensions are neither installed nor loaded behind the user's back.
 */
import type { DuckDBConnection, DuckDBInstance, DuckDBMaterializedResult } from "@duckdb/node-api";
import { EstimationError, InputError } from "../core/errors.js";
import { duckdb, NUMERIC_TYPES } from "../data/readers/duckdb.js";
import { duckdbDialect, stringLiteral, type Dialect } from "./duckdb-dialect.js";
import type { Query, Source, Statement } from "./ir.js";

export interface DuckDBSettings {
  /** DuckDB's memory_limit, e.g. "2GB" (default: DuckDB's, 80% of RAM). */
  readonly memoryLimit?: string;
  /** DuckDB's worker threads (default: DuckDB's, all cores). */
  readonly threads?: number;
  /** Where DuckDB spills (default: DuckDB's, .tmp beside the database or in the working directory). */
  readonly tempDirectory?: string;
  /** A DuckDB database file the source's table or query reads, attached read-only. */
  readonly database?: string;
}

/** What a fit cost the engine: the source's rows, the statements run and the bytes pulled back. */
export interface ScanStats {
  readonly rows: number;
  readonly queries: number;
  readonly bytesReturned: number;
}

export interface SourceColumn {
  readonly name: string;
  readonly numeric: boolean;
}

/** The executor a plan needs: statements in, DOUBLE columns out. Another engine implements the same. */
export interface PlanExecutor {
  run(s: Statement): Promise<number>;
  select(q: Query): Promise<Float64Array[]>;
  columns(): Promise<SourceColumn[]>;
  readonly threads: number;
  stats(rows: number): ScanStats;
  close(): void;
}

export async function openDuckDB(source: Source, settings: DuckDBSettings, describe: string): Promise<PlanExecutor> {
  // No plan depends on row order, and without it DuckDB materialises the sample in parallel with less memory.
  const options: Record<string, string> = { autoinstall_known_extensions: "false", autoload_known_extensions: "false", preserve_insertion_order: "false" };
  if (settings.memoryLimit !== undefined) options.memory_limit = settings.memoryLimit;
  if (settings.threads !== undefined) options.threads = String(settings.threads);
  if (settings.tempDirectory !== undefined) options.temp_directory = settings.tempDirectory;
  let instance: DuckDBInstance;
  try {
    instance = await duckdb.DuckDBInstance.create(":memory:", options);
  } catch (err) {
    throw new InputError("option", `cannot start DuckDB with ${JSON.stringify(options)}: ${(err as Error).message}`);
  }
  const connection = await instance.connect();
  const executor = new DuckDBExecutor(instance, connection, duckdbDialect(source), describe);
  try {
    if (settings.database !== undefined) {
      await executor.raw(`ATTACH ${stringLiteral(settings.database)} AS userdb (READ_ONLY)`);
      await executor.raw("USE userdb");
    }
    const threads = await connection.run("SELECT CAST(current_setting('threads') AS DOUBLE)");
    executor.threads = Number((await threads.getColumns())[0][0]);
  } catch (err) {
    executor.close();
    throw err;
  }
  return executor;
}

class DuckDBExecutor implements PlanExecutor {
  private queries = 0;
  private bytes = 0;
  threads = 1;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly dialect: Dialect,
    /** The source as the user named it, for error messages. */
    private readonly describe: string,
  ) {}

  async raw(sql: string): Promise<DuckDBMaterializedResult> {
    this.queries++;
    try {
      return await this.connection.run(sql);
    } catch (err) {
      const message = (err as Error).message;
      if (/out of memory/i.test(message)) {
        throw new EstimationError("memory", `DuckDB ran out of memory on ${this.describe}: ${message}; raise its limit (--duckdb-memory) or give it a temp directory with room to spill`);
      }
      throw new InputError("file", `DuckDB failed on ${this.describe}: ${message}`);
    }
  }

  async run(s: Statement): Promise<number> {
    let changed = 0;
    for (const sql of this.dialect.statement(s)) changed += (await this.raw(sql)).rowsChanged;
    return changed;
  }

  async select(q: Query): Promise<Float64Array[]> {
    const result = await this.raw(this.dialect.query(q));
    const columns = (await result.getColumns()).map((values) => Float64Array.from(values, (v) => (v === null ? NaN : Number(v))));
    this.bytes += columns.reduce((n, c) => n + c.byteLength, 0);
    return columns;
  }

  async columns(): Promise<SourceColumn[]> {
    const probe = await this.raw(this.dialect.probe());
    return probe.columnNames().map((name, i) => ({ name, numeric: NUMERIC_TYPES.has(probe.columnTypeId(i)) }));
  }

  stats(rows: number): ScanStats {
    return { rows, queries: this.queries, bytesReturned: this.bytes };
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
