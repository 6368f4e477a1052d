import { appendFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { encodeRow } from '../../src/buffer/row-codec.js';
import { Spool } from '../../src/buffer/spool.js';
import { numbers as urls, spoolRow as row } from './spool-row.js';

const dir = () => mkdtempSync(join(tmpdir(), 'bi-spool-'));

t.test('rows come back in order, with their types, across segments and a reopen', async (t) => {
  const d = dir();
  const spool = await Spool.open({ dir: d, maxBytes: 10_000_000, segmentBytes: 2000 });
  const { accepted, durable } = spool.append(Array.from({ length: 20 }, (_, i) => row(i)));
  t.equal(accepted, 20);
  t.equal(await durable, true, 'fsynced');
  spool.append([row(20), row(21)]);
  await spool.close();
  const again = await Spool.open({ dir: d, maxBytes: 10_000_000, segmentBytes: 2000 });
  t.equal(again.rows, 22, 'counted after a restart');
  const seen: number[] = [];
  for (let seg = await again.oldest(); seg !== null; seg = await again.oldest()) {
    seen.push(...urls(seg.rows));
    await again.remove(seg.name);
  }
  t.same(seen, Array.from({ length: 22 }, (_, i) => i));
  t.equal(again.rows, 0);
  t.same(readdirSync(d), []);
  const back = await Spool.open({ dir: d, maxBytes: 10_000_000 });
  const first = back.append([row(1)]);
  await first.durable;
  const [decoded] = (await back.oldest())?.rows ?? [];
  t.same(decoded, row(1), 'a row survives the round trip unchanged');
});

t.test('the byte cap refuses what does not fit; prepend goes before everything', async (t) => {
  const spool = await Spool.open({ dir: dir(), maxBytes: 1500 });
  const { accepted } = spool.append([row(1), row(2), row(3), row(4)]);
  t.ok(accepted >= 1 && accepted < 4, `${accepted} of 4 fit under 1,500 bytes`);
  await spool.prepend([row(0)]);
  const seg = await spool.oldest();
  t.same(urls(seg?.rows ?? []), [0]);
});

t.test('a torn last line (a crash mid-write) is returned as it is, apart from the rows', async (t) => {
  const d = dir();
  const spool = await Spool.open({ dir: d, maxBytes: 1_000_000 });
  await spool.append([row(1), row(2)]).durable;
  await spool.close();
  const [file] = readdirSync(d);
  appendFileSync(join(d, file as string), '{"beaconId":"00');
  const again = await Spool.open({ dir: d, maxBytes: 1_000_000 });
  const seg = await again.oldest();
  t.same(urls(seg?.rows ?? []), [1, 2]);
  t.same(seg?.bad, ['{"beaconId":"00']);
});

t.test('a damaged line in the middle of a segment blocks neither the rows before it nor those after', async (t) => {
  const d = dir();
  const good = (n: number) => encodeRow(row(n));
  writeFileSync(join(d, '500000000000.ndjson'), [good(1), 'garbage \u0000', good(2), '{"url":"https://a.example/x"}', good(3), ''].join('\n'));
  const spool = await Spool.open({ dir: d, maxBytes: 1_000_000 });
  t.equal(spool.rows, 5, 'every line counts until it is read');
  const seg = await spool.oldest();
  t.same(urls(seg?.rows ?? []), [1, 2, 3]);
  t.same(seg?.bad, ['garbage \u0000', '{"url":"https://a.example/x"}'], 'the raw text of each, in order');
  const other = await Spool.open({ dir: dir(), maxBytes: 1_000_000 });
  const walDir = dir();
  writeFileSync(join(walDir, '500000000000.ndjson'), [good(4), 'torn {"be', good(5), ''].join('\n'));
  writeFileSync(join(walDir, '500000000001.ndjson'), [good(6), '{"beaconId":'].join('\n'));
  const crashed = await Spool.open({ dir: walDir, maxBytes: 1_000_000 });
  t.same(await crashed.moveBefore(other), { moved: 3, bad: ['torn {"be', '{"beaconId":'] }, 'moveBefore moves the rows and returns what it could not read');
  t.same(readdirSync(walDir), [], 'the damaged segments are gone from where they were');
  const moved: number[] = [];
  for (let s = await other.oldest(); s !== null; s = await other.oldest()) {
    moved.push(...urls(s.rows));
    t.same(s.bad, [], 'nothing unreadable reaches the other spool');
    await other.remove(s.name);
  }
  t.same(moved, [4, 5, 6]);
});

t.test('as a write-ahead log: retire deletes segments whose rows are written; moveBefore hands rows to another spool', async (t) => {
  const wal = await Spool.open({ dir: dir(), maxBytes: Number.MAX_SAFE_INTEGER, segmentBytes: 1500 });
  for (let i = 0; i < 10; i++) wal.append([row(i)]);
  await wal.settle();
  await wal.retire(4);
  t.ok(wal.rows >= 6 && wal.rows <= 10, 'only whole written segments go');
  await wal.retire(6);
  t.equal(wal.rows, 0, 'all written: nothing kept');
  for (let i = 10; i < 15; i++) wal.append([row(i)]);
  const spool = await Spool.open({ dir: dir(), maxBytes: 10_000_000 });
  spool.append([row(99)]);
  t.same(await wal.moveBefore(spool), { moved: 5, bad: [] });
  const order: number[] = [];
  for (let seg = await spool.oldest(); seg !== null; seg = await spool.oldest()) {
    order.push(...urls(seg.rows));
    await spool.remove(seg.name);
  }
  t.same(order, [10, 11, 12, 13, 14, 99], 'the log\'s rows are older than the spool\'s');
});

t.test('appends during a slow fsync join the next write: one write waits at a time, not one per tick', async (t) => {
  // A disk whose fsync takes 20 ms. Before, each 1 ms group queued its own write (and held its
  // lines) behind the one in flight: the queue, and the heap, grew with the input rate.
  const probe = await open(join(dir(), 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
  await probe.close();
  const original = proto.datasync;
  let syncs = 0;
  proto.datasync = async function (this: unknown) {
    syncs++;
    await sleep(20); // the slow disk itself, not a wait for something
    return original.call(this);
  };
  t.teardown(() => {
    proto.datasync = original;
  });
  const spool = await Spool.open({ dir: dir(), maxBytes: 1e9, groupMs: 1 });
  const durable: Promise<boolean>[] = [];
  for (let i = 0; i < 200; i++) {
    durable.push(spool.append([row(i)]).durable);
    await sleep(1); // the input rate: one append per millisecond
  }
  t.ok((await Promise.all(durable)).every(Boolean), 'every append durable');
  t.ok(syncs < 40, `200 appends over ~${200} ms took ${syncs} fsyncs (about one per 20 ms fsync, not one per append)`);
  const segment = await spool.oldest();
  t.same(urls(segment?.rows ?? []), Array.from({ length: 200 }, (_, i) => i), 'in order');
  await spool.close();
});
