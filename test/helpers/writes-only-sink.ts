// A sink for writer tests: each test decides what writeBatch does; everything else is a no-op.
import type { Batch, Sink } from '../../src/sinks/sink.js';

export abstract class WritesOnlySink implements Sink {
  readonly description: string = 'test';
  abstract writeBatch(batch: Batch): Promise<void>;
  async getOrCreateSalt(_day: string, candidate: Buffer) {
    return candidate;
  }
  async deleteSaltsBefore() {
    return 0;
  }
  async loadActiveSessions() {
    return [];
  }
  async deleteOlderThan() {
    return 0;
  }
  async ping() {}
  async close() {}
}
