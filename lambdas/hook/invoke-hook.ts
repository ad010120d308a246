import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { RDSClient } from '@aws-sdk/client-rds';
import { findResource } from '../shared/aws/rds';
import { GuardError, HookError } from '../shared/errors';
import { logger } from '../shared/handler';
import type { Plan } from '../shared/run/plan';

export type HookName = 'beforeSwap' | 'afterRefresh';

/** What a hook function receives: the run's context and where to reach the database. Never a password. */
export interface HookPayload {
  readonly hook: HookName;
  readonly runId: string;
  readonly executionArn: string;
  readonly application: string;
  readonly environment: string;
  readonly service: string;
  readonly engine: string;
  readonly source: string;
  readonly target: string;
  /** beforeSwap: the temporary copy's endpoint; afterRefresh: the refreshed target's. */
  readonly endpoint: string;
  readonly port: number | undefined;
  readonly restorePoint: string;
}

/** A hook's error messages are shown in the history and notifications up to this length. */
const MAX_ERROR_LENGTH = 500;

/**
 * Invokes the refresh file's hook function (possibly in another account) and waits for its answer.
 *
 * beforeSwap reaches the temporary copy, before anyone can use its data under the target's name;
 * afterRefresh reaches the refreshed target. A hook may be invoked twice (retries), so it should be idempotent.
 * @throws GuardError when the refresh file has no such hook
 * @throws HookError when the database has no endpoint or the function returns an error
 */
export async function invokeHook(
  lambda: LambdaClient,
  rds: RDSClient,
  plan: Plan,
  hook: HookName,
): Promise<{ hook: HookName; statusCode: number | undefined }> {
  const functionArn = plan.file.hooks?.[hook];
  if (!functionArn) {
    throw new GuardError(
      `No ${hook} hook is configured for ${plan.target.id}; set hooks.${hook} in its refresh file ` +
        'or do not call this step (the state machine calls it only when the hook is set)',
    );
  }
  const payload = await hookPayload(rds, plan, hook);
  logger.info('Invoking hook', { hook, functionArn, endpoint: payload.endpoint });
  const out = await lambda.send(
    new InvokeCommand({
      FunctionName: functionArn,
      InvocationType: 'RequestResponse',
      Payload: new TextEncoder().encode(JSON.stringify(payload)),
    }),
  );
  if (out.FunctionError) {
    const { errorType, errorMessage } = functionErrorOf(out.Payload, out.FunctionError);
    throw new HookError(`Hook ${hook} (${functionArn}) failed: ${errorType}: ${errorMessage}`);
  }
  logger.info('Hook finished', { hook, functionArn, statusCode: out.StatusCode });
  return { hook, statusCode: out.StatusCode };
}

async function hookPayload(rds: RDSClient, plan: Plan, hook: HookName): Promise<HookPayload> {
  const databaseId = hook === 'beforeSwap' ? plan.target.temporaryId : plan.target.id;
  const database = await findResource(rds, plan.target.kind, databaseId);
  if (!database?.endpoint) {
    throw new HookError(
      `Hook ${hook} cannot be invoked: DB ${plan.target.kind} ${databaseId} ` +
        `${database ? `has no endpoint (status ${database.status})` : 'does not exist'}; ` +
        'it must be available before the hook runs',
    );
  }
  return {
    hook,
    runId: plan.runId,
    executionArn: plan.executionArn,
    application: plan.file.application,
    environment: plan.file.environment,
    service: plan.file.service,
    engine: plan.engine,
    source: plan.source.id,
    target: plan.target.id,
    endpoint: database.endpoint,
    port: database.port,
    restorePoint: plan.restorePoint,
  };
}

/** The `{errorType, errorMessage}` a failed function returns, or its raw payload when it is not that. */
function functionErrorOf(
  payload: Uint8Array | undefined,
  functionError: string,
): { errorType: string; errorMessage: string } {
  const text = payload ? new TextDecoder().decode(payload) : '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error: unknown) {
    if (!(error instanceof SyntaxError)) throw error;
  }
  const body = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  const errorType = typeof body.errorType === 'string' ? body.errorType : functionError;
  const errorMessage = typeof body.errorMessage === 'string' ? body.errorMessage : text || 'no error message';
  return { errorType, errorMessage: truncate(errorMessage, MAX_ERROR_LENGTH) };
}

function truncate(text: string, maxLength: number): string {
  return text.length <= maxLength ? text : `${text.slice(0, maxLength - 3)}...`;
}
