// A fresh MariaDB database per test file, dropped at the end. MariaDB: 127.0.0.1:3306, root, no password
// (override with TEST_MYSQL_URL=mysql://user:pass@host:port).
import { randomBytes } from 'node:crypto';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';

const SERVER = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';

export interface TestDatabase {
  url: string;
  name: string;
  /** Runs a query on a connection of the test's own (UTC). */
  query<T = RowDataPacket>(sql: string, params?: unknown[]): Promise<T[]>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export async function freshDatabase(t: Teardown): Promise<TestDatabase> {
  const name = `bi_test_${randomBytes(6).toString('hex')}`;
  const admin = await createConnection({ uri: SERVER });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const url = `${SERVER}/${name}`;
  let conn: Connection | undefined;
  t.teardown(async () => {
    await conn?.end();
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
  });
  return {
    url,
    name,
    async query<T>(sql: string, params: unknown[] = []) {
      conn ??= await createConnection({ uri: url, timezone: 'Z', dateStrings: false });
      await conn.query("SET time_zone = '+00:00'");
      const [rows] = await conn.query(sql, params);
      return rows as T[];
    },
  };
}
