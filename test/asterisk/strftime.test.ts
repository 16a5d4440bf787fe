import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asteriskStrftime, type LocalTime } from '../../src/asterisk/strftime.js';

const T: LocalTime = {
  year: 2026,
  month: 3,
  day: 1,
  hour: 9,
  minute: 5,
  second: 7,
  ms: 123,
  micros: 123456,
  weekday: 0,
  offsetMinutes: 180,
  zone: 'MSK',
  epochSeconds: 1772345107,
};

test('the snippet dateformat prints milliseconds', () => {
  assert.equal(asteriskStrftime('%F %T.%3q', T), '2026-03-01 09:05:07.123');
});

test("Asterisk's default %b %e %T pads the day with a space and has no year", () => {
  assert.equal(asteriskStrftime('%b %e %T', T), 'Mar  1 09:05:07');
});

test('%q is milliseconds, %1q..%6q that many fraction digits', () => {
  assert.equal(asteriskStrftime('%q|%1q|%6q', T), '123|1|123456');
});

test('other conversions in the C locale', () => {
  assert.equal(
    asteriskStrftime('%a %A %B %d %D %H %I %j %k %l %m %M %p %R %s %S %u %w %y %Y %z %Z %%', T),
    'Sun Sunday March 01 03/01/26 09 09 060  9  9 03 05 AM 09:05 1772345107 07 7 0 26 2026 +0300 MSK %',
  );
});

test('a conversion strftime does not know makes the format unprintable', () => {
  assert.equal(asteriskStrftime('%F %K', T), null);
  assert.equal(asteriskStrftime('%F %', T), null);
});
