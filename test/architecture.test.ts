/**
 * The shape of the code, checked on every test run (ARCHITECTURE.md draws it):
 * - imports run one way down the stack, type-only imports and re-exports included:
 *     data, device < runtime < kernels (with shaders/) < graph < nn < reference < io
 *     < src/index.ts < scripts (build settings) < cli, demo, bench
 *   (a folder may import its own files and any folder below it, never one above);
 * - no two files import each other in a loop, however long;
 * - io imports Sequential only in the files that build a model (MODEL_BUILDERS);
 * - no source file in src/, demo/ or bench/ is over MAX_LINES lines unless its first lines
 *   say why, on a line starting `Over 350 lines:`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..');
const SCANNED = ['src', 'demo', 'bench'];
const SOURCE = /\.(ts|mjs|js|html|css)$/;
const MAX_LINES = 350;

/** Each layer's level: a file may import from its own layer and from lower levels only. */
const LEVELS: Record<string, number> = {
  data: 0,
  device: 0,
  runtime: 1,
  kernels: 2,
  shaders: 1.5, // WGSL text, imported by kernels only
  graph: 3,
  nn: 4,
  reference: 5,
  io: 6,
  api: 7, // src/index.ts, the package's entry point
  scripts: 7.5, // build tooling (esbuild settings), shared by the demo server and the builds
  cli: 8,
  demo: 8,
  bench: 8,
};

/** The layer of a file, from its path relative to the repository root. */
export function layerOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'src') return parts.length === 2 ? 'api' : parts[1];
  return parts[0];
}

/**
 * Module specifiers of every static import, `import type`, side-effect import, re-export
 * (`export ... from`) and dynamic `import('...')` in a file's text.
 */
export function importsOf(text: string): string[] {
  const specifiers: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s+(?:type\s+)?[\w*\s{},$]*?\s*from\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of text.matchAll(pattern)) specifiers.push(match[1]);
  return specifiers;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sourceFiles(path);
    return SOURCE.test(name) ? [path] : [];
  });
}

interface Edge {
  from: string;
  to: string;
}

/** Imports of project files (relative specifiers), resolved to repository paths; `.js` names the `.ts` source. */
function projectImports(files: string[], read: (file: string) => string): Edge[] {
  return files.flatMap((from) =>
    importsOf(read(from))
      .filter((s) => s.startsWith('.'))
      .map((s) => ({ from, to: relative(root, resolve(root, dirname(from), s)).replace(/\.js$/, '.ts') })),
  );
}

/** Imports that point up the stack, as `from → to (layer a imports layer b)`. */
export function wrongWayImports(edges: Edge[]): string[] {
  return edges
    .filter(({ from, to }) => {
      const [a, b] = [layerOf(from), layerOf(to)];
      if (!(a in LEVELS) || !(b in LEVELS)) return true; // a folder the stack does not place
      return a !== b && LEVELS[b] >= LEVELS[a];
    })
    .map(({ from, to }) => `${from} → ${to} (${layerOf(from)} imports ${layerOf(to)})`);
}

/** Every import loop among the files, each as the files around it (found by depth-first search). */
export function importCycles(edges: Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    path.push(file);
    for (const to of next.get(file) ?? []) {
      if (state.get(to) === 'open') cycles.push([...path.slice(path.indexOf(to)), to]);
      else if (!state.has(to)) visit(to);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of next.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

/**
 * The io files that build a model from a file or JSON and so name Sequential; every other
 * format reads and writes a model through nn/savable-model.ts.
 */
const MODEL_BUILDERS = ['src/io/files.ts', 'src/io/keras-file/index.ts', 'src/io/keras-file/read.ts', 'src/io/keras-json-reader.ts', 'src/io/tfjs.ts'];

const files = SCANNED.flatMap(sourceFiles);
const read = (file: string) => readFileSync(join(root, file), 'utf8');

describe('architecture', () => {
  it('scans the import forms the code uses', () => {
    const text = [
      "import { a, type B } from '../x.js';",
      "import type {\n  C,\n  D,\n} from './y.js';",
      "import code from '../../shaders/z.wgsl';",
      "export { e } from './e.js';",
      "export type { F } from './f.js';",
      "import './side-effect.js';",
      "const { readFile } = await import('node:fs/promises');",
      "export const notAnImport = 'from here';",
    ].join('\n');
    expect(importsOf(text).sort()).toEqual(['../../shaders/z.wgsl', '../x.js', './e.js', './f.js', './side-effect.js', './y.js', 'node:fs/promises'].sort());
  });

  it('finds a wrong-way import and a loop when there is one', () => {
    const edges = [
      { from: 'src/graph/graph.ts', to: 'src/nn/layers/layer.ts' },
      { from: 'src/nn/a.ts', to: 'src/nn/b.ts' },
      { from: 'src/nn/b.ts', to: 'src/nn/c.ts' },
      { from: 'src/nn/c.ts', to: 'src/nn/a.ts' },
    ];
    expect(wrongWayImports(edges)).toEqual(['src/graph/graph.ts → src/nn/layers/layer.ts (graph imports nn)']);
    expect(importCycles(edges)).toEqual([['src/nn/a.ts', 'src/nn/b.ts', 'src/nn/c.ts', 'src/nn/a.ts']]);
  });

  it('imports run one way down the stack', () => {
    const edges = projectImports(files, read);
    expect(edges.length).toBeGreaterThan(100); // the scan sees the real import graph
    expect(wrongWayImports(edges)).toEqual([]);
  });

  it('no files import each other in a loop', () => {
    expect(importCycles(projectImports(files, read))).toEqual([]);
  });

  it('io reaches a model through SavableModel, except where it builds one', () => {
    const importers = projectImports(files, read).filter(({ from, to }) => layerOf(from) === 'io' && to === 'src/nn/sequential.ts');
    expect([...new Set(importers.map((e) => e.from))].sort()).toEqual(MODEL_BUILDERS);
  });

  it(`no source file is over ${MAX_LINES} lines without a reason at its top`, () => {
    const long = files.filter((file) => {
      const lines = read(file).split('\n');
      if (lines.length <= MAX_LINES) return false;
      return !lines.slice(0, 5).some((line) => /^\W*Over 350 lines: \S/.test(line));
    });
    expect(long).toEqual([]);
  });
});
