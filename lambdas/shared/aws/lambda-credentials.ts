import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * What the step functions' bundles use in place of `@aws-sdk/credential-provider-node` (an esbuild alias in
 * lib/constructs/task-function.ts): Lambda gives a function its execution role's temporary credentials in its
 * environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), so the SDK's default chain of
 * other sources (profiles, SSO, web identity, instance metadata, with their nested STS and SSO clients) is
 * never reached and only weighs on every cold start.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
 */
export const defaultProvider: typeof fromEnv = (init) => fromEnv(init);
