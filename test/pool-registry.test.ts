import { afterAll, describe, expect, test } from "vitest";
import { runPoolTasks, shutdownPool } from "../src/engine/pool.js";
import { registerTaskHandler } from "../src/engine/task-registry.js";
import { EstimationError, InternalError } from "../src/core/errors.js";

afterAll(() => shutdownPool());

describe("the pool's task registry", () => {
  test("a handler module that cannot be loaded rejects the call with a worker error naming the task", async () => {
    registerTaskHandler("missing", new URL("./no-such-handler.js", import.meta.url));
    const run = runPoolTasks([{ kind: "missing" }, { kind: "missing" }], 2, (t) => `running task ${t}`);
    await expect(run).rejects.toBeInstanceOf(EstimationError);
    await expect(run).rejects.toMatchObject({ kind: "worker", message: expect.stringMatching(/^a worker failed while running task [01]: /) });
  });

  test("a task of a kind nobody registered is refused before it reaches a worker", async () => {
    await expect(runPoolTasks([{ kind: "unregistered" }], 2, () => "")).rejects.toBeInstanceOf(InternalError);
  });
});
