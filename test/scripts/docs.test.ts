import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AslDefinition } from '../../lib/resolve-definition';
import { generatedReadme } from '../../scripts/docs/readme';
import { replaceSection } from '../../scripts/docs/readme-sections';
import { refreshFileReference } from '../../scripts/docs/refresh-file-reference';
import { stateMachineDiagram } from '../../scripts/docs/state-machine-diagram';

const root = join(__dirname, '..', '..');

/** A definition with one polled step, one optional step, a failure note and the failure path. */
const definition: AslDefinition = {
  StartAt: 'Restore',
  States: {
    Restore: { Type: 'Task', Next: 'Wait for restore', Catch: [{ Next: 'Restore failed' }] },
    'Wait for restore': { Type: 'Wait', Next: 'Check restore' },
    'Check restore': { Type: 'Task', Next: 'Restore done?', Catch: [{ Next: 'Restore failed' }] },
    'Restore done?': {
      Type: 'Choice',
      Choices: [{ Next: 'Wait for restore' }, { Next: 'Restore took too long' }],
      Default: 'Scripts to run?',
    },
    'Restore took too long': { Type: 'Pass', Next: 'Restore failed' },
    'Restore failed': { Type: 'Pass', Next: 'Roll back' },
    'Scripts to run?': { Type: 'Choice', Choices: [{ Next: 'Run scripts' }], Default: 'Done' },
    'Run scripts': { Type: 'Task', Next: 'Done', Catch: [{ Next: 'Roll back' }] },
    'Roll back': { Type: 'Task', Next: 'Refresh failed' },
    'Refresh failed': { Type: 'Fail' },
    Done: { Type: 'Succeed' },
  },
};

describe('stateMachineDiagram', () => {
  const diagram = stateMachineDiagram(definition);

  it('draws a polled step as one node marked ⟳, its loop states left out', () => {
    expect(diagram).toContain('s0["Restore ⟳"]');
    expect(diagram).not.toMatch(/Wait for restore|Check restore|Restore done\?/);
  });

  it('draws failures as dotted edges past the Pass states that only note them', () => {
    expect(diagram).not.toMatch(/Restore failed|took too long/);
    expect(diagram).toMatch(/s0 -\.->\|fails\| s\d+/);
    const rollBack = diagram.match(/(s\d+)\["Roll back"\]/)?.[1];
    expect(diagram).toContain(`s0 -.->|fails| ${rollBack}`);
  });

  it('labels the edges of a Choice on whether a step runs with yes and no', () => {
    const choice = diagram.match(/(s\d+)\{"Scripts to run\?"\}/)?.[1];
    const scripts = diagram.match(/(s\d+)\["Run scripts"\]/)?.[1];
    const done = diagram.match(/(s\d+)\(\["Done"\]\)/)?.[1];
    expect(diagram).toContain(`${choice} -->|yes| ${scripts}`);
    expect(diagram).toContain(`${choice} -->|no| ${done}`);
  });
});

describe('refreshFileReference', () => {
  const reference = refreshFileReference();

  it('lists nested fields with their type, whether they are required, and their description', () => {
    expect(reference).toMatch(/\| `source\.instance` \| string \| yes \| \(rds only\) /);
    expect(reference).toMatch(
      /\| `oldTarget\.keepHours` \| integer \(0–168\) \| {2}\| Keep the old target stopped/,
    );
  });

  it('merges the branches of a union, saying which branch requires a field', () => {
    expect(reference).toMatch(/\| `restore\.time` \| string \| {2}\| Required with `restorepoint`\./);
    expect(reference.match(/\| `restore\.type` \|/g)).toHaveLength(1);
  });
});

describe('replaceSection', () => {
  it('replaces only the text between the markers', () => {
    const text = 'before\n<!-- generated:x -->\nold\n<!-- /generated:x -->\nafter\n';
    expect(replaceSection(text, 'x', 'new')).toBe(
      'before\n<!-- generated:x -->\nnew\n<!-- /generated:x -->\nafter\n',
    );
  });

  it('fails when the markers are missing, naming them', () => {
    expect(() => replaceSection('no markers', 'cli', 'x')).toThrow('<!-- generated:cli -->');
  });
});

describe('README.md', () => {
  it('has its generated sections up to date (run `npm run docs`)', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(generatedReadme(readme)).toBe(readme);
  });
});
