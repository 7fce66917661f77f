/**
 * Swagger UI's files, as text in this module, so that the Lambda bundle carries them (esbuild
 * reads the `with { type: 'text' }` attribute; no file is read at run time). Only the docs entry
 * imports this module: no other bundle carries them. Where the entries run unbundled, the same
 * import is text too: test/support/text-transform.js in jest, local/text-imports.ts under tsx.
 */
// @ts-expect-error TS2823: tsc allows import attributes only when it emits ES modules; esbuild, which builds, reads them.
import css from 'swagger-ui-dist/swagger-ui.css' with { type: 'text' };
// @ts-expect-error TS2823: as above.
import bundle from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'text' };
import { version } from 'swagger-ui-dist/package.json';

export const SWAGGER_UI = { css, bundle, version };
