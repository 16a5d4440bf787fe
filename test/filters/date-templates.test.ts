import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDateParser } from '../../src/filters/date-templates.js';
import { parseTimeZone } from '../../src/core/time-zone.js';
import { VoipguardError } from '../../src/core/errors.js';

const UTC = parseTimeZone('UTC');
const readAt = Date.UTC(2026, 2, 2);

test("Asterisk's dateformats %F %T, %F %T.%3q and %b %e %T read as datepattern", () => {
  const p = buildDateParser('{^LN-BEG}%F %T.%3q\n{^LN-BEG}%F %T\n{^LN-BEG}%b %e %T', UTC);
  assert.equal(p.find('[2026-03-01 10:15:30.123] NOTICE', readAt)?.time, Date.UTC(2026, 2, 1, 10, 15, 30, 123));
  assert.equal(p.find('[2026-03-01 10:15:30] NOTICE', readAt)?.time, Date.UTC(2026, 2, 1, 10, 15, 30));
  const hit = p.find('[Mar  1 10:15:30] NOTICE', readAt)!;
  assert.equal(hit.time, Date.UTC(2026, 2, 1, 10, 15, 30));
  assert.equal(hit.format, '{^LN-BEG}%b %e %T');
  assert.deepEqual([hit.start, hit.end], [1, 16]);
});

test('%1q..%6q read that many fraction digits; %z and a UTC %Z override the zone', () => {
  const p = buildDateParser('%Y-%m-%dT%H:%M:%S.%6q%z', parseTimeZone('+0500'));
  assert.equal(p.find('2026-03-01T10:15:30.123456+0100 x', readAt)?.time, Date.UTC(2026, 2, 1, 9, 15, 30, 123));
  const z = buildDateParser('%F %T %Z', parseTimeZone('+0500'));
  assert.equal(z.find('2026-03-01 10:15:30 UTC', readAt)?.time, Date.UTC(2026, 2, 1, 10, 15, 30));
  assert.equal(z.find('2026-03-01 10:15:30 CET', readAt)?.time, Date.UTC(2026, 2, 1, 5, 15, 30));
});

test('%I %p, %s (epoch) and the EPOCH / ISO8601 names', () => {
  assert.equal(buildDateParser('%m/%d/%Y %I:%M:%S %p', UTC).find('03/01/2026 01:02:03 PM', readAt)?.time, Date.UTC(2026, 2, 1, 13, 2, 3));
  assert.equal(buildDateParser('EPOCH', UTC).find('1772360130.5 x', readAt)?.time, 1772360130500);
  assert.equal(buildDateParser('{^LN-BEG}ISO8601', UTC).find('2026-03-01T10:15:30Z x', readAt)?.time, Date.UTC(2026, 2, 1, 10, 15, 30));
});

test('without a datepattern the earliest date in the line wins, not a later one in caller text', () => {
  const p = buildDateParser(undefined, UTC);
  const hit = p.find('[Mar  1 10:15:30] NOTICE x: EventTV="2001-01-01T00:00:00.000+0000"', readAt)!;
  assert.equal(hit.time, Date.UTC(2026, 2, 1, 10, 15, 30));
  assert.equal(hit.start, 1);
});

test('{^LN-BEG} only accepts a date at the start of the line', () => {
  const p = buildDateParser('{^LN-BEG}', UTC);
  assert.equal(p.find('NOTICE[1]: x 2026-03-01 10:15:30', readAt), null);
  assert.notEqual(p.find('[2026-03-01 10:15:30] x', readAt), null);
});

test('an impossible date is no date at all', () => {
  const p = buildDateParser(undefined, UTC);
  assert.equal(p.find('[2026-02-30 10:15:30] x', readAt), null);
  assert.equal(p.find('[Feb 30 10:15:30] x', readAt), null);
  assert.equal(p.find('[2026-03-01 25:15:30] x', readAt), null);
  assert.equal(p.find('no date here', readAt), null);
});

test('a year-less date belongs to the year that puts it just before it was read', () => {
  const p = buildDateParser('%b %e %T', UTC);
  assert.equal(p.find('Dec 31 23:59:59', Date.UTC(2027, 0, 1, 0, 0, 5))?.time, Date.UTC(2026, 11, 31, 23, 59, 59));
  assert.equal(p.find('Jan  1 00:00:20', Date.UTC(2026, 11, 31, 23, 59, 50))?.time, Date.UTC(2027, 0, 1, 0, 0, 20));
  assert.equal(p.find('Nov  4 18:30:40', Date.UTC(2026, 2, 2))?.time, Date.UTC(2025, 10, 4, 18, 30, 40));
  assert.equal(p.find('Feb 29 12:00:00', Date.UTC(2027, 2, 1))?.time, Date.UTC(2024, 1, 29, 12));
});

test('time zones: fixed offsets, IANA names with summer time, and errors for unknown ones', () => {
  assert.equal(parseTimeZone('UTC+3').toEpoch({ year: 2026, month: 3, day: 1, hour: 10, minute: 0, second: 0, ms: 0 }), Date.UTC(2026, 2, 1, 7));
  assert.equal(parseTimeZone('-05:30').toEpoch({ year: 2026, month: 3, day: 1, hour: 10, minute: 0, second: 0, ms: 0 }), Date.UTC(2026, 2, 1, 15, 30));
  const berlin = parseTimeZone('Europe/Berlin');
  assert.equal(berlin.toEpoch({ year: 2026, month: 1, day: 15, hour: 12, minute: 0, second: 0, ms: 0 }), Date.UTC(2026, 0, 15, 11));
  assert.equal(berlin.toEpoch({ year: 2026, month: 7, day: 15, hour: 12, minute: 0, second: 0, ms: 0 }), Date.UTC(2026, 6, 15, 10));
  assert.equal(berlin.yearAt(Date.UTC(2026, 11, 31, 23, 30)), 2027);
  assert.throws(
    () => parseTimeZone('Mars/Olympus', { key: 'logtimezone' }),
    (e: unknown) => e instanceof VoipguardError && e.code === 'VG_CONFIG_TYPE' && e.place.key === 'logtimezone',
  );
  assert.throws(() => parseTimeZone('+2500'), VoipguardError);
});

test('a datepattern that cannot work is a VG_FILTER_DATEPATTERN error naming where it was written', () => {
  const place = { file: 'filter.d/x.conf', section: 'Definition', key: 'datepattern', line: 7 };
  for (const bad of ['%Q %T', '%Y %Y', '%F (unclosed']) {
    assert.throws(
      () => buildDateParser(bad, UTC, place),
      (e: unknown) => e instanceof VoipguardError && e.code === 'VG_FILTER_DATEPATTERN' && e.place.line === 7,
      bad,
    );
  }
});
