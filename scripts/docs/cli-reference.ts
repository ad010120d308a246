import type { Command } from 'commander';
import { buildProgram } from '../cli/main';

/** Help is wrapped at this width, whatever the terminal, so the generated reference is stable. */
const HELP_WIDTH = 100;

/**
 * The CLI reference in Markdown: the `--help` of every command and subcommand, exactly as the CLI prints it
 * (with its examples), generated from the commander program itself so it cannot drift from the code.
 */
export function cliReference(): string {
  let captured = '';
  const program = buildProgram(
    { out: (text) => (captured += text), err: (text) => (captured += text) },
    () => undefined,
  );
  const sections: string[] = [];
  const visit = (command: Command, path: string[]) => {
    for (const sub of command.commands) {
      if ((sub as Command & { _hidden?: boolean })._hidden) continue;
      const names = [...path, sub.name()];
      sub.configureHelp({ helpWidth: HELP_WIDTH });
      captured = '';
      sub.outputHelp();
      sections.push(`### \`dbrefresh ${names.join(' ')}\`\n\n\`\`\`text\n${captured.trimEnd()}\n\`\`\``);
      visit(sub, names);
    }
  };
  visit(program, []);
  return sections.join('\n\n');
}
