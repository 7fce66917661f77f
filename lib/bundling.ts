import { join } from 'node:path';
import type { BuildOptions } from 'esbuild';

/**
 * How every Lambda entry is bundled (NodejsFunction's esbuild options). The benchmark builds its
 * bundles from the same settings, so the sizes and cold starts it reports are the deployed ones.
 */
export const BUNDLING = {
  minify: true,
  sourceMap: true,
  target: 'node22',
  // Nothing is left to the runtime: AWS does not list which SDK packages it ships, nor pins
  // their versions, so the functions run the SDK the tests ran.
  externalModules: [] as string[],
};

export function entryPath(resource: string): string {
  return join(__dirname, '..', 'lambdas', `${resource}.ts`);
}

/** BUNDLING as esbuild's own options, for bundling an entry file outside CDK. */
export function esbuildOptions(entry: string): BuildOptions {
  return {
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: BUNDLING.target,
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    external: BUNDLING.externalModules,
  };
}
