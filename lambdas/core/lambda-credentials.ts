/**
 * The AWS credentials of a deployed function: its execution role's, which Lambda puts in the
 * environment. The bundles use this in place of the SDK's default chain (lib/bundling.ts aliases
 * @aws-sdk/credential-provider-node here): that chain also carries the profile, SSO, process,
 * web-identity and instance-metadata providers with their own STS and SSO clients, some 135 KB of
 * every bundle and 20 ms of every cold start, none of which Lambda needs. Locally (tsx, jest) the
 * SDK's own chain still applies.
 */

import { fromEnv, type FromEnvInit } from '@aws-sdk/credential-provider-env';

type CredentialProvider = ReturnType<typeof fromEnv>;

export function defaultProvider(init: FromEnvInit = {}): CredentialProvider {
  const fromEnvironment = fromEnv(init);
  // fromEnv refuses when the key or secret is missing; the refusal says which variables a bundle reads.
  return () =>
    fromEnvironment().catch(() => {
      throw new Error('No AWS credentials in the environment: a bundled function reads only AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, which Lambda sets');
    });
}
