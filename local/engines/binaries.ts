import { accessSync, constants, readdirSync } from 'node:fs';
import path from 'node:path';
import { EngineNotInstalledError, InvalidEngineInputError } from './errors';

/** The two server programs that play every RDS engine locally. */
export type LocalEngine = 'mariadb' | 'postgres';

export const LOCAL_ENGINES: readonly LocalEngine[] = ['mariadb', 'postgres'];

const ENGINE_OF_RDS_ENGINE: Readonly<Record<string, LocalEngine>> = {
  mysql: 'mariadb',
  mariadb: 'mariadb',
  'aurora-mysql': 'mariadb',
  postgres: 'postgres',
  'aurora-postgresql': 'postgres',
};

/**
 * The local engine that plays an RDS engine: MariaDB for the MySQL family, PostgreSQL for the PostgreSQL family.
 * @throws InvalidEngineInputError for engines local mode cannot play (Oracle, SQL Server, Db2)
 */
export function localEngineFor(rdsEngine: string): LocalEngine {
  const engine = ENGINE_OF_RDS_ENGINE[rdsEngine];
  if (engine === undefined) {
    const supported = Object.keys(ENGINE_OF_RDS_ENGINE).join(', ');
    throw new InvalidEngineInputError(
      `Engine "${rdsEngine}" has no local engine; local mode supports ${supported}`,
    );
  }
  return engine;
}

export interface MariadbBinaries {
  readonly server: string;
  readonly installDb: string;
  readonly client: string;
  readonly binlog: string;
  readonly backup: string;
}

export interface PostgresBinaries {
  readonly initdb: string;
  readonly server: string;
  readonly basebackup: string;
}

export interface EngineBinaries {
  readonly mariadb: MariadbBinaries;
  readonly postgres: PostgresBinaries;
}

interface Program {
  /** Names to look for, preferred first (older MariaDB releases only ship the mysql* names). */
  readonly names: readonly string[];
  /** The Debian/Ubuntu package that installs it. */
  readonly aptPackage: string;
}

const MARIADB_PROGRAMS: Readonly<Record<keyof MariadbBinaries, Program>> = {
  server: { names: ['mariadbd', 'mysqld'], aptPackage: 'mariadb-server' },
  installDb: { names: ['mariadb-install-db', 'mysql_install_db'], aptPackage: 'mariadb-server' },
  client: { names: ['mariadb', 'mysql'], aptPackage: 'mariadb-client' },
  binlog: { names: ['mariadb-binlog', 'mysqlbinlog'], aptPackage: 'mariadb-client' },
  backup: { names: ['mariadb-backup', 'mariabackup'], aptPackage: 'mariadb-backup' },
};

const POSTGRES_PROGRAMS: Readonly<Record<keyof PostgresBinaries, Program>> = {
  initdb: { names: ['initdb'], aptPackage: 'postgresql' },
  server: { names: ['postgres'], aptPackage: 'postgresql' },
  basebackup: { names: ['pg_basebackup'], aptPackage: 'postgresql' },
};

/**
 * Directories searched for engine programs: PATH, the sbin directories a non-root PATH lacks, and Debian's
 * versioned PostgreSQL directories (newest first), which are never on PATH.
 */
export function defaultSearchPath(): string[] {
  const fromPath = (process.env.PATH ?? '').split(path.delimiter).filter((dir) => dir !== '');
  return [...fromPath, '/usr/local/sbin', '/usr/sbin', '/sbin', ...debianPostgresDirectories()];
}

function debianPostgresDirectories(root = '/usr/lib/postgresql'): string[] {
  let versions: string[];
  try {
    versions = readdirSync(root);
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return versions
    .filter((version) => /^\d+(\.\d+)?$/.test(version))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    .map((version) => path.join(root, version, 'bin'));
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findProgram(program: Program, directories: readonly string[]): string | undefined {
  for (const directory of directories) {
    for (const name of program.names) {
      const file = path.join(directory, name);
      if (isExecutable(file)) return file;
    }
  }
  return undefined;
}

function notInstalled(engine: string, missing: readonly Program[], directories: readonly string[]) {
  const programs = missing.map((program) => program.names[0]).join(', ');
  const packages = [...new Set(missing.map((program) => program.aptPackage))].join(' ');
  return new EngineNotInstalledError(
    `${engine} is not installed: ${programs} not found in ${directories.join(path.delimiter)}. ` +
      `Install it with: apt-get install -y ${packages}`,
  );
}

/**
 * Locates the MariaDB programs. Each may come from a different directory (the server lives in sbin).
 * @throws EngineNotInstalledError naming every missing program and the apt packages that provide them
 */
export function findMariadb(directories: readonly string[] = defaultSearchPath()): MariadbBinaries {
  const found: Partial<Record<keyof MariadbBinaries, string>> = {};
  const missing: Program[] = [];
  for (const [key, program] of Object.entries(MARIADB_PROGRAMS) as [keyof MariadbBinaries, Program][]) {
    const file = findProgram(program, directories);
    if (file === undefined) missing.push(program);
    else found[key] = file;
  }
  if (missing.length > 0) throw notInstalled('MariaDB', missing, directories);
  return found as MariadbBinaries;
}

/**
 * Locates the PostgreSQL programs, all from one directory so that initdb, the server and pg_basebackup
 * share a major version.
 * @throws EngineNotInstalledError naming the apt package
 */
export function findPostgres(directories: readonly string[] = defaultSearchPath()): PostgresBinaries {
  const programs = Object.entries(POSTGRES_PROGRAMS) as [keyof PostgresBinaries, Program][];
  for (const directory of directories) {
    const files = programs.map(([key, program]) => [key, findProgram(program, [directory])] as const);
    if (files.every(([, file]) => file !== undefined)) {
      return Object.fromEntries(files) as unknown as PostgresBinaries;
    }
  }
  throw notInstalled(
    'PostgreSQL',
    programs.map(([, program]) => program),
    directories,
  );
}

const OPENSSL_PROGRAM: Program = { names: ['openssl'], aptPackage: 'openssl' };

/**
 * Locates the openssl command, which issues the local servers' TLS certificates.
 * @throws EngineNotInstalledError naming the apt package
 */
export function findOpenssl(directories: readonly string[] = defaultSearchPath()): string {
  const file = findProgram(OPENSSL_PROGRAM, directories);
  if (file === undefined) throw notInstalled('OpenSSL', [OPENSSL_PROGRAM], directories);
  return file;
}

/**
 * Locates the programs of both engines.
 * @throws EngineNotInstalledError for the first engine with a missing program, naming the apt package
 */
export function findEngines(directories: readonly string[] = defaultSearchPath()): EngineBinaries {
  return { mariadb: findMariadb(directories), postgres: findPostgres(directories) };
}
