import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Output } from './main';

const LOCAL_HELP = `
Local mode runs the real state machine on this machine, against a local AWS endpoint (RDS backed by real
MariaDB and PostgreSQL servers, Secrets Manager, SNS, S3, KMS, DynamoDB). Its state persists between
commands in .dbrefresh/ of the project (or --state-dir).

Examples:
  $ dbrefresh local up
  $ dbrefresh local seed
  $ dbrefresh local status
  $ dbrefresh local down
  $ dbrefresh local reset --yes`;

const UP_HELP = `
Examples:
  $ dbrefresh local up
  $ dbrefresh local up --port 4566 --state-dir /tmp/dbrefresh-state
  $ dbrefresh local up --refresh-files refresh-files
  $ eval "$(dbrefresh local up | grep '^export ')"

Starts the local AWS endpoint in the background (its log: <state-dir>/daemon.log), restarts the database
servers that \`down\` stopped, and prints the endpoint URL. With --refresh-files, the refresh files of the
folder that declare a schedule are the local EventBridge Scheduler's schedules (as \`cdk deploy -c
refreshFiles=<folder>\` deploys them), fired while the endpoint is up: see \`dbrefresh schedules --local\`. Exit code 0 when it answers (or already ran),
1 when it could not start (engines not installed, port in use).`;

const DOWN_HELP = `
Examples:
  $ dbrefresh local down

Stops the local endpoint and every database server; their data is kept for the next \`dbrefresh local up\`.`;

const STATUS_HELP = `
Examples:
  $ dbrefresh local status
  $ dbrefresh local status --json

Shows whether the endpoint is up and each DB instance and cluster with its status, engine and endpoint
(from the RDS API when up, from the database servers on disk when down).`;

const RESET_HELP = `
Examples:
  $ dbrefresh local reset --yes

Stops everything and deletes the state directory: every local database, snapshot, secret, history record
and notification. Without --yes it only says what it would delete (exit code 1).`;

const SEED_HELP = `
Examples:
  $ dbrefresh local seed
  $ dbrefresh local seed --engine postgres --customers 5000 --source app1-prod --target app1-dev

Creates, through the running endpoint, a source DB instance with customers' personal data (names, e-mails,
phones, addresses) and orders, and a refreshable target (tag dbrefresh:refreshable=true) with old data.
Prints what it created and which secrets hold the admin credentials; never a password.`;

const SEED_ENGINES = ['mariadb', 'postgres'] as const;
/** The most customers a seed accepts: ten times what a ~100 MB database holds. */
const MAX_CUSTOMERS = 3_000_000;

/**
 * Adds `dbrefresh local up|down|status|reset|seed`; each action reports its exit code through `setExitCode`.
 * The actions load local mode (engines, endpoint, SDK clients) only when one runs, so other commands start fast.
 */
export function addLocalCommand(program: Command, output: Output, setExitCode: (code: number) => void): void {
  const local = program
    .command('local')
    .description('Run a local AWS account (real MariaDB/PostgreSQL servers) for demos, tests and trials')
    .addHelpText('after', LOCAL_HELP);
  // require, not import(): the CLI runs through tsx's CommonJS hook, which native import() bypasses.
  const actions = (): typeof import('./local-actions') => require('./local-actions');
  const run = async (action: (module: ReturnType<typeof actions>) => Promise<number>) => {
    const module = actions();
    setExitCode(await module.runLocalAction(() => action(module), output));
  };

  withStateDir(local.command('up'))
    .description('Start the local AWS endpoint in the background and print its URL')
    .option('--port <port>', 'port on 127.0.0.1 (default: a free one)', parsePort)
    .option(
      '--refresh-files <folder>',
      'fire the schedules these refresh files declare (default: no schedules)',
    )
    .option('--json', 'print the endpoint as JSON')
    .addHelpText('after', UP_HELP)
    .action((options) => run((module) => module.localUp(options, output)));

  withStateDir(local.command('down'))
    .description('Stop the local endpoint and every database server (their data is kept)')
    .addHelpText('after', DOWN_HELP)
    .action((options) => run((module) => module.localDown(options, output)));

  withStateDir(local.command('status'))
    .description('Show whether the endpoint is up and every DB instance and cluster')
    .option('--json', 'print the status as JSON')
    .addHelpText('after', STATUS_HELP)
    .action((options) => run((module) => module.localStatusAction(options, output)));

  withStateDir(local.command('reset'))
    .description('Stop everything and delete the local account (every database and record)')
    .option('--yes', 'confirm the deletion')
    .addHelpText('after', RESET_HELP)
    .action((options) => run((module) => module.localReset(options, output)));

  withStateDir(local.command('seed'))
    .description('Create a source with personal data and a refreshable target in the running local account')
    .addOption(
      new Option('--engine <engine>', 'engine of both instances').choices(SEED_ENGINES).default('mariadb'),
    )
    .option('--customers <count>', 'customers in the source (about 3 orders each)', parseCustomers, 1000)
    .option('--source <id>', 'DB instance identifier of the source', 'shop-prod')
    .option('--target <id>', 'DB instance identifier of the refreshable target', 'shop-dev')
    .option('--json', 'print what was created as JSON')
    .addHelpText('after', SEED_HELP)
    .action((options) => run((module) => module.localSeed(options, output)));
}

function withStateDir(command: Command): Command {
  return command.option(
    '--state-dir <dir>',
    'where the local account lives (default: .dbrefresh/ in the project)',
  );
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) {
    throw new InvalidArgumentError(`"${value}" is not a port: use a whole number from 1 to 65535.`);
  }
  return port;
}

function parseCustomers(value: string): number {
  const count = Number(value);
  if (!/^\d+$/.test(value) || count > MAX_CUSTOMERS) {
    throw new InvalidArgumentError(
      `"${value}" is not a customer count: use a whole number from 0 to ${MAX_CUSTOMERS.toLocaleString('en')}.`,
    );
  }
  return count;
}
