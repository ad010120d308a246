import { App } from 'aws-cdk-lib';
import { RefreshStack } from '../../lib/refresh-stack';
import { resolveDefinition } from '../../lib/resolve-definition';
import { cliReference } from './cli-reference';
import { replaceSection } from './readme-sections';
import { refreshFileReference } from './refresh-file-reference';
import { stateMachineDiagram } from './state-machine-diagram';

/** README.md with its generated sections brought up to date from the code: diagram, refresh file and CLI reference. */
export function generatedReadme(readme: string): string {
  const stack = new RefreshStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'DbRefresh');
  const diagram = `\`\`\`mermaid\n${stateMachineDiagram(resolveDefinition(stack))}\n\`\`\``;
  let text = replaceSection(readme, 'state-machine', diagram);
  text = replaceSection(text, 'refresh-file', refreshFileReference());
  return replaceSection(text, 'cli', cliReference());
}
