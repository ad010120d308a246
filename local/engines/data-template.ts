import { createHash, randomUUID } from 'node:crypto';
import { access, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { EngineAccount } from './engine-account';

/**
 * An initialised data directory that every new server of an engine starts as a copy of.
 *
 * Initialising takes 1–2 s (mariadb-install-db, initdb); copying the result takes a few milliseconds, so each
 * engine is initialised once per engines root and binary version. A template is built in a temporary directory
 * and renamed into place, so concurrent builders (another process) never see half of one.
 */
export class DataTemplate {
  private ready: Promise<string> | undefined;

  constructor(
    private readonly account: EngineAccount,
    private readonly templatesDirectory: string,
    /** The engine, and the server binary whose version the template must match. */
    private readonly engine: string,
    private readonly serverBinary: string,
    /** Initialises an empty data directory (owned by the account) in place. */
    private readonly build: (dataDirectory: string) => Promise<void>,
  ) {}

  /** Copies the template to `dataDirectory`, which must not exist yet. */
  async copyTo(dataDirectory: string): Promise<void> {
    this.ready ??= this.ensure().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    await copyDirectory(this.account, await this.ready, dataDirectory);
  }

  private async ensure(): Promise<string> {
    const { mtimeMs, size } = await stat(this.serverBinary);
    const version = createHash('sha256')
      .update(`${this.serverBinary}:${mtimeMs}:${size}`)
      .digest('hex')
      .slice(0, 12);
    const directory = path.join(this.templatesDirectory, `${this.engine}-${version}`);
    if (await exists(directory)) return directory;
    await mkdir(this.templatesDirectory, { recursive: true, mode: 0o711 });
    const building = `${directory}.${randomUUID()}.building`;
    await this.account.makeDirectory(building);
    try {
      await this.build(building);
      await rename(building, directory);
    } catch (error: unknown) {
      await rm(building, { recursive: true, force: true });
      const code = (error as NodeJS.ErrnoException).code;
      // Another process renamed its template into place first: use that one.
      if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await exists(directory))) return directory;
      throw error;
    }
    return directory;
  }
}

/** Copies a directory tree as the engine's account (so the copy is its own), keeping modes. */
export async function copyDirectory(account: EngineAccount, from: string, to: string): Promise<void> {
  await account.run('cp', ['-R', '-p', from, to]);
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
