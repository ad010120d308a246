import { parseRefreshFile } from '../shared/refresh-model';

/** What a refresh file names; each field is undefined when the file does not say. */
export interface RefreshFileNames {
  readonly application?: string;
  readonly environment?: string;
  /** The target instance or cluster, lowercased as RDS stores identifiers. */
  readonly target?: string;
  /** The source instance or cluster (or ARN) as the file gives it. */
  readonly source?: string;
}

/**
 * What the refresh file names, for a run whose plan step failed and so left no plan.
 *
 * A valid file is read through the refresh model, so the target is the identifier the plan step used;
 * an invalid one is read from its strings, in the concise form (`target.instance`, `target.cluster`)
 * or the per-step form (`restore.target`, `restore.targetcluster`). `now` is the time the plan step
 * validated the file against (the execution's start).
 */
export function refreshFileNames(refreshFile: unknown, now: Date): RefreshFileNames {
  const model = parseRefreshFile(refreshFile, { now }).refreshFile;
  if (model) {
    return {
      application: model.application,
      environment: model.environment,
      target: model.service === 'rds' ? model.target.instance : model.target.cluster,
      source: model.service === 'rds' ? model.source.instance : model.source.cluster,
    };
  }
  const file = asRecord(refreshFile);
  const target = asRecord(file?.target);
  const source = asRecord(file?.source);
  const perStep = asRecord(file?.restore);
  return {
    application: firstText(file?.application, perStep?.application),
    environment: firstText(file?.environment, perStep?.environment),
    target: firstText(
      target?.instance,
      target?.cluster,
      perStep?.target,
      perStep?.targetcluster,
    )?.toLowerCase(),
    source: firstText(source?.instance, source?.cluster, perStep?.source, perStep?.sourcecluster),
  };
}

function firstText(...values: unknown[]): string | undefined {
  return values
    .filter((value): value is string => typeof value === 'string')
    .map((value) => value.trim())
    .find((value) => value !== '');
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
