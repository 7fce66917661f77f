import Module from 'node:module';
import { readFileSync } from 'node:fs';

/**
 * Node loads the files the docs entry imports as text (lambdas/core/docs/swagger-ui.ts) as their
 * text, as esbuild bundles them; tsx, which runs the entries here, drops the import attribute.
 */
type Loader = (module: { exports: unknown }, filename: string) => void;
const extensions = (Module as unknown as { _extensions: Record<string, Loader> })._extensions;
const isTextImport = (filename: string) => /[\\/]node_modules[\\/]swagger-ui-dist[\\/](swagger-ui\.css|swagger-ui-bundle\.js)$/.test(filename);

let installed = false;

export function loadTextImportsAsText(): void {
  if (installed) return;
  installed = true;
  for (const extension of ['.css', '.js']) {
    const next = extensions[extension] ?? extensions['.js'];
    extensions[extension] = (module, filename) => {
      if (!isTextImport(filename)) return next(module, filename);
      module.exports = readFileSync(filename, 'utf8');
    };
  }
}
