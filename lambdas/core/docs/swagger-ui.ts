import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { version } from 'swagger-ui-dist/package.json';

export type SwaggerUiFile = 'swagger-ui-bundle.js' | 'swagger-ui.css';

export const SWAGGER_UI_VERSION = version;

const texts = new Map<SwaggerUiFile, string>();

/**
 * One of Swagger UI's files, read when first asked for and kept. The docs function has them beside
 * its bundle (lib/bundling.ts copies them there), not inside it: loading the function then does
 * not scan 1.9 MB of text. Unbundled (tsx, jest) they are read from the package.
 */
export function swaggerUiFile(name: SwaggerUiFile): string {
  let text = texts.get(name);
  if (text === undefined) {
    const beside = join(__dirname, name);
    text = readFileSync(existsSync(beside) ? beside : join(__dirname, '..', '..', '..', 'node_modules', 'swagger-ui-dist', name), 'utf8');
    texts.set(name, text);
  }
  return text;
}
