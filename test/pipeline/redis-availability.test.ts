// When the Redis session store tries Redis, and which error it reports when it does not.
import type { Redis } from 'ioredis';
import t from 'tap';
import { RedisAvailability, SessionStoreUnavailableError } from '../../src/pipeline/redis-availability.js';

function setup(status: Redis['status'] = 'ready') {
  const client: Pick<Redis, 'status'> = { status };
  let now = 1000;
  const availability = new RedisAvailability(client, () => now);
  return { client, availability, advance: (ms: number) => (now += ms) };
}

t.test('usable only while the client is ready', async (t) => {
  const { client, availability } = setup('connecting');
  t.notOk(availability.usable());
  client.status = 'ready';
  t.ok(availability.usable());
  client.status = 'reconnecting';
  t.notOk(availability.usable());
});

t.test('a failed command suspends Redis for one second, ended early by a reconnect', async (t) => {
  const { availability, advance } = setup();
  const cause = new Error('Command timed out');
  const error = availability.failed(cause);
  t.type(error, SessionStoreUnavailableError);
  t.equal(error.message, 'Redis session store failed: Command timed out');
  t.equal(error.cause, cause);
  t.notOk(availability.usable(), 'suspended at once');
  advance(999);
  t.notOk(availability.usable(), 'still suspended after 999 ms');
  advance(1);
  t.ok(availability.usable(), 'tried again after 1 s');
  availability.failed(cause);
  availability.resume();
  t.ok(availability.usable(), "the client's ready event lifts the suspension");
});

t.test('one error object per client status; while ready, the error that suspended it', async (t) => {
  const { client, availability } = setup('reconnecting');
  const first = availability.unavailable();
  t.equal(first.message, 'Redis session store not ready (reconnecting)');
  t.equal(availability.unavailable(), first, 'the same object: no stack trace per beacon');
  client.status = 'connecting';
  t.not(availability.unavailable(), first);
  t.match(availability.unavailable().message, /\(connecting\)/);
  client.status = 'ready';
  const failed = availability.failed(new Error('boom'));
  t.equal(availability.unavailable(), failed);
});
