/** The shape of a bench run's results: what `--json` prints and bench/results/*.json holds. */

export type EngineName = 'webgpu-dl' | 'tfjs-webgpu';

export interface KernelResult {
  name: string;
  shape: string;
  ms: number;
  gflops?: number;
  gbps?: number;
  engine: EngineName;
  family: string;
  /** Where the shape comes from: `<preset> <layer> <role>`, or `square`. */
  uses: string[];
  reps: number;
  /** Tuned families (matmul, conv algorithm, im2col, max pool backward): the candidate the engine's tuner picked for this shape on this adapter. */
  picked?: string;
  /**
   * Tuned families: every candidate's rate on this shape, timed like the row itself: GFLOP/s
   * where the row has FLOPs (matmul, conv: nominal, the im2col form's), else GB/s.
   */
  candidates?: Record<string, number>;
}

export interface TrainingResult {
  preset: string;
  engine: EngineName;
  batchSize: number;
  samplesPerSec: number;
  /** GEMM FLOPs of one step (forward and backward) × steps per second. */
  stepGflops: number;
  /** Timed steps (after the warm-up). */
  steps: number;
  /** stepGflops / bestMatmulGflops (the engine's own best matmul on this adapter). */
  fractionOfBestMatmul?: number;
  /** webgpu-dl: samples/s of each timing (before and after the peer's). */
  samplesPerSecEach?: number[];
  /** The peer's warm-up: its batch, and the pipelines it compiled during the timed steps (0 when fully warm). */
  warmupBatch?: number;
  compiledWhileTimed?: number;
}

export interface BreakdownResult {
  preset: string;
  batchSize: number;
  /** Sum of the step's dispatch times. */
  dispatchMs: number;
  /** Wall-clock time of one step through fit (the engine's training row). */
  stepMs: number;
  /** Whether every dispatch was attributed to a derived kernel call (else labels only). */
  matched: boolean;
  kernels: { kernel: string; ms: number; share: number; calls: number }[];
  dispatches: { label: string; use: string; kernel: string; shape: string; ms: number }[];
}

export interface Goal {
  goal: string;
  target: string;
  measured: string;
  met: boolean | null;
}

export interface BenchResults {
  adapter: string;
  version: string;
  bestMatmulGflops: number | null;
  kernels: KernelResult[];
  training: TrainingResult[];
  date: string;
  command: string;
  /** How kernels were timed. */
  clock: 'gpu-timestamps' | 'wall-clock';
  /**
   * GPU timestamps against the wall clock on one matmul, when the adapter has timestamps: each
   * clock's least disturbed round (ms per call), and every round (bench/clock.ts).
   */
  clockCheck?: { shape: string; timestampsMs: number; wallMs: number; rounds?: { timestamps: number[]; wall: number[] } };
  peer?: { name: 'tfjs-webgpu'; version: string; adapter: string };
  /** webgpu-dl ÷ TF.js: samples/s per preset, GFLOP/s per matmul shape. */
  ratios: { training: { preset: string; ratio: number }[]; matmul: { name: string; shape: string; use: string; ratio: number }[] };
  breakdown: BreakdownResult[];
  goals: Goal[];
  /** Warnings worth reading next to the figures (load, unmatched dispatches, ...). */
  notes: string[];
  seconds: number;
}
