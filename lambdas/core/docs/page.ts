import { SWAGGER_UI_VERSION, swaggerUiFile } from './swagger-ui';

/**
 * The documentation page: Swagger UI over this VTN's OpenAPI document, every file served by the
 * VTN itself (no CDN). URLs are relative to the page (`<base>/docs`), so the page works on any
 * host and base path that serves it. No favicon: an empty one saves the browser asking.
 */

/** Swagger UI's own files change only with its version, which their URLs carry: cached for good. */
const IMMUTABLE = { 'cache-control': 'public, max-age=31536000, immutable' };
/** What changes with a deploy (the document, the page, its script) is cached briefly. */
export const SHORT_LIVED = { 'cache-control': 'public, max-age=300' };

/**
 * Only this VTN's own files may load or be called; no inline script or style element. Images
 * may be data: URLs, as Swagger UI's stylesheet draws its icons with them.
 */
const PAGE_SECURITY = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const v = `?v=${SWAGGER_UI_VERSION}`;

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>OpenADR 3.1.0 VTN API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="docs/swagger-ui.css${v}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/swagger-ui-bundle.js${v}"></script>
<script src="docs/swagger-initializer.js"></script>
</body>
</html>
`;

// In its own file, as the policy allows no inline script. The validator badge would call a third
// party; the document lives beside the page.
export const INITIALIZER_JS = `window.ui = SwaggerUIBundle({
  url: 'openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
`;

/** Path (below the base path) to the file served there, its content type and headers. */
export const PAGE_FILES: Record<string, { body: () => string; contentType: string; headers: Record<string, string> }> = {
  '/docs': { body: () => PAGE_HTML, contentType: 'text/html; charset=utf-8', headers: { ...SHORT_LIVED, ...PAGE_SECURITY } },
  '/docs/swagger-initializer.js': { body: () => INITIALIZER_JS, contentType: 'text/javascript; charset=utf-8', headers: SHORT_LIVED },
  '/docs/swagger-ui-bundle.js': { body: () => swaggerUiFile('swagger-ui-bundle.js'), contentType: 'text/javascript; charset=utf-8', headers: IMMUTABLE },
  '/docs/swagger-ui.css': { body: () => swaggerUiFile('swagger-ui.css'), contentType: 'text/css; charset=utf-8', headers: IMMUTABLE },
};
