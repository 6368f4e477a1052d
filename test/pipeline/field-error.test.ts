import t from 'tap';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { BeaconSchema } from '../../src/pipeline/beacon-schema.js';
import { describeFieldError } from '../../src/pipeline/field-error.js';

const checker = TypeCompiler.Compile(BeaconSchema);
/** Every error TypeBox finds in `item`, described. */
const described = (item: object) => [...checker.Errors(item)].map(describeFieldError);

t.test('each rule of the field table, in words, with what was sent', async (t) => {
  t.same(described({ url: 'u', type: 'foo' }), ['type: must be one of pageview, event, click, error, performance (got "foo")']);
  t.same(described({ type: 'event' }), ['url: missing (required)', 'url: must be a string (got undefined)']);
  t.same(
    described({ url: 'u', type: 'event', timestamp: 'abc', viewportW: 0, viewportH: 2.5, name: 'n'.repeat(70), payload: [1], referrer: null }),
    [
      'name: must be at most 64 characters (got 70)',
      'referrer: must be a string (got null)',
      'timestamp: must be a number (got "abc")',
      'viewportW: must be at least 1 (got 0)',
      'viewportH: must be a whole number (got 2.5)',
      'payload: must be an object (got an array)',
    ],
  );
  t.same(described({ url: 'u', type: 'event', viewportW: 20_000, payload: 'x' }), ['viewportW: must be at most 10000 (got 20000)', 'payload: must be an object (got "x")']);
  t.same(described({ url: '', type: true }), ['url: must not be empty', 'type: must be one of pageview, event, click, error, performance (got true)']);
});

t.test('a long value is cut in the text; an unknown rule falls back to TypeBox\'s words', async (t) => {
  const [long] = described({ url: 'u', type: 'x'.repeat(500) });
  t.equal(long, `type: must be one of pageview, event, click, error, performance (got "${'x'.repeat(31)}…)`);
  const [extra] = described({ url: 'u', type: 'event', other: 1 });
  t.equal(extra, 'other: Unexpected property');
});
