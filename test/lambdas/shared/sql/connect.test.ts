import { DatabaseTlsError } from '../../../../lambdas/shared/errors';
import {
  type ConnectionSettings,
  connectMysql,
  connectPostgres,
} from '../../../../lambdas/shared/sql/connect';
import { caBundleTls, RDS_TLS, type VerifiedTls } from '../../../../lambdas/shared/sql/database-tls';
import {
  type FakeServer,
  fakeMysql,
  fakePostgres,
  makeAuthority,
  type TestAuthority,
  temporaryDirectory,
} from './tls-fixture';

const directory = temporaryDirectory();
/** The CA the client trusts, and another one. */
let trusted: TestAuthority;
let other: TestAuthority;
let trustTheCa: VerifiedTls;
const servers: FakeServer[] = [];

beforeAll(async () => {
  [trusted, other] = await Promise.all([
    makeAuthority(`${directory.path}/trusted`),
    makeAuthority(`${directory.path}/other`),
  ]);
  trustTheCa = caBundleTls(trusted.caFile);
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

afterAll(() => directory.cleanUp());

function settings(host: string, server: FakeServer): ConnectionSettings {
  return { host, port: server.port, user: 'admin', password: 'Abcdefgh12345678', database: 'app' };
}

const drivers = [
  {
    name: 'mysql',
    fake: fakeMysql,
    connect: async (to: ConnectionSettings, tls: VerifiedTls) => (await connectMysql(to, tls)).end(),
  },
  {
    name: 'postgres',
    fake: fakePostgres,
    connect: async (to: ConnectionSettings, tls: VerifiedTls) => (await connectPostgres(to, tls)).end(),
  },
] as const;

describe.each(drivers)('connecting with $name', ({ fake, connect }) => {
  async function start(certificate: TestAuthority['local'] | undefined): Promise<FakeServer> {
    const server = await fake('127.0.0.1', certificate);
    servers.push(server);
    return server;
  }

  it.each(['127.0.0.1', 'localhost'])(
    'connects over TLS to a server whose certificate the trusted CA signed for %s',
    async (host) => {
      const server = await start(trusted.local);

      await connect(settings(host, server), trustTheCa);

      expect(server.secured()).toBe(1);
    },
  );

  it('rejects a server whose certificate another CA signed, naming the CAs trusted', async () => {
    const server = await start(other.local);

    const connecting = connect(settings('127.0.0.1', server), trustTheCa);

    await expect(connecting).rejects.toThrow(DatabaseTlsError);
    await expect(connecting).rejects.toThrow(`against the certificate authorities in ${trusted.caFile}`);
  });

  it.each(['127.0.0.1', 'localhost'])(
    'rejects, connecting to %s, a certificate the trusted CA signed for another host',
    async (host) => {
      const server = await start(trusted.elsewhere);

      const connecting = connect(settings(host, server), trustTheCa);

      await expect(connecting).rejects.toThrow(DatabaseTlsError);
      await expect(connecting).rejects.toThrow(
        new RegExp(`database at ${host}:\\d+ failed: .*does not match certificate's altnames`),
      );
    },
  );

  it('rejects, connecting to 127.0.0.1, a certificate for localhost at another address', async () => {
    const server = await start(trusted.localhostElsewhere);

    const connecting = connect(settings('127.0.0.1', server), trustTheCa);

    await expect(connecting).rejects.toThrow(DatabaseTlsError);
    await expect(connecting).rejects.toThrow("IP: 127.0.0.1 is not in the cert's list: 192.0.2.10");
  });

  it('rejects that certificate again on the next attempt', async () => {
    const server = await start(trusted.localhostElsewhere);
    await connect(settings('127.0.0.1', server), trustTheCa).catch(() => undefined);

    await expect(connect(settings('127.0.0.1', server), trustTheCa)).rejects.toThrow(DatabaseTlsError);
  });

  it('connects again and again to a server at an address, each time checking its certificate', async () => {
    const server = await start(trusted.local);

    for (let attempt = 0; attempt < 3; attempt++) await connect(settings('127.0.0.1', server), trustTheCa);

    expect(server.secured()).toBe(3);
  });

  it('rejects a server that offers no TLS', async () => {
    const server = await start(undefined);

    await expect(connect(settings('127.0.0.1', server), trustTheCa)).rejects.toThrow(DatabaseTlsError);
  });

  it('rejects, by default, a certificate no RDS CA signed, with the fix', async () => {
    const server = await start(trusted.local);

    const connecting = connect(settings('127.0.0.1', server), RDS_TLS);

    await expect(connecting).rejects.toThrow(DatabaseTlsError);
    await expect(connecting).rejects.toThrow(/Amazon RDS certificate authorities.*DB_CA_BUNDLE/);
    expect(server.secured()).toBe(0);
  });

  it('rejects when DB_CA_BUNDLE names a file that does not exist, naming it', async () => {
    const server = await start(trusted.local);
    const missing = `${directory.path}/missing.pem`;

    const connecting = connect(settings('127.0.0.1', server), caBundleTls(missing));

    await expect(connecting).rejects.toThrow(DatabaseTlsError);
    await expect(connecting).rejects.toThrow(`DB_CA_BUNDLE names ${missing}, which cannot be read (ENOENT)`);
  });
});
