import { PUBLIC } from './core/auth/scopes';
import { PAGE_FILES, SHORT_LIVED } from './core/docs/page';
import { httpHandler, ok, okText, type RouteTable } from './core/http/router';
import { logger } from './core/logger';
import openApiDocument from './core/openadr/openapi.generated.json';

/**
 * This VTN's OpenAPI document and its documentation page, for anyone: no token, no storage.
 * Swagger UI's files lie beside this entry's bundle alone.
 */
export const docsRoutes: RouteTable = {
  '/openapi.json': { GET: { scope: PUBLIC, handle: async () => ok(openApiDocument, SHORT_LIVED) } },
  ...Object.fromEntries(
    Object.entries(PAGE_FILES).map(([path, file]) => [path, { GET: { scope: PUBLIC, handle: async () => okText(file.body(), file.contentType, file.headers) } }]),
  ),
};

export const handler = httpHandler(docsRoutes, logger());
