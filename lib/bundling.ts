import { join } from 'node:path';

/**
 * How every Lambda entry is bundled (NodejsFunction's esbuild options). The benchmark builds its
 * bundles from the same settings, so the sizes and cold starts it reports are the deployed ones.
 */
export const BUNDLING = {
  minify: true,
  sourceMap: true,
  target: 'node22',
  // The Node.js 22 runtime provides the AWS SDK v3.
  externalModules: ['@aws-sdk/*'],
};

export function entryPath(resource: string): string {
  return join(__dirname, '..', 'lambdas', `${resource}.ts`);
}
