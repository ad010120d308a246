import { spawnSync } from 'node:child_process';
import { findEngines, findOpenssl } from './engines/binaries';
import { EngineNotInstalledError } from './engines/errors';

/**
 * Finds MariaDB, PostgreSQL and openssl (which makes their TLS certificates), installing them from Debian's
 * packages when this is a root shell with apt-get; otherwise fails with the command that installs them.
 */
export function ensureEngines(log: (line: string) => void): void {
  try {
    findEngines();
    findOpenssl();
    return;
  } catch (error: unknown) {
    if (!(error instanceof EngineNotInstalledError)) throw error;
    const packages = ['mariadb-server', 'mariadb-client', 'mariadb-backup', 'postgresql', 'openssl'];
    const canInstall = process.getuid?.() === 0 && spawnSync('apt-get', ['--version']).status === 0;
    if (!canInstall) {
      throw new EngineNotInstalledError(
        `${error.message}\nInstall the database engines first: sudo apt-get install -y ${packages.join(' ')}`,
      );
    }
    log(`Installing the database engines (${packages.join(', ')}) with apt-get...`);
    for (const args of [
      ['update', '-qq'],
      ['install', '-y', '-qq', '--no-install-recommends', ...packages],
    ]) {
      const result = spawnSync('apt-get', args, {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
      if (result.status !== 0) {
        throw new EngineNotInstalledError(
          `apt-get ${args[0]} failed (exit ${result.status}): ${String(result.stderr).trim().slice(-500)}`,
        );
      }
    }
    findEngines();
    findOpenssl();
  }
}
