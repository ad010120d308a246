import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { parseSince } from '../../scripts/cli/history';
import { latestPerTarget, type RunRow } from '../../scripts/cli/history-action';
import { dbrefresh, executionArn, mockStack, STACK } from './cli-harness';

const stack = mockStack();
const doc = mockClient(DynamoDBDocumentClient);

function record(target: string, startedAt: string, extra: Record<string, unknown> = {}) {
  return {
    target,
    runKey: `${startedAt}#ab12cd34`,
    status: 'succeeded',
    application: 'app1',
    environment: 'development',
    source: 'app1-prod',
    restorePoint: startedAt.replace('T03:00', 'T02:55'),
    startedAt,
    finishedAt: startedAt.replace('T03:00:00', 'T03:12:30'),
    requestedBy: 'scheduler',
    executionArn: executionArn(`${target}-0123456789ab`),
    ...extra,
  };
}

beforeEach(() => {
  stack.reset();
  doc.reset();
  doc.on(QueryCommand).resolves({ Items: [] });
});

describe('dbrefresh history', () => {
  it('lists the runs of a target from its partition, newest first, as a table', async () => {
    doc.on(QueryCommand).resolves({
      Items: [
        record('app1-dev', '2026-05-02T03:00:00.000Z', {
          status: 'failed',
          failedStep: 'Run scripts',
          finishedAt: '2026-05-02T03:04:00.000Z',
        }),
        record('app1-dev', '2026-05-01T03:00:00.000Z'),
      ],
    });

    const { code, stdout } = await dbrefresh('history', '--target', 'app1-dev');

    expect(code).toBe(0);
    expect(doc).toHaveReceivedCommandWith(QueryCommand, {
      TableName: STACK.historyTableName,
      IndexName: undefined,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'target' },
      ExpressionAttributeValues: { ':pk': 'app1-dev' },
      ScanIndexForward: false,
    });
    expect(stdout.split('\n')).toEqual([
      expect.stringMatching(
        /^TARGET +STATUS +SOURCE +ALIGNED TO +STARTED +DURATION +REQUESTED BY +FAILED STEP +RUN$/,
      ),
      expect.stringMatching(
        /^app1-dev +failed +app1-prod +2026-05-02 02:55:00Z +2026-05-02 03:00:00Z +4m +scheduler +Run scripts +app1-dev-0123456789ab$/,
      ),
      expect.stringMatching(
        /^app1-dev +succeeded +app1-prod .* +12m 30s +scheduler +- +app1-dev-0123456789ab$/,
      ),
      '',
    ]);
  });

  it('queries the byApplication index and filters the rest, from --since on', async () => {
    const { code } = await dbrefresh(
      'history',
      '--application',
      'app1',
      '--environment',
      'development',
      '--status',
      'failed',
      '--since',
      '2026-05-01',
    );

    expect(code).toBe(0);
    expect(doc).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'byApplication',
      KeyConditionExpression: '#pk = :pk AND #runKey >= :since',
      FilterExpression: '#f0 = :f0',
      ExpressionAttributeNames: { '#pk': 'applicationEnvironment', '#runKey': 'runKey', '#f0': 'status' },
      ExpressionAttributeValues: {
        ':pk': 'app1#development',
        ':since': '2026-05-01T00:00:00.000Z',
        ':f0': 'failed',
      },
    });
  });

  it('queries the bySource index for --source', async () => {
    await dbrefresh('history', '--source', 'app1-prod');

    expect(doc).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'bySource',
      ExpressionAttributeValues: { ':pk': 'app1-prod' },
    });
  });

  it('reads every status from the byStatus index without a filter, and merges them newest first', async () => {
    doc
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'running' } })
      .resolves({
        Items: [record('b-dev', '2026-05-03T03:00:00.000Z', { status: 'running', finishedAt: undefined })],
      })
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'succeeded' } })
      .resolves({ Items: [record('a-dev', '2026-05-01T03:00:00.000Z')] })
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'failed' } })
      .resolves({ Items: [record('c-dev', '2026-05-02T03:00:00.000Z', { status: 'failed' })] });

    const { stdout } = await dbrefresh('history', '--json');

    expect(doc).toHaveReceivedCommandTimes(QueryCommand, 3);
    expect(JSON.parse(stdout).runs.map((run: RunRow) => run.target)).toEqual(['b-dev', 'c-dev', 'a-dev']);
  });

  it('keeps to --limit', async () => {
    doc.on(QueryCommand).resolves({
      Items: [record('a-dev', '2026-05-02T03:00:00.000Z'), record('a-dev', '2026-05-01T03:00:00.000Z')],
    });

    const { stdout } = await dbrefresh('history', '--target', 'a-dev', '--limit', '1', '--json');

    expect(JSON.parse(stdout).runs).toHaveLength(1);
  });

  it('says so when no run matches', async () => {
    const { code, stdout } = await dbrefresh('history', '--target', 'app1-dev', '--status', 'running');

    expect(code).toBe(0);
    expect(stdout).toBe('No runs match (target app1-dev, status running).\n');
  });

  it('shows the stale targets of an application: latest run and data age per target', async () => {
    const daysAgo = (days: number) =>
      `${new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10)}T03:00:00.000Z`;
    doc.on(QueryCommand).resolves({
      Items: [
        record('app1-dev', daysAgo(1), { status: 'failed', restorePoint: undefined }),
        record('app1-test', daysAgo(1)),
        record('app1-dev', daysAgo(10)),
        record('app1-qa', daysAgo(2), { status: 'failed', restorePoint: undefined }),
      ],
    });

    const { code, stdout } = await dbrefresh(
      'history',
      '--application',
      'app1',
      '--environment',
      'development',
      '--stale',
      '3',
      '--json',
    );

    expect(code).toBe(0);
    const targets = JSON.parse(stdout).targets;
    expect(targets.map((row: { target: string }) => row.target)).toEqual(['app1-dev', 'app1-qa']);
    expect(targets[0]).toMatchObject({
      latest: { status: 'failed' },
      lastSuccess: { restorePoint: daysAgo(10).replace('T03:00', 'T02:55') },
      stale: true,
    });
    expect(targets[1]).toMatchObject({ latest: { status: 'failed' }, stale: true });
    expect(targets[1].lastSuccess).toBeUndefined();
  });

  it('prints one line per target with --latest', async () => {
    doc.on(QueryCommand).resolves({
      Items: [record('app1-dev', '2026-05-02T03:00:00.000Z'), record('app1-dev', '2026-05-01T03:00:00.000Z')],
    });

    const { stdout } = await dbrefresh('history', '--target', 'app1-dev', '--latest');

    expect(stdout.split('\n')).toEqual([
      expect.stringMatching(/^TARGET +LATEST RUN +STARTED +DATA ALIGNED TO +DATA AGE +SOURCE +RUN$/),
      expect.stringMatching(
        /^app1-dev +succeeded +2026-05-02 03:00:00Z +2026-05-02 02:55:00Z +\d+d( \d+h)? ago +app1-prod +app1-dev-0123456789ab$/,
      ),
      '',
    ]);
  });

  it.each([
    [
      ['--status', 'done'],
      "error: option '--status <status>' argument 'done' is invalid. Allowed choices are running, succeeded, failed.",
    ],
    [
      ['--since', 'yesterday'],
      "error: option '--since <when>' argument 'yesterday' is invalid. Use an ISO 8601 date",
    ],
    [
      ['--limit', '0'],
      "error: option '--limit <count>' argument '0' is invalid. Use a whole number from 1 to 1000.",
    ],
    [['--stale', 'old'], "error: option '--stale <days>' argument 'old' is invalid. Use a number of days"],
    [
      ['--application', 'app1'],
      'error: --application needs --environment: runs are indexed by application and environment together',
    ],
    [['--environment', 'dev'], 'error: --environment needs --application'],
    [
      ['--latest', '--status', 'failed'],
      'error: --status failed cannot be combined with --latest or --stale',
    ],
    [['--stale', '7', '--since', '7d'], 'error: --since cannot be combined with --latest or --stale'],
  ])('rejects %j naming the option, the value and the fix, with exit 1', async (args, message) => {
    const { code, stdout, stderr } = await dbrefresh('history', ...args);

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
    expect(doc).not.toHaveReceivedAnyCommand();
  });
});

describe('parseSince', () => {
  const now = new Date('2026-05-10T12:00:00Z');

  it.each([
    ['7d', '2026-05-03T12:00:00.000Z'],
    ['24h', '2026-05-09T12:00:00.000Z'],
    ['30m', '2026-05-10T11:30:00.000Z'],
    ['2w', '2026-04-26T12:00:00.000Z'],
    ['2026-05-01', '2026-05-01T00:00:00.000Z'],
    ['2026-05-01T08:00:00Z', '2026-05-01T08:00:00.000Z'],
  ])('reads %s', (value, expected) => {
    expect(parseSince(value, now).toISOString()).toBe(expected);
  });

  it.each(['7 days', '2026-13-45', '1/5/2026', ''])('rejects %j', (value) => {
    expect(() => parseSince(value, now)).toThrow(/Use an ISO 8601 date or UTC time/);
  });
});

describe('latestPerTarget', () => {
  it('calls a target that never succeeded stale', () => {
    const rows = latestPerTarget([{ target: 'a-dev', status: 'failed' }], new Date(), 1);

    expect(rows).toEqual([{ target: 'a-dev', latest: { target: 'a-dev', status: 'failed' }, stale: true }]);
  });
});
