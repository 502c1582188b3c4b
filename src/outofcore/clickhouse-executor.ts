/**
 * ClickHouse over its HTTP interface with plain fetch (the official client wants newer servers
 * than Debian's 18.16). Results come back as RowBinary, each value the double's eight bytes, so
 * nothing is lost to text formatting; every result column is cast to Float64 on the server.
 */
import { InputError } from "../core/errors.js";
import type { SqlSession } from "./script-runner.js";
import type { SourceColumn } from "./duckdb-executor.js";
import { clickhouseIdentifier } from "./clickhouse-dialect.js";

const NUMERIC = /^(Nullable\()?(U?Int(8|16|32|64)|Float(32|64)|Decimal)/;

export class ClickHouseSession implements SqlSession {
  queries = 0;
  bytesReturned = 0;

  constructor(private readonly url: string) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new InputError("option", `--url must be ClickHouse's HTTP address such as http://127.0.0.1:8123 (got "${url}")`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new InputError("option", `--url must be an http:// or https:// address (got "${url}")`);
  }

  private async post(sql: string): Promise<Response> {
    this.queries++;
    // Long scripts (Γ's values, many moments) exceed the default 256 KiB query size.
    const target = `${this.url.replace(/\/$/, "")}/?max_query_size=${64 * 1024 * 1024}&max_ast_elements=10000000&max_expanded_ast_elements=10000000`;
    let response: Response;
    try {
      response = await fetch(target, { method: "POST", body: sql });
    } catch (err) {
      throw new InputError("option", `cannot reach ClickHouse at ${this.url}: ${(err as Error).message}; is the server running and --url its HTTP port (8123 by default)?`);
    }
    if (!response.ok) {
      const text = (await response.text()).trim();
      throw new InputError("data", `ClickHouse at ${this.url} refused a statement: ${text.slice(0, 600)}\n  in: ${sql.slice(0, 300)}`);
    }
    return response;
  }

  async execute(sql: string): Promise<void> {
    await (await this.post(sql)).arrayBuffer();
  }

  async rows(sql: string, columns: readonly string[]): Promise<number[][]> {
    const width = columns.length;
    const wrapped = `SELECT ${columns.map((c) => `ifNull(toFloat64(${clickhouseIdentifier(c)}), nan)`).join(", ")} FROM (${sql}) FORMAT RowBinary`;
    const bytes = new Uint8Array(await (await this.post(wrapped)).arrayBuffer());
    this.bytesReturned += bytes.byteLength;
    if (bytes.byteLength % (8 * width) !== 0) throw new InputError("data", `ClickHouse at ${this.url} returned ${bytes.byteLength} bytes, not whole rows of ${width} doubles`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out: number[][] = [];
    for (let at = 0; at < bytes.byteLength; at += 8 * width) out.push(Array.from({ length: width }, (_, j) => view.getFloat64(at + 8 * j, true)));
    return out;
  }

  /** The source table's columns, numeric or not, from DESCRIBE. */
  async columns(table: string): Promise<SourceColumn[]> {
    const text = await (await this.post(`DESCRIBE TABLE ${table.split(".").map(clickhouseIdentifier).join(".")} FORMAT TabSeparated`)).text();
    return text
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => {
        const [name, type] = line.split("\t");
        return { name: unescapeTsv(name), numeric: NUMERIC.test(type) };
      });
  }
}

function unescapeTsv(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => ({ t: "\t", n: "\n", "\\": "\\", "0": "\0" })[c] ?? c);
}
