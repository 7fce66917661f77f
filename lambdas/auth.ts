import { countedGrant, tokenService } from './core/auth/token-service';
import { PUBLIC } from './core/auth/scopes';
import { httpHandler, NOT_CACHED, ok, type RouteTable } from './core/http/router';
import { tokenRequest } from './core/http/token-request';
import { logger } from './core/logger';
import { primeDuringInit } from './core/priming';

/**
 * The VTN as its own OAuth2 authorization server: where the token endpoint is, the client
 * credentials grant, and the public keys that verify its tokens. None of these reads a token.
 */
export const authRoutes: RouteTable = {
  '/auth/server': { GET: { scope: PUBLIC, handle: async ({ url }) => ok({ tokenURL: url.replace(/\/server$/, '/token') }) } },
  '/auth/token': {
    POST: { scope: PUBLIC, handle: async (request) => ok(await countedGrant(async () => (await tokenService()).exchange(tokenRequest(request))), NOT_CACHED) },
  },
  '/.well-known/jwks.json': { GET: { scope: PUBLIC, handle: async () => ok((await tokenService()).keySet(), { 'cache-control': 'public, max-age=300' }) } },
};

export const handler = httpHandler(authRoutes, logger());
primeDuringInit(tokenService);
