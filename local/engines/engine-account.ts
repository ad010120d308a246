import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { chown, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LocalEngine } from './binaries';
import { EngineCommandError, LocalEngineError } from './errors';

/** The system account each engine runs as when we are root (created by the Debian packages). */
const SYSTEM_ACCOUNT: Readonly<Record<LocalEngine, string>> = { mariadb: 'mysql', postgres: 'postgres' };

/** How much of a program's output is kept for error messages. */
const OUTPUT_LIMIT_BYTES = 64 * 1024;
const ERROR_TAIL_LINES = 15;

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The operating-system account engine programs run as, and the only way they are started.
 *
 * PostgreSQL refuses to run as root and MariaDB needs `--user`, so when this process is root every engine
 * program runs as the engine's system account (`mysql`, `postgres`) and every directory it writes to is
 * given to that account. Otherwise (a developer laptop) programs run as the current user.
 * Programs get a minimal environment (TZ=UTC, C locale), so a developer's PG* variables or time zone
 * cannot change what they do.
 */
export class EngineAccount {
  private constructor(
    readonly name: string,
    private readonly ids: { readonly uid: number; readonly gid: number } | undefined,
  ) {}

  /** The account for `engine`: its system account when root, else the current user. */
  static forEngine(engine: LocalEngine): EngineAccount {
    if (process.getuid?.() !== 0) return new EngineAccount(process.env.USER ?? 'current user', undefined);
    const name = SYSTEM_ACCOUNT[engine];
    try {
      const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
      return new EngineAccount(name, { uid: id('-u'), gid: id('-g') });
    } catch (error: unknown) {
      throw new LocalEngineError(
        `Running as root, the ${engine} engine must run as the "${name}" system account, which does not exist; ` +
          `install the ${engine === 'mariadb' ? 'mariadb-server' : 'postgresql'} package or run as a normal user`,
        { cause: error },
      );
    }
  }

  /** Creates `directory` (and missing parents) owned by this account. */
  async makeDirectory(directory: string): Promise<void> {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    if (this.ids !== undefined) await chown(directory, this.ids.uid, this.ids.gid);
  }

  /** Writes a file owned by this account (a file the engine itself reads or removes). */
  async writeFile(file: string, content: string, mode = 0o600): Promise<void> {
    await writeFile(file, content, { mode });
    if (this.ids !== undefined) await chown(file, this.ids.uid, this.ids.gid);
  }

  /**
   * Runs a program to completion as this account.
   * @throws EngineCommandError with the exit code and the last lines of its output when it fails
   */
  async run(command: string, args: readonly string[]): Promise<RunResult> {
    const child = spawn(command, args, { ...this.spawnOptions(), stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout = collect(child, 'stdout');
    const stderr = collect(child, 'stderr');
    const code = await exitCode(child, command);
    const result = { stdout: stdout(), stderr: stderr() };
    if (code !== 0) throw commandFailed(command, args, code, `${result.stderr}\n${result.stdout}`);
    return result;
  }

  /**
   * Runs `producer | consumer` as this account (e.g. mariadb-binlog into the mariadb client).
   * @throws EngineCommandError naming whichever side failed
   */
  async pipe(
    producer: readonly [string, readonly string[]],
    consumer: readonly [string, readonly string[]],
  ): Promise<void> {
    const [producerCommand, producerArgs] = producer;
    const [consumerCommand, consumerArgs] = consumer;
    const spawnOptions = this.spawnOptions();
    const source = spawn(producerCommand, producerArgs, {
      ...spawnOptions,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const sink = spawn(consumerCommand, consumerArgs, { ...spawnOptions, stdio: ['pipe', 'pipe', 'pipe'] });
    // An early exit of the consumer must fail the pipe through its exit code, not crash on EPIPE.
    sink.stdin?.on('error', () => undefined);
    source.stdout?.pipe(sink.stdin as NodeJS.WritableStream);
    const sourceErr = collect(source, 'stderr');
    const sinkOutput = { stdout: collect(sink, 'stdout'), stderr: collect(sink, 'stderr') };
    const [sourceCode, sinkCode] = await Promise.all([
      exitCode(source, producerCommand),
      exitCode(sink, consumerCommand),
    ]);
    if (sinkCode !== 0) {
      const output = `${sinkOutput.stderr()}\n${sinkOutput.stdout()}`;
      throw commandFailed(consumerCommand, consumerArgs, sinkCode, output);
    }
    if (sourceCode !== 0) throw commandFailed(producerCommand, producerArgs, sourceCode, sourceErr());
  }

  /**
   * Starts a long-running server detached from this process (it outlives it, like a real DB instance),
   * its stdout and stderr appended to `logFile`.
   * @returns the server's process id
   */
  spawnServer(command: string, args: readonly string[], logFile: string): number {
    const log = openSync(logFile, 'a', 0o640);
    try {
      const child = spawn(command, args, {
        ...this.spawnOptions(),
        detached: true,
        stdio: ['ignore', log, log],
      });
      child.on('error', () => undefined); // a failed start shows as the process being gone; see waitUntilReady
      child.unref();
      if (child.pid === undefined)
        throw new EngineCommandError(`${path.basename(command)} could not be started`);
      return child.pid;
    } finally {
      closeSync(log);
    }
  }

  private spawnOptions() {
    return {
      cwd: '/',
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/',
        LC_ALL: 'C',
        TZ: 'UTC',
      },
      ...(this.ids ?? {}),
    };
  }
}

/** Keeps the last OUTPUT_LIMIT_BYTES of a stream; returns a reader for the text so far. */
function collect(child: ChildProcess, stream: 'stdout' | 'stderr'): () => string {
  let text = '';
  child[stream]?.setEncoding('utf8');
  child[stream]?.on('data', (chunk: string) => {
    text = (text + chunk).slice(-OUTPUT_LIMIT_BYTES);
  });
  return () => text;
}

function exitCode(child: ChildProcess, command: string): Promise<number> {
  return new Promise((resolve, reject) => {
    child.on('error', (error) =>
      reject(
        new EngineCommandError(`${path.basename(command)} could not be run: ${error.message}`, {
          cause: error,
        }),
      ),
    );
    child.on('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
}

function commandFailed(
  command: string,
  args: readonly string[],
  code: number,
  output: string,
): EngineCommandError {
  const tail = output.trim().split('\n').slice(-ERROR_TAIL_LINES).join('\n');
  return new EngineCommandError(
    `${path.basename(command)} ${args.join(' ')} failed with exit code ${code}:\n${tail}`,
  );
}

/** The last lines of a text, for error messages quoting a server log. */
export function lastLines(text: string, count = ERROR_TAIL_LINES): string {
  return text.trim().split('\n').slice(-count).join('\n');
}
