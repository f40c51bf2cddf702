/** The shape of bench/results.json: one entry per figure, each row a value against its in-run baseline. */

export interface Target {
  /** Human form, e.g. "≤ 150 KB" or "≥ 10×". */
  readonly text: string;
  readonly pass: boolean;
}

export interface Row {
  /** What was measured, e.g. "job-worker: bundle size". */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The baseline measured in the same run (undefined when the row is informative only). */
  readonly baseline?: { readonly label: string; readonly value: number; readonly unit: string };
  /** value ÷ baseline, or the ratio the target is about (e.g. speed-up). */
  readonly ratio?: number;
  readonly target?: Target;
  /** Number of samples the median is over. */
  readonly n?: number;
  /** Why a miss happened and what was done, or a caveat. */
  readonly note?: string;
}

export interface FigureResult {
  readonly id: string;
  readonly title: string;
  /** How it was measured: one paragraph. */
  readonly method: string;
  readonly rows: readonly Row[];
  /** Set instead of rows when the figure could not run; the reason is printed, never a number. */
  readonly skipped?: string;
  /** Every sample, per series, in run order. */
  readonly raw?: unknown;
  readonly durationMs?: number;
}

export interface MachineInfo {
  readonly node: string;
  readonly platform: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly loadAverage: readonly number[];
}

export interface BenchResults {
  readonly schema: 1;
  readonly date: string;
  readonly mode: 'quick' | 'full';
  readonly machine: MachineInfo;
  readonly method: readonly string[];
  readonly figures: readonly FigureResult[];
  readonly durationMs: number;
}

export interface BenchOptions {
  readonly quick: boolean;
  /** Repository root (holds cdk.json and node_modules). */
  readonly root: string;
  /** Scratch directory of this run (synth output, bundles of the anchors); removed at the end. */
  readonly tmp: string;
  readonly log: (line: string) => void;
}
