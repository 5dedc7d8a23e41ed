// Types of esbuild-options.mjs for the TypeScript tests that bundle a browser page.
import type { BuildOptions } from 'esbuild';

export declare const nodeOptions: Omit<BuildOptions, 'write'>;
export declare const browserOptions: Omit<BuildOptions, 'write'>;
