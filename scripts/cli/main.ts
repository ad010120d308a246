import { Command, CommanderError } from 'commander';
import { version as VERSION } from '../../package.json';
import { addApproveCommands } from './approve';
import { convertFile } from './convert';
import { addHistoryCommand } from './history';
import { addLocalCommand } from './local';
import { addPlanCommand } from './plan';
import { addSchedulesCommand } from './schedules';
import { addSnapshotsCommand } from './snapshots';
import { addStartCommand } from './start';
import { addStatusCommand } from './status';
import { formatReports, reportsAsJson, validateFiles } from './validate';
import { addWatchCommand } from './watch';

/** Where the CLI writes; tests pass their own to read what a user would see. */
export interface Output {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Whether `out` is a terminal, where live views redraw in place; plain lines otherwise. */
  readonly isTTY?: boolean;
}

const processOutput: Output = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTTY: process.stdout.isTTY === true,
};

const VALIDATE_EXAMPLES = `
Examples:
  $ dbrefresh validate refresh-files/*.json
  $ dbrefresh validate --json my-refresh.json

Each problem is printed as "file: $.json.path: what is wrong (got: value; expected: ...)".
Exit code: 0 when every file is valid (warnings allowed), 1 otherwise.`;

const CONVERT_EXAMPLES = `
Examples:
  $ dbrefresh convert db-app1-mysqlinstd.json > refresh-files/app1-dev.json

Prints the concise equivalent of a refresh file in the per-step form of the AWS Database Blog post.
Warnings (for example an ignored plain-text temppwd) go to stderr; exit code 1 when the file is invalid.`;

/** The commands; each action reports its exit code through `setExitCode`. */
export function buildProgram(output: Output, setExitCode: (code: number) => void): Command {
  const program = new Command()
    .name('dbrefresh')
    .version(VERSION)
    .description(
      'Refresh non-production Amazon RDS and Aurora databases from production, safely and on a schedule.',
    )
    .configureOutput({ writeOut: output.out, writeErr: output.err })
    .exitOverride();

  program
    .command('validate')
    .description('Check refresh files (concise or per-step form) and print every problem found')
    .argument('<file...>', 'refresh files to check')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', VALIDATE_EXAMPLES)
    .action(async (files: string[], options: { json?: boolean }) => {
      const reports = await validateFiles(files);
      output.out(`${options.json ? reportsAsJson(reports) : formatReports(reports)}\n`);
      setExitCode(reports.every((report) => report.valid) ? 0 : 1);
    });

  program
    .command('convert')
    .description('Print the concise form of a per-step (blog) refresh file')
    .argument('<file>', 'refresh file to convert')
    .addHelpText('after', CONVERT_EXAMPLES)
    .action(async (file: string) => {
      const result = await convertFile(file);
      for (const message of result.messages) output.err(`${message}\n`);
      if (result.output) output.out(result.output);
      setExitCode(result.exitCode);
    });

  addLocalCommand(program, output, setExitCode);
  addApproveCommands(program, output, setExitCode);
  addPlanCommand(program, output, setExitCode);
  addStartCommand(program, output, setExitCode);
  addStatusCommand(program, output, setExitCode);
  addWatchCommand(program, output, setExitCode);
  addHistoryCommand(program, output, setExitCode);
  addSnapshotsCommand(program, output, setExitCode);
  addSchedulesCommand(program, output, setExitCode);
  return program;
}

/** Runs the CLI with `argv` (as in process.argv) and resolves to the exit code. */
export async function main(argv: readonly string[], output: Output = processOutput): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(output, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv]);
  } catch (e: unknown) {
    if (e instanceof CommanderError) return e.exitCode;
    throw e;
  }
  return exitCode;
}
