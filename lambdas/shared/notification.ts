import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { logger } from './handler';
import type { ApprovalOutcome } from './history/history-store';
import type { Plan } from './run/plan';
import type { ScriptResult } from './run/run-state';
import type { RunWarning } from './run/run-warnings';

/**
 * A subject must be shorter than 100 characters (printable ASCII, no line breaks), or SNS refuses the Publish.
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html (Subject)
 */
const MAX_SUBJECT_LENGTH = 99;

/**
 * What a notification says about a run. Built from the plan when there is one; a run whose plan step
 * failed only knows what the refresh file told. Holds no password and no table data.
 */
export interface RunReport {
  readonly status: 'succeeded' | 'failed';
  readonly application: string;
  readonly environment: string;
  readonly target: string;
  readonly finishedAt: string;
  readonly plan?: Plan;
  readonly requestedBy?: string;
  readonly executionArn?: string;
  /** Seconds per long step, keyed like `$.polls`. */
  readonly durations: Record<string, number>;
  readonly failedStep?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly rolledBack?: boolean;
  /** A protected target's approval: who approved or rejected it, or that nobody did in time. */
  readonly approval?: ApprovalOutcome;
  /** What each SQL script did: counts only. */
  readonly scripts?: readonly ScriptResult[];
  /** What failed after the refresh was done without undoing it (a rotation), on a succeeded run. */
  readonly warnings?: readonly RunWarning[];
}

/** A message as SNS publishes it: subject, body and the attributes subscription filters match. */
export interface NotificationMessage {
  readonly Subject: string;
  readonly Message: string;
  readonly MessageAttributes: Record<string, MessageAttributeValue>;
}

/** Where notifications go: the stack's topic, and the refresh file's own topic when it names one. */
export interface NotificationTopics {
  readonly main: string;
  readonly extra?: string;
}

/** `[dbrefresh] <app>/<env> <target>: SUCCEEDED|FAILED`, printable ASCII and at most 100 characters. */
export function notificationSubject(report: RunReport): string {
  return subjectFor(report, report.status.toUpperCase());
}

/** `[dbrefresh] <app>/<env> <target>: <what>`, shortened to the 99 printable ASCII characters SNS takes. */
export function subjectFor(
  names: Pick<RunReport, 'application' | 'environment' | 'target'>,
  what: string,
): string {
  const suffix = `: ${what}`;
  const head = asciiOnly(`[dbrefresh] ${names.application}/${names.environment} ${names.target}`);
  const room = MAX_SUBJECT_LENGTH - suffix.length;
  return `${head.length > room ? `${head.slice(0, room - 3)}...` : head}${suffix}`;
}

/** A human-readable account of the run, then a `---` line, then the same facts as JSON. */
export function notificationMessage(report: RunReport): string {
  const facts = notificationFacts(report);
  const lines = [headline(report), '', ...detailLines(report, facts)];
  return `${lines.join('\n')}\n\n---\n${JSON.stringify(facts, null, 2)}\n`;
}

/** String attributes for subscription filter policies; `status` is `succeeded` or `failed`. */
export function notificationAttributes(report: RunReport): Record<string, MessageAttributeValue> {
  return attributesFor(report, report.status);
}

/** The attributes of any dbrefresh message; the approval request's `status` is `approval-needed`. */
export function attributesFor(
  names: Pick<RunReport, 'application' | 'environment' | 'target'>,
  status: string,
): Record<string, MessageAttributeValue> {
  const attributes = {
    application: names.application,
    environment: names.environment,
    target: names.target,
    status,
  };
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
  );
}

/** The Step Functions console page of an execution, in the execution's own region. */
export function executionConsoleUrl(executionArn: string): string | undefined {
  const region = executionArn.split(':')[3];
  if (!region) return undefined;
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/**
 * Publishes the run's outcome to the stack's topic, then to the refresh file's topic.
 *
 * A failure to reach the file's topic (often another account whose policy does not let dbrefresh
 * publish) is logged, not thrown: it must not turn a finished refresh into a failed one.
 */
export async function publishNotification(
  sns: SNSClient,
  topics: NotificationTopics,
  report: RunReport,
): Promise<void> {
  await publishMessage(sns, topics, {
    Subject: notificationSubject(report),
    Message: notificationMessage(report),
    MessageAttributes: notificationAttributes(report),
  });
}

/** Publishes any dbrefresh message the way publishNotification does: the stack's topic, then the file's. */
export async function publishMessage(
  sns: SNSClient,
  topics: NotificationTopics,
  message: NotificationMessage,
): Promise<void> {
  const status = message.MessageAttributes.status?.StringValue;
  await sns.send(new PublishCommand({ TopicArn: topics.main, ...message }));
  logger.info('Notification published', { topicArn: topics.main, status });
  if (!topics.extra || topics.extra === topics.main) return;
  try {
    await sns.send(new PublishCommand({ TopicArn: topics.extra, ...message }));
    logger.info('Notification published', { topicArn: topics.extra, status });
  } catch (error: unknown) {
    logger.error('Could not publish to the topic of the refresh file; check its access policy', {
      topicArn: topics.extra,
      errorName: error instanceof Error ? error.name : typeof error,
      errorMessage: error instanceof Error ? error.message : String(error),
    });
  }
}

function notificationFacts(report: RunReport) {
  const plan = report.plan;
  const executionArn = plan?.executionArn ?? report.executionArn;
  return {
    status: report.status,
    application: report.application,
    environment: report.environment,
    target: report.target,
    service: plan?.file.service,
    engine: plan && { name: plan.engine, version: plan.engineVersion },
    source: plan?.source.id,
    restoreType: plan?.file.restore.type,
    restorePoint: plan?.restorePoint,
    snapshot: plan?.snapshot ?? undefined,
    runId: plan?.runId,
    requestedBy: plan?.requestedBy ?? report.requestedBy,
    startedAt: plan?.startedAt,
    finishedAt: report.finishedAt,
    durationSeconds: plan && secondsBetween(plan.startedAt, report.finishedAt),
    durations: report.durations,
    failedStep: report.failedStep,
    error: report.error,
    cause: report.cause,
    rolledBack: report.rolledBack,
    approval: report.approval,
    scripts: report.scripts,
    warnings: report.warnings?.length ? report.warnings : undefined,
    executionArn,
    consoleUrl: executionArn && executionConsoleUrl(executionArn),
  };
}

type Facts = ReturnType<typeof notificationFacts>;

function headline(report: RunReport): string {
  const what = `${report.target} (${report.application}/${report.environment})`;
  if (!report.plan) return `The refresh of ${what} failed before it started; nothing was changed.`;
  const from = `from ${report.plan.source.id}`;
  if (report.status === 'succeeded') {
    const warnings = report.warnings?.length ?? 0;
    return warnings === 0
      ? `${what} was refreshed ${from}.`
      : `${what} was refreshed ${from}, with ${warnings === 1 ? 'a warning' : `${warnings} warnings`}.`;
  }
  if (report.approval?.status === 'rejected')
    return `The refresh of ${what} ${from} was rejected${report.approval.by ? ` by ${report.approval.by}` : ''}; nothing was changed.`;
  if (report.approval?.status === 'expired')
    return `The refresh of ${what} ${from} was not approved in time; nothing was changed.`;
  return `The refresh of ${what} ${from} failed.`;
}

function detailLines(report: RunReport, facts: Facts): string[] {
  const plan = report.plan;
  const rows: [string, string | undefined][] = [
    ...(report.warnings ?? []).map((warning): [string, string] => ['Warning', warningText(warning)]),
    ['Failed step', report.failedStep],
    ['Error', report.error],
    ['Cause', report.cause],
    ['Rolled back', report.rolledBack === undefined ? undefined : rolledBackText(report.rolledBack)],
    ['Approval', report.approval && approvalText(report.approval)],
    ['Data aligned to', plan && `${plan.restorePoint} (${plan.file.restore.type})`],
    ['Snapshot', facts.snapshot],
    ['Engine', plan && `${plan.engine} ${plan.engineVersion} (${plan.file.service})`],
    ['Requested by', facts.requestedBy],
    ['Started', facts.startedAt],
    ['Finished', facts.finishedAt],
    ['Duration', facts.durationSeconds === undefined ? undefined : humanDuration(facts.durationSeconds)],
    ['Step durations', stepDurationsText(report.durations)],
    ['Scripts', report.scripts && scriptsText(report.scripts)],
    ['Run', facts.runId],
    ['Execution', facts.consoleUrl ?? facts.executionArn],
  ];
  return rows
    .filter((row): row is [string, string] => row[1] !== undefined && row[1] !== '')
    .map(([label, value]) => `${`${label}:`.padEnd(17)}${value}`);
}

function warningText(warning: RunWarning): string {
  return `${warning.step} failed (${warning.error}): ${warning.cause} ${warning.outcome}`;
}

function approvalText(approval: ApprovalOutcome): string {
  const approvers = approval.approvers.length > 0 ? approval.approvers.join(', ') : 'anyone allowed';
  if (approval.status === 'expired') return `none in time (approvers: ${approvers})`;
  if (approval.status === 'undecided') return `not decided (approvers: ${approvers})`;
  const by = approval.by === undefined ? '' : ` by ${approval.by}`;
  const at = approval.at === undefined ? '' : ` at ${approval.at}`;
  const reason = approval.reason === undefined ? '' : `: ${approval.reason}`;
  return `${approval.status}${by}${at}${reason}`;
}

function scriptsText(scripts: readonly ScriptResult[]): string {
  const statements = scripts.reduce((sum, script) => sum + script.statements, 0);
  const rows = scripts.reduce((sum, script) => sum + script.rowsAffected, 0);
  return `${scripts.length} file(s), ${statements} statement(s), ${rows} row(s) changed`;
}

function rolledBackText(rolledBack: boolean): string {
  return rolledBack
    ? 'yes, the target keeps its previous data'
    : 'no; if the swap had finished the target holds the refreshed data, otherwise nothing had changed';
}

function stepDurationsText(durations: Record<string, number>): string | undefined {
  const entries = Object.entries(durations);
  if (entries.length === 0) return undefined;
  return entries.map(([step, seconds]) => `${step} ${humanDuration(seconds)}`).join(', ');
}

function humanDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.round(totalSeconds));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const parts = [
    hours > 0 && `${hours} h`,
    (hours > 0 || minutes > 0) && `${minutes} min`,
    `${seconds % 60} s`,
  ];
  return parts.filter((part): part is string => typeof part === 'string').join(' ');
}

function secondsBetween(from: string, to: string): number | undefined {
  const seconds = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(seconds) ? Math.round(seconds) : undefined;
}

/** SNS subjects take printable ASCII only. */
function asciiOnly(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}
