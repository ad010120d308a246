import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSecureContext, type SecureContext, TLSSocket } from 'node:tls';
import { findOpenssl } from '../../../../local/engines/binaries';
import { LocalCertificateAuthority, type ServerNames } from '../../../../local/engines/certificate-authority';

/**
 * Just enough of a MySQL and a PostgreSQL server to test a client's TLS: each upgrades the connection to
 * TLS with the certificate it is given and, once the client is through, accepts any login.
 */

/** A CA in a directory, and certificates it signed for the local servers and for another host. */
export interface TestAuthority {
  readonly caFile: string;
  /** For 127.0.0.1 and localhost, as every local server's. */
  readonly local: Certificate;
  /** For 192.0.2.10 and db.example.invalid. */
  readonly elsewhere: Certificate;
  /** For localhost but the address 192.0.2.10, not 127.0.0.1. */
  readonly localhostElsewhere: Certificate;
}

/** Makes a CA and its certificates with the local engines' CA code, in `directory`. */
export async function makeAuthority(directory: string): Promise<TestAuthority> {
  const ca = path.join(directory, 'ca');
  const issue = async (name: string, names?: ServerNames): Promise<Certificate> => {
    const authority = new LocalCertificateAuthority(ca, () => findOpenssl(), names);
    const files = {
      certificateFile: path.join(directory, `${name}.pem`),
      keyFile: path.join(directory, `${name}-key.pem`),
    };
    await authority.ensureServerCertificate(
      { writeFile: (file, content) => writeFile(file, content) },
      files,
    );
    return { cert: readFileSync(files.certificateFile, 'utf8'), key: readFileSync(files.keyFile, 'utf8') };
  };
  const local = await issue('local');
  const elsewhere = await issue('elsewhere', { ip: '192.0.2.10', dns: 'db.example.invalid' });
  const localhostElsewhere = await issue('localhost-elsewhere', { ip: '192.0.2.10', dns: 'localhost' });
  return { caFile: path.join(ca, 'ca.pem'), local, elsewhere, localhostElsewhere };
}

export function temporaryDirectory(): { path: string; cleanUp(): void } {
  const directory = mkdtempSync(path.join(tmpdir(), 'dbrefresh-tls-'));
  return { path: directory, cleanUp: () => rmSync(directory, { recursive: true, force: true }) };
}

/** A fake server listening on a loopback address. */
export interface FakeServer {
  readonly port: number;
  /** Connections that completed a TLS handshake. */
  readonly secured: () => number;
  close(): Promise<void>;
}

type Certificate = { readonly cert: string; readonly key: string };

async function listen(
  host: string,
  serve: (socket: Socket) => void,
): Promise<{ server: Server; port: number }> {
  const server = createServer(serve);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

function fakeServer(
  host: string,
  serve: (socket: Socket, onSecured: () => void) => void,
): Promise<FakeServer> {
  let secured = 0;
  const sockets = new Set<Socket>();
  return listen(host, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    serve(socket, () => {
      secured++;
    });
  }).then(({ server, port }) => ({
    port,
    secured: () => secured,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  }));
}

const contexts = new WeakMap<Certificate, SecureContext>();

/** One secure context per certificate, as a real server has, so that clients can resume their TLS sessions. */
function contextOf(certificate: Certificate): SecureContext {
  let context = contexts.get(certificate);
  if (context === undefined) {
    context = createSecureContext({ cert: certificate.cert, key: certificate.key });
    contexts.set(certificate, context);
  }
  return context;
}

/** Upgrades `socket` to TLS as a server; `onSecure` runs once the client completed the handshake. */
function upgrade(socket: Socket, certificate: Certificate, onSecure: (tls: TLSSocket) => void): void {
  const tls = new TLSSocket(socket, { isServer: true, secureContext: contextOf(certificate) });
  tls.on('error', () => socket.destroy());
  tls.once('secure', () => onSecure(tls));
}

/**
 * PostgreSQL: answers the SSLRequest with "S" and upgrades (or "N" without a certificate), then reads the
 * startup message and answers AuthenticationOk and ReadyForQuery.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-SSL
 */
export function fakePostgres(host: string, certificate: Certificate | undefined): Promise<FakeServer> {
  return fakeServer(host, (socket, onSecured) => {
    socket.once('data', () => {
      if (certificate === undefined) {
        socket.end('N');
        return;
      }
      socket.write('S');
      upgrade(socket, certificate, (tls) => {
        onSecured();
        tls.once('data', () => {
          const authenticationOk = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0]);
          const readyForQuery = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]);
          tls.write(Buffer.concat([authenticationOk, readyForQuery]));
        });
      });
    });
  });
}

const CLIENT_LONG_PASSWORD = 0x1;
const CLIENT_CONNECT_WITH_DB = 0x8;
const CLIENT_PROTOCOL_41 = 0x200;
const CLIENT_SSL = 0x800;
const CLIENT_TRANSACTIONS = 0x2000;
const CLIENT_SECURE_CONNECTION = 0x8000;
const CLIENT_PLUGIN_AUTH = 0x80000;

/** The SSL request packet: a 4-byte header and 32 bytes of capabilities, packet size and character set. */
const SSL_REQUEST_BYTES = 36;

function mysqlPacket(sequence: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUIntLE(payload.length, 0, 3);
  header[3] = sequence;
  return Buffer.concat([header, payload]);
}

/** A protocol 10 handshake offering TLS (CLIENT_SSL) only when `withTls`. */
function mysqlHandshake(withTls: boolean): Buffer {
  const capabilities =
    CLIENT_LONG_PASSWORD |
    CLIENT_CONNECT_WITH_DB |
    CLIENT_PROTOCOL_41 |
    CLIENT_TRANSACTIONS |
    CLIENT_SECURE_CONNECTION |
    CLIENT_PLUGIN_AUTH |
    (withTls ? CLIENT_SSL : 0);
  const lower = Buffer.alloc(2);
  lower.writeUInt16LE(capabilities & 0xffff);
  const upper = Buffer.alloc(2);
  upper.writeUInt16LE(capabilities >>> 16);
  const status = Buffer.from([0x02, 0x00]);
  return Buffer.concat([
    Buffer.from([10]),
    Buffer.from('10.11.0-fake\0'),
    Buffer.from([1, 0, 0, 0]),
    Buffer.from('abcdefgh'),
    Buffer.from([0]),
    lower,
    Buffer.from([0x21]),
    status,
    upper,
    Buffer.from([21]),
    Buffer.alloc(10),
    Buffer.from('ijklmnopqrst\0'),
    Buffer.from('mysql_native_password\0'),
  ]);
}

/**
 * MySQL: sends a handshake offering TLS (none without a certificate); on the client's SSL request upgrades,
 * then answers its handshake response with OK.
 * https://mariadb.com/kb/en/connection/#sslrequest-packet
 */
export function fakeMysql(host: string, certificate: Certificate | undefined): Promise<FakeServer> {
  return fakeServer(host, (socket, onSecured) => {
    socket.write(mysqlPacket(0, mysqlHandshake(certificate !== undefined)));
    if (certificate === undefined) return;
    socket.once('data', (chunk: Buffer) => {
      // The client starts its TLS handshake right after the SSL request, maybe in the same chunk.
      socket.pause();
      const handshake = chunk.subarray(SSL_REQUEST_BYTES);
      if (handshake.length > 0) socket.unshift(handshake);
      upgrade(socket, certificate, (tls) => {
        onSecured();
        tls.once('data', () => {
          const ok = Buffer.from([0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00]);
          tls.write(mysqlPacket(3, ok));
        });
      });
    });
  });
}
