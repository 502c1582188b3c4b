import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A two-shard ClickHouse cluster on loopback for the distributed tests: Debian's
 * clickhouse-server (installed with apt-get when missing), one process per shard with config
 * files, data and logs under one temp folder, and a cluster named in both configs so a
 * Distributed table on either shard spans both. stop() ends the servers and removes the folder.
 */
export interface ClickHouseCluster {
  /** HTTP interface of each shard, e.g. http://127.0.0.1:PORT */
  readonly urls: readonly string[];
  /** The cluster name for Distributed(...) tables. */
  readonly cluster: string;
  /** Runs one statement on one shard over HTTP; returns the response body. */
  query(shard: number, sql: string, body?: string): Promise<string>;
  stop(): Promise<void>;
}

const SERVER = "/usr/sbin/clickhouse-server";
export const CLUSTER_NAME = "absorb_two_shards";

/** Installs Debian's clickhouse-server when it is missing (root, as on CI's machine). */
export function ensureClickHouseInstalled(): void {
  if (existsSync(SERVER)) return;
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update"], ["install", "-y", "--no-install-recommends", "clickhouse-server", "clickhouse-client"]]) {
    const r = spawnSync("apt-get", args, { stdio: "inherit", env });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(" ")} failed (exit ${r.status}): the distributed tests need Debian's clickhouse-server`);
  }
  if (!existsSync(SERVER)) throw new Error(`apt-get installed clickhouse-server but ${SERVER} is missing`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function serverConfig(dir: string, http: number, tcp: number, interserver: number, shardTcp: readonly number[]): string {
  const shards = shardTcp.map((p) => `<shard><replica><host>127.0.0.1</host><port>${p}</port></replica></shard>`).join("");
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/log/server.log</log><errorlog>${dir}/log/error.log</errorlog><size>10M</size><count>1</count></logger>
  <http_port>${http}</http_port>
  <tcp_port>${tcp}</tcp_port>
  <interserver_http_port>${interserver}</interserver_http_port>
  <listen_host>127.0.0.1</listen_host>
  <max_concurrent_queries>64</max_concurrent_queries>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <remote_servers><${CLUSTER_NAME}>${shards}</${CLUSTER_NAME}></remote_servers>
</yandex>
`;
}

const USERS = `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`;

async function waitForPing(url: string, child: ChildProcess, logDir: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`clickhouse-server exited (${child.exitCode}) before answering; see ${logDir}`);
    try {
      const r = await fetch(`${url}/ping`);
      if (r.ok && (await r.text()).startsWith("Ok")) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`clickhouse-server at ${url} did not answer /ping within ${timeoutMs / 1000} s`);
}

export async function startClickHouseCluster(shardCount = 2): Promise<ClickHouseCluster> {
  ensureClickHouseInstalled();
  const root = mkdtempSync(join(tmpdir(), "absorb-clickhouse-"));
  const ports = await Promise.all(Array.from({ length: shardCount * 3 }, freePort));
  const tcp = ports.slice(0, shardCount);
  const children: ChildProcess[] = [];
  const urls: string[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const kill = setTimeout(() => c.kill("SIGKILL"), 10_000);
            c.once("exit", () => {
              clearTimeout(kill);
              resolve();
            });
            c.kill("SIGTERM");
          }),
      ),
    );
    rmSync(root, { recursive: true, force: true });
  };
  try {
    for (let s = 0; s < shardCount; s++) {
      const dir = join(root, `shard${s + 1}`);
      for (const sub of ["data", "tmp", "user_files", "format_schemas", "log"]) mkdirSync(join(dir, sub), { recursive: true });
      writeFileSync(join(dir, "users.xml"), USERS);
      writeFileSync(join(dir, "config.xml"), serverConfig(dir, ports[shardCount + s]!, tcp[s]!, ports[2 * shardCount + s]!, tcp));
      const child = spawn(SERVER, [`--config-file=${join(dir, "config.xml")}`], { cwd: dir, stdio: "ignore" });
      children.push(child);
      urls.push(`http://127.0.0.1:${ports[shardCount + s]}`);
    }
    await Promise.all(urls.map((u, s) => waitForPing(u, children[s]!, join(root, `shard${s + 1}`, "log"))));
  } catch (err) {
    await stop();
    throw err;
  }
  const query = async (shard: number, sql: string, body?: string): Promise<string> => {
    const url = body === undefined ? urls[shard]! : `${urls[shard]}/?query=${encodeURIComponent(sql)}`;
    const r = await fetch(url, { method: "POST", body: body ?? sql });
    const text = await r.text();
    if (!r.ok) throw new Error(`ClickHouse shard ${shard + 1}: ${text.trim()}\nin: ${sql.slice(0, 500)}`);
    return text;
  };
  return { urls, cluster: CLUSTER_NAME, query, stop };
}
