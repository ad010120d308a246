import type { Principal } from '../../../local/iam/access';
import { evaluateAccess } from '../../../local/iam/evaluate-policy';
import type { LocalRole } from '../../../local/iam/identities';
import {
  type LocalResources,
  loadRefreshMachine,
  type RefreshMachine,
} from '../../../local/runner/refresh-machine';

const deployment = { region: 'eu-west-1', account: '000000000000' };
const resources: LocalResources = {
  historyTableName: 'dbrefresh-history',
  notificationTopicArn: 'arn:aws:sns:eu-west-1:000000000000:dbrefresh-notifications',
  preservedDataBucketName: 'dbrefresh-preserved-data',
  scriptRunner: { instanceId: 'i-localrunner', command: 'run-scripts' },
};

function sessionOf(role: LocalRole): Principal {
  return {
    arn: `arn:aws:sts::${deployment.account}:assumed-role/${role.name}/test`,
    identityArn: `arn:aws:iam::${deployment.account}:role/${role.name}`,
    account: deployment.account,
    policies: role.policies,
  };
}

describe('loadRefreshMachine', () => {
  let machine: RefreshMachine;
  const task = (stateName: string) => {
    const found = machine.tasks.find((candidate) => candidate.stateName === stateName);
    if (!found) throw new Error(`no task ${stateName}`);
    return found;
  };

  beforeAll(() => {
    machine = loadRefreshMachine(resources, deployment);
  });

  it("gives each task its function's role, as the template attaches it", () => {
    const plan = task('Plan refresh');

    expect(plan.role.name).toMatch(/^StepsPlanServiceRole[0-9A-F]{8}$/);
    expect(machine.roles.functions.get(plan.logicalId)).toBe(plan.role);
  });

  it("resolves each function's environment to the local account's resources", () => {
    expect(task('Plan refresh').environment).toMatchObject({
      HISTORY_TABLE_NAME: 'dbrefresh-history',
      SCRIPT_RUNNER_INSTANCE_ID: 'i-localrunner',
    });
    expect(task('Record success and notify').environment).toMatchObject({
      NOTIFICATION_TOPIC_ARN: resources.notificationTopicArn,
    });
  });

  it('takes each timeout from the template', () => {
    expect(task('Plan refresh').timeoutSeconds).toBe(60);
  });

  it('derives the ARNs of the local resources from their local names', () => {
    expect(Object.values(machine.values.resources)).toEqual(
      expect.arrayContaining([
        {
          ref: 'dbrefresh-history',
          attributes: { Arn: 'arn:aws:dynamodb:eu-west-1:000000000000:table/dbrefresh-history' },
        },
        expect.objectContaining({
          ref: 'dbrefresh-preserved-data',
          attributes: expect.objectContaining({ Arn: 'arn:aws:s3:::dbrefresh-preserved-data' }),
        }),
        expect.objectContaining({ ref: 'arn:aws:states:eu-west-1:000000000000:stateMachine:DbRefresh' }),
        expect.objectContaining({ ref: resources.notificationTopicArn }),
        expect.objectContaining({
          attributes: expect.objectContaining({
            Arn: expect.stringMatching(/^arn:aws:kms:eu-west-1:000000000000:key\/[0-9a-f-]{36}$/),
          }),
        }),
      ]),
    );
  });

  it("lets the Plan task's role write the history table it names, and no other", () => {
    const plan = sessionOf(task('Plan refresh').role);
    const table = (name: string) => `arn:aws:dynamodb:eu-west-1:000000000000:table/${name}`;

    expect(
      evaluateAccess(plan, { action: 'dynamodb:PutItem', resource: table('dbrefresh-history'), context: {} })
        .allowed,
    ).toBe(true);
    expect(
      evaluateAccess(plan, { action: 'dynamodb:PutItem', resource: table('other'), context: {} }).allowed,
    ).toBe(false);
  });

  it('returns the same machine for the same inputs without synthesizing again', () => {
    expect(loadRefreshMachine({ ...resources }, { ...deployment })).toBe(machine);
  });

  it('has no scheduler role without refresh files', () => {
    expect(machine.roles.schedules.size).toBe(0);
  });

  it('gives the schedules of the refresh files a role that may start the local state machine, and no other', () => {
    // given
    const withSchedules = loadRefreshMachine({ ...resources, refreshFilesDir: 'refresh-files' }, deployment);
    const [role] = withSchedules.roles.schedules.values();
    const start = (name: string) =>
      evaluateAccess(sessionOf(role as LocalRole), {
        action: 'states:StartExecution',
        resource: `arn:aws:states:eu-west-1:000000000000:stateMachine:${name}`,
        context: {},
      });

    // then
    expect(withSchedules.roles.schedules.size).toBeGreaterThan(0);
    expect(start('DbRefresh').allowed).toBe(true);
    expect(start('Other').allowed).toBe(false);
  });

  it('fails when the notification topic is not in the deployment, naming the ARN to create', () => {
    expect(() =>
      loadRefreshMachine(
        { ...resources, notificationTopicArn: 'arn:aws:sns:us-east-1:000000000000:dbrefresh-notifications' },
        deployment,
      ),
    ).toThrow(
      "The notification topic arn:aws:sns:us-east-1:000000000000:dbrefresh-notifications is not in the local deployment's region and account (eu-west-1, 000000000000); create it as arn:aws:sns:eu-west-1:000000000000:dbrefresh-notifications",
    );
  });
});
