import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadLocalScheduling, localStateMachineArn } from '../../../local/schedules/local-schedules';

const SCOPE = { region: 'eu-west-1', account: '000000000000' };
const SHOP_DEV = path.join(__dirname, '..', '..', '..', 'local', 'demo', 'shop-dev.json');

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'local-schedules-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('loadLocalScheduling', () => {
  it('reads the schedules of the synthesized stack with local ARNs in place of its references', () => {
    const file = {
      ...JSON.parse(readFileSync(SHOP_DEV, 'utf8')),
      schedule: { expression: 'cron(0 6 ? * SAT *)', timezone: 'Europe/London', flexibleWindowMinutes: 30 },
    };
    writeFileSync(path.join(dir, 'shop-dev.json'), JSON.stringify(file));
    writeFileSync(
      path.join(dir, 'nightly.json'),
      JSON.stringify({ ...file, schedule: { expression: 'rate(1 day)' } }),
    );

    const scheduling = loadLocalScheduling(dir, SCOPE);

    expect(localStateMachineArn(SCOPE)).toBe('arn:aws:states:eu-west-1:000000000000:stateMachine:DbRefresh');
    expect(scheduling.groupNames).toEqual(['dbrefresh']);
    expect(scheduling.schedules).toEqual([
      expect.objectContaining({ name: 'nightly', expression: 'rate(1 day)', timezone: 'Etc/UTC' }),
      {
        name: 'shop-dev',
        groupName: 'dbrefresh',
        description: 'dbrefresh: shop-dev.json',
        expression: 'cron(0 6 ? * SAT *)',
        timezone: 'Europe/London',
        state: 'ENABLED',
        flexibleWindowMinutes: 30,
        target: {
          arn: localStateMachineArn(SCOPE),
          roleArn: 'arn:aws:iam::000000000000:role/dbrefresh-scheduler',
          input: JSON.stringify({ refreshFile: file, requestedBy: 'schedule shop-dev' }),
          deadLetterArn: 'arn:aws:sqs:eu-west-1:000000000000:dbrefresh-schedules-dead-letters',
          maximumEventAgeSeconds: 3600,
          maximumRetryAttempts: 10,
        },
      },
    ]);
  });

  it('fails when a refresh file is invalid, as cdk synth does', () => {
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ service: 'rds' }));

    expect(() => loadLocalScheduling(dir, SCOPE)).toThrow(`${path.join(dir, 'bad.json')}: $.`);
  });
});
