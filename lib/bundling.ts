import { basename, join } from 'node:path';
import type { BuildOptions } from 'esbuild';

/**
 * Modules replaced in every bundle. Lambda gives a function its credentials in the environment:
 * the SDK's default chain of providers (with the STS and SSO clients some of them need) is left out.
 */
const ALIASES: Record<string, string> = {
  '@aws-sdk/credential-provider-node': join(__dirname, '..', 'lambdas', 'core', 'lambda-credentials.ts'),
};

/**
 * How every Lambda entry is bundled (NodejsFunction's esbuild options). The benchmark builds its
 * bundles from the same settings, so the sizes and cold starts it reports are the deployed ones.
 */
export const BUNDLING = {
  minify: true,
  sourceMap: true,
  // Logged stack traces are told in the sources (lambdas/core/source-positions.ts), which needs
  // the mappings only: the map is 1.3 MB instead of 3.2 MB.
  sourcesContent: false,
  target: 'node22',
  // The packages' ES module builds first: esbuild drops what an entry does not use (the commands
  // and schemas of other operations, most of @smithy/core), which the single-file CommonJS builds
  // keep. The DynamoDB entries are some 600 KB instead of 776 KB, and load in about 30 ms less CPU.
  mainFields: ['module', 'main'],
  // Nothing is left to the runtime: AWS does not list which SDK packages it ships, nor pins
  // their versions, so the functions run the SDK the tests ran.
  externalModules: [] as string[],
  esbuildArgs: { '--alias': Object.entries(ALIASES).map(([module, replacement]) => `${module}=${replacement}`) },
};

/**
 * Files an entry reads at run time, copied beside its bundle: Swagger UI's script and stylesheet,
 * which the docs entry serves. As text inside the bundle they made V8 scan 1.9 MB at every cold start.
 */
const ENTRY_FILES: Record<string, string[]> = {
  docs: ['swagger-ui-dist/swagger-ui-bundle.js', 'swagger-ui-dist/swagger-ui.css'],
};

/** The files `entry` reads beside its bundle: where each comes from, and its name there. */
export function entryFiles(entry: string): { source: string; name: string }[] {
  return (ENTRY_FILES[entry] ?? []).map((file) => ({ source: require.resolve(file), name: basename(file) }));
}

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
    sourcesContent: BUNDLING.sourcesContent,
    mainFields: BUNDLING.mainFields,
    external: BUNDLING.externalModules,
    alias: ALIASES,
  };
}
