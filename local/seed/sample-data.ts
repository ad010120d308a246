/**
 * Realistic sample data for a local "production" database: customers with personal data (names,
 * e-mail addresses, phone numbers, postal addresses) that a refresh must mask, and their orders.
 * Deterministic (seeded), so every seed of the same size holds the same rows.
 */

export type SqlDialect = 'mysql' | 'postgres';

const FIRST_NAMES = [
  'Olivia',
  'Liam',
  'Emma',
  'Noah',
  'Amelia',
  'Oliver',
  'Ava',
  'Elijah',
  'Sophia',
  'Lucas',
  'Isla',
  'Mateo',
  'Mia',
  'Leo',
  'Freya',
  'Arjun',
  'Chloe',
  'Yusuf',
  'Hannah',
  'Kenji',
  'Zara',
  'Tomás',
  'Ingrid',
  'Kwame',
];
const LAST_NAMES = [
  'Smith',
  'Jones',
  'Williams',
  'Brown',
  'Taylor',
  'Davies',
  'Evans',
  'Wilson',
  'Müller',
  'Rossi',
  'García',
  'Nowak',
  'Kowalski',
  'Dubois',
  'Jensen',
  'Okafor',
  'Sato',
  'Patel',
  'Nguyen',
  "O'Brien",
  'Larsen',
  'Silva',
];
const STREETS = [
  'High Street',
  'Station Road',
  'Church Lane',
  'Park Avenue',
  'Mill Road',
  'Queen Street',
  'Elm Grove',
];
const CITIES = [
  ['London', 'GB', 'SW1A 1AA'],
  ['Manchester', 'GB', 'M1 1AE'],
  ['Dublin', 'IE', 'D02 X285'],
  ['Lyon', 'FR', '69001'],
  ['Berlin', 'DE', '10115'],
  ['Madrid', 'ES', '28013'],
] as const;
const MAIL_DOMAINS = ['gmail.com', 'outlook.com', 'yahoo.co.uk', 'proton.me', 'example-corp.co.uk'];

export interface Customer {
  readonly id: number;
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  readonly phone: string;
  readonly street: string;
  readonly city: string;
  readonly postcode: string;
  readonly country: string;
  readonly createdAt: string;
}

/** A small linear congruential generator: the same seed gives the same rows. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export function customers(count: number, seed = 42): Customer[] {
  const next = generator(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  return Array.from({ length: count }, (_, index) => {
    const id = index + 1;
    const firstName = pick(FIRST_NAMES);
    const lastName = pick(LAST_NAMES);
    const [city, country, postcode] = pick(CITIES);
    const local = `${firstName}.${lastName}`
      .toLowerCase()
      .normalize('NFD')
      .replace(/[^a-z.]/g, '');
    return {
      id,
      firstName,
      lastName,
      email: `${local}${id}@${pick(MAIL_DOMAINS)}`,
      phone: `+44 7${String(Math.floor(next() * 1e9)).padStart(9, '0')}`,
      street: `${1 + Math.floor(next() * 200)} ${pick(STREETS)}`,
      city,
      postcode,
      country,
      createdAt: new Date(Date.UTC(2024, 0, 1) + Math.floor(next() * 600) * 86_400_000)
        .toISOString()
        .slice(0, 19),
    };
  });
}

/** The schema of the sample database. */
export function schemaStatements(dialect: SqlDialect): string[] {
  const id = dialect === 'mysql' ? 'INT PRIMARY KEY' : 'INTEGER PRIMARY KEY';
  const timestamp = dialect === 'mysql' ? 'DATETIME' : 'TIMESTAMP';
  return [
    `CREATE TABLE customers (id ${id}, first_name VARCHAR(60) NOT NULL, last_name VARCHAR(60) NOT NULL, email VARCHAR(120) NOT NULL, phone VARCHAR(30), street VARCHAR(120), city VARCHAR(60), postcode VARCHAR(12), country CHAR(2), created_at ${timestamp} NOT NULL)`,
    `CREATE TABLE orders (id ${id}, customer_id INTEGER NOT NULL REFERENCES customers (id), amount DECIMAL(10,2) NOT NULL, created_at ${timestamp} NOT NULL)`,
  ];
}

/** INSERT statements for `rows` customers and about three orders each, in batches. */
export function insertStatements(rows: readonly Customer[], batchSize = 500): string[] {
  const statements: string[] = [];
  for (let start = 0; start < rows.length; start += batchSize) {
    const batch = rows.slice(start, start + batchSize);
    statements.push(
      `INSERT INTO customers (id, first_name, last_name, email, phone, street, city, postcode, country, created_at) VALUES ${batch
        .map(
          (c) =>
            `(${c.id}, ${quote(c.firstName)}, ${quote(c.lastName)}, ${quote(c.email)}, ${quote(c.phone)}, ${quote(c.street)}, ${quote(c.city)}, ${quote(c.postcode)}, ${quote(c.country)}, ${quote(c.createdAt)})`,
        )
        .join(', ')}`,
    );
    statements.push(
      `INSERT INTO orders (id, customer_id, amount, created_at) VALUES ${batch
        .flatMap((c) =>
          [0, 1, 2].map(
            (n) =>
              `(${c.id * 3 + n}, ${c.id}, ${((c.id * 37 + n * 11) % 50000) / 100 + 5}, ${quote(c.createdAt)})`,
          ),
        )
        .join(', ')}`,
    );
  }
  return statements;
}

function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
