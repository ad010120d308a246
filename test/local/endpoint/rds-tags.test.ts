import { AddTagsToResourceCommand, ListTagsForResourceCommand } from '@aws-sdk/client-rds';
import {
  createInstance,
  describeInstance,
  restoreSnapshot,
  sendCreateInstance,
  snapshotInstance,
  useNamedRdsHarness,
} from './rds-harness';

/** Tag rules (local/endpoint/rds/rules/tags.ts): at most 50 per resource, keys and values RDS takes. */

const { harness, name } = useNamedRdsHarness('tg');

const tags = (count: number, prefix = 'k') =>
  Array.from({ length: count }, (_, index) => ({ Key: `${prefix}${index}`, Value: `v${index}` }));

describe('how many tags', () => {
  it('creates an instance with 50 tags and rejects 51', async () => {
    const created = await createInstance(harness, name(), { Tags: tags(50) });

    expect(created?.TagList).toHaveLength(50);
    await expect(sendCreateInstance(harness, `${name()}-x`, { Tags: tags(51) })).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('would have 51 tags'),
    });
  });

  it('counts the existing tags on AddTagsToResource, a replaced key once', async () => {
    const instance = await createInstance(harness, name(), { Tags: tags(48) });
    const arn = instance?.DBInstanceArn ?? '';

    await harness.rds.send(
      new AddTagsToResourceCommand({
        ResourceName: arn,
        Tags: [...tags(2, 'new'), { Key: 'k0', Value: 'again' }],
      }),
    );

    await expect(
      harness.rds.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: tags(1, 'more') })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('at most 50'),
    });
    const listed = await harness.rds.send(new ListTagsForResourceCommand({ ResourceName: arn }));
    expect(listed.TagList).toHaveLength(50);
    expect(listed.TagList).toContainEqual({ Key: 'k0', Value: 'again' });
  });
});

describe('tag keys and values', () => {
  it.each([
    ['a key starting with aws:', { Key: 'aws:owner', Value: 'x' }, 'reserved'],
    ['a key starting with rds:', { Key: 'RDS:owner', Value: 'x' }, 'reserved'],
    ['a value starting with aws:', { Key: 'owner', Value: 'aws:me' }, 'reserved'],
    ['a key of 129 characters', { Key: 'k'.repeat(129), Value: 'x' }, 'Invalid tag key'],
    ['a value of 257 characters', { Key: 'owner', Value: 'v'.repeat(257) }, 'Invalid value for tag'],
    ['a key with a comma', { Key: 'a,b', Value: 'x' }, 'Invalid tag key'],
    ['a value with a semicolon', { Key: 'owner', Value: 'a;b' }, 'Invalid value for tag'],
  ])('rejects %s', async (_, tag, message) => {
    await expect(sendCreateInstance(harness, name(), { Tags: [tag] })).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining(message),
    });
  });

  it('takes Unicode letters, white space, the allowed punctuation and an empty value', async () => {
    const allowed = [
      { Key: 'dbrefresh:restore-point', Value: '2026-03-01T10:00:00.000Z' },
      { Key: 'Équipe données', Value: 'a_b.c:d/e=f+g-h@i' },
      { Key: 'empty', Value: '' },
    ];

    const created = await createInstance(harness, name(), { Tags: allowed });

    expect(created?.TagList).toEqual(allowed);
  });
});

describe('tags of a snapshot restore', () => {
  it("takes the source instance's tags when the request gives none, and only the request's when it does", async () => {
    await createInstance(harness, `${name()}-src`, { Tags: [{ Key: 'team', Value: 'data' }] });
    await snapshotInstance(harness, `${name()}-src`, `${name()}-snap`);

    await restoreSnapshot(harness, `${name()}-snap`, name());
    await restoreSnapshot(harness, `${name()}-snap`, `${name()}-t`, { Tags: [{ Key: 'run', Value: 'r1' }] });
    await harness.finish();

    expect((await describeInstance(harness, name()))?.TagList).toEqual([{ Key: 'team', Value: 'data' }]);
    expect((await describeInstance(harness, `${name()}-t`))?.TagList).toEqual([{ Key: 'run', Value: 'r1' }]);
  });
});
