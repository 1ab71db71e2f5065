/**
 * Remote databases only: plain SELECTs issued by any part of the relay are
 * gathered into one Hrana `batch` (a read transaction, one HTTP round trip)
 * per group, instead of one round trip each.
 *
 * Why: on a remote database the relay cannot tell whether another instance
 * wrote (QueueStore.writerEpoch is undefined), so every delivery signal makes
 * the recipient's socket read its queue back. At 5 ms between an edge region
 * and the database, one round trip per read would make reads, not writes,
 * the cost of a message. Grouped the same way as writes (group-commit.ts:
 * one group in flight, the next one gathering meanwhile), reads cost a
 * fraction of a round trip per message under load and one round trip when
 * idle.
 *
 * Everything else (writes, batches, interactive transactions) goes straight
 * to the web client. A group that fails (one bad statement fails the whole
 * read transaction) is retried statement by statement, so one bad read
 * cannot fail its neighbours.
 */
import type { Client, InArgs, InStatement, ResultSet } from '@libsql/client';
import { GroupCommit } from './group-commit.ts';

const PLAIN_SELECT = /^\s*select\b/i;

export interface GroupedReads {
  readonly client: Client;
  /** Read groups sent (each one HTTP round trip), for metrics and benchmarks. */
  readonly groups: number;
}

export function groupReads(client: Client, maxBatch = 200): GroupedReads {
  let groups = 0;
  const reads = new GroupCommit<InStatement, ResultSet>({
    runBatch: (statements) => {
      groups++;
      return client.batch(statements as InStatement[], 'read');
    },
    runOne: (statement) => client.execute(statement),
    maxBatch,
  });
  function execute(stmtOrSql: InStatement | string, args?: InArgs): Promise<ResultSet> {
    const statement: InStatement =
      typeof stmtOrSql === 'string'
        ? args === undefined
          ? stmtOrSql
          : { sql: stmtOrSql, args }
        : stmtOrSql;
    const sql = typeof statement === 'string' ? statement : statement.sql;
    return PLAIN_SELECT.test(sql) ? reads.submit(statement) : client.execute(statement);
  }
  const grouped = new Proxy(client, {
    get(target, property) {
      if (property === 'execute') return execute;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    client: grouped,
    get groups() {
      return groups;
    },
  };
}
