import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import type { CloudFormationTemplate } from './template-values';

/** A stack built in this process and the template CloudFormation would receive for it. */
export interface SynthesizedStack<S extends Stack> {
  readonly stack: S;
  readonly template: CloudFormationTemplate;
}

/**
 * Builds a stack in a fresh app and synthesizes it as `cdk synth` does (aspects included: a role's policies
 * too large for one inline policy are split into managed policies there), into a temporary folder removed
 * afterwards. Assets are not bundled, and the CDK's own CloudFormation schema check is left to the construct
 * tests: it takes seconds and says nothing about what local mode runs.
 */
export function synthesizeStack<S extends Stack>(build: (app: App) => S): SynthesizedStack<S> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'dbrefresh-synth-'));
  try {
    const app = new App({
      outdir,
      context: { 'aws:cdk:bundling-stacks': [] },
      builtinCloudFormationValidation: false,
    });
    const stack = build(app);
    const template = app.synth().getStackArtifact(stack.artifactId).template as CloudFormationTemplate;
    return { stack, template };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
