import { generatePanel, PANEL_PLANTED } from "../study/synthetic.js";
import { checkOutputName, writeFrame } from "../data/writers/frame.js";
import { feols } from "../fit/feols.js";
import { parseCommandArgs, integerOption, numberOption } from "./args.js";
import { Progress } from "./progress.js";

export const DEMO_HELP = `absorb demo — the study's baseline on a seeded synthetic firm-year panel

Usage:
  absorb demo [--firms N] [--seed S] [--out panel.csv|panel.csv.gz|panel.parquet] [--json]

Generates N firms (default 25,000, about 4 years each, 2000–2013) with the data-generating
process of gen_panel.R, fits
  dvar ~ robot + ln_age + finance + cap_intensity | firm_id + year   (clustered by firm)
and compares the robot coefficient with the planted effect. --out also writes the panel.`;

const DEMO_OPTIONS = {
  firms: { type: "string" },
  seed: { type: "string" },
  out: { type: "string" },
  json: { type: "boolean" },
  quiet: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export const DEMO_FORMULA = "dvar ~ robot + ln_age + finance + cap_intensity | firm_id + year";

export async function runDemo(argv: string[]): Promise<{ stdout: string }> {
  const { values } = parseCommandArgs("demo", argv, DEMO_OPTIONS);
  if (values.help) return { stdout: DEMO_HELP };
  const firms = integerOption("demo", values.firms, "--firms", 1) ?? 25_000;
  const seed = numberOption("demo", values.seed, "--seed") ?? 20230801;
  if (values.out !== undefined) checkOutputName("demo", "--out", values.out);
  const progress = new Progress(!values.json && !values.quiet);
  progress.phase(`generating ${firms.toLocaleString("en-US")} firms`, firms >= 500_000);
  const panel = generatePanel({ firms, seed });
  if (values.out) {
    progress.phase(`writing ${values.out}`);
    await writeFrame(panel, values.out);
  }
  progress.phase("estimating", panel.nrows >= 2_000_000);
  const fit = await feols(panel, DEMO_FORMULA, { vcov: { cluster: "firm_id" } });
  progress.done();
  const robot = fit.coef("robot")!;
  // Non-SOE firms carry the planted effect; SOEs (5%) add half again, so the pooled slope sits a little above.
  const check = { planted_non_soe: PANEL_PLANTED.robot, planted_soe: PANEL_PLANTED.robot + PANEL_PLANTED["robot:soe"], estimate: robot.estimate, se: robot.se };
  if (values.json) return { stdout: JSON.stringify({ firms, seed, rows: panel.nrows, fit: fit.toJSON(), planted_check: check }) };
  return {
    stdout: [
      `Synthetic panel: ${firms.toLocaleString("en-US")} firms, ${panel.nrows.toLocaleString("en-US")} firm-years (seed ${seed})`,
      "",
      fit.summary(),
      "",
      `Planted robot effect: ${check.planted_non_soe} (non-SOE), ${check.planted_soe} (SOE); estimated ${robot.estimate.toPrecision(4)} (se ${robot.se.toPrecision(2)})`,
    ].join("\n"),
  };
}
