// Local time for `-F`: glibc's strftime conversions in the C locale (what mosquitto_sub prints
// for `@c`, `%I` and `%U`), plus the time zone abbreviation read from the TZif file glibc uses.
import { readFileSync } from 'node:fs';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function p2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function p3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n);
}

function s2(n: number): string {
  return n < 10 ? ` ${n}` : String(n);
}

/** Day of the year, 0-based, from local calendar fields (no DST arithmetic involved). */
function yday(d: Date): number {
  return (
    (Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) - Date.UTC(d.getFullYear(), 0, 1)) /
    86_400_000
  );
}

/** ISO 8601 week-based year and week number (the week holding the year's first Thursday). */
function isoWeek(d: Date): { year: number; week: number } {
  const dow = d.getDay() === 0 ? 7 : d.getDay();
  const thursday = new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate() + 4 - dow));
  const year = thursday.getUTCFullYear();
  const day = (thursday.getTime() - Date.UTC(year, 0, 1)) / 86_400_000;
  return { year, week: Math.floor(day / 7) + 1 };
}

/** `%z`: the local offset from UTC as `+hhmm`. */
export function tzOffset(d: Date): string {
  const off = -d.getTimezoneOffset();
  const abs = Math.abs(off);
  return `${off < 0 ? '-' : '+'}${p2(Math.floor(abs / 60))}${p2(abs % 60)}`;
}

/** A zone's local time types and transitions, from a TZif file. */
interface Zone {
  offsets: number[];
  names: string[];
  /** Transition times (seconds) and the type index that starts at each. */
  times: number[];
  types: number[];
}

type TzifCounts = [number, number, number, number, number, number];

/** Parses a TZif file (the 64-bit block of version 2+ files, else version 1). */
export function parseTzif(buf: Buffer): Zone | undefined {
  if (buf.length < 44 || buf.toString('latin1', 0, 4) !== 'TZif') return undefined;
  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  const counts = (at: number): TzifCounts =>
    [0, 1, 2, 3, 4, 5].map((k) => buf.readUInt32BE(at + 20 + k * 4)) as TzifCounts;
  let at = 0;
  let [isut, isstd, leap, timecnt, typecnt, charcnt] = counts(0);
  let timeSize = 4;
  if (buf[4] !== 0) {
    // Skip the 32-bit block to the version 2 header.
    at = 44 + timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isut;
    if (buf.length < at + 44 || buf.toString('latin1', at, at + 4) !== 'TZif') return undefined;
    [isut, isstd, leap, timecnt, typecnt, charcnt] = counts(at);
    timeSize = 8;
  }
  let pos = at + 44;
  const times: number[] = [];
  for (let k = 0; k < timecnt; k++) {
    times.push(timeSize === 8 ? Number(buf.readBigInt64BE(pos)) : buf.readInt32BE(pos));
    pos += timeSize;
  }
  const types: number[] = [];
  for (let k = 0; k < timecnt; k++) types.push(buf[pos++] as number);
  const offsets: number[] = [];
  const idx: number[] = [];
  for (let k = 0; k < typecnt; k++) {
    offsets.push(buf.readInt32BE(pos));
    idx.push(buf[pos + 5] as number);
    pos += 6;
  }
  const chars = buf.subarray(pos, pos + charcnt);
  const names = idx.map((i) => {
    const end = chars.indexOf(0, i);
    return chars.toString('latin1', i, end < 0 ? chars.length : end);
  });
  if (offsets.length === 0) return undefined;
  return { offsets, names, times, types };
}

/** The abbreviation `zone` gives the instant `sec` whose local offset is `offset` seconds. */
export function zoneName(zone: Zone, sec: number, offset: number): string | undefined {
  let type = 0;
  for (let k = zone.times.length - 1; k >= 0; k--) {
    if ((zone.times[k] as number) <= sec) {
      type = zone.types[k] as number;
      break;
    }
  }
  if (zone.offsets[type] === offset) return zone.names[type];
  // Past the last transition the file's footer rule applies: the newest type of that offset.
  for (let k = zone.offsets.length - 1; k >= 0; k--) {
    if (zone.offsets[k] === offset) return zone.names[k];
  }
  return undefined;
}

/** The names of a POSIX TZ string ("EST5EDT", "<+0530>-5:30") and its standard offset. */
interface PosixNames {
  std: string;
  dst: string | undefined;
  /** Seconds east of UTC. */
  stdOffset: number;
}

function parsePosix(tz: string | undefined): PosixNames {
  const m =
    tz === undefined
      ? null
      : /^:?(<[^>]*>|[A-Za-z]{3,})([+-]?\d{1,2}(?::\d\d){0,2})?(<[^>]*>|[A-Za-z]{3,})?/.exec(tz);
  if (m === null) return { std: 'UTC', dst: undefined, stdOffset: 0 };
  const bare = (s: string): string => s.replace(/^<|>$/g, '');
  const [h = '0', mi = '0'] = (m[2] ?? '0').replace(/^[+-]/, '').split(':');
  return {
    std: bare(m[1] as string),
    dst: m[3] === undefined ? undefined : bare(m[3]),
    stdOffset: (m[2]?.startsWith('-') ? 1 : -1) * (Number(h) * 3600 + Number(mi) * 60),
  };
}

let zoneCache: { tz: string | undefined; zone: Zone | undefined; posix: PosixNames } | undefined;

/** What glibc would load for the current TZ (its TZif file, else the string), once per value. */
function currentZone(): { zone: Zone | undefined; posix: PosixNames } {
  const tz = process.env.TZ;
  if (zoneCache !== undefined && zoneCache.tz === tz) return zoneCache;
  let file = '/etc/localtime';
  if (tz !== undefined && tz !== '') {
    const name = tz.startsWith(':') ? tz.slice(1) : tz;
    file = name.startsWith('/') ? name : `${process.env.TZDIR ?? '/usr/share/zoneinfo'}/${name}`;
  }
  let zone: Zone | undefined;
  try {
    zone = parseTzif(readFileSync(file));
  } catch {
    zone = undefined;
  }
  zoneCache = { tz, zone, posix: parsePosix(tz === '' ? undefined : tz) };
  return zoneCache;
}

/** `%Z`: the time zone abbreviation, e.g. `CET`, `NST`, `UTC`. */
export function tzName(d: Date): string {
  const offset = -d.getTimezoneOffset() * 60;
  const { zone, posix } = currentZone();
  const name =
    zone === undefined ? undefined : zoneName(zone, Math.floor(d.getTime() / 1000), offset);
  if (name !== undefined) return name;
  // No zone file: the string's standard name, or its DST name away from the standard offset.
  return posix.dst !== undefined && offset !== posix.stdOffset ? posix.dst : posix.std;
}

/** `%FT%T%z`, mosquitto's `%I`: `2016-08-10T09:47:38+0100`. */
export function isoTime(d: Date): string {
  return (
    `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}T` +
    `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}${tzOffset(d)}`
  );
}

/**
 * One strftime conversion `%c` in the C locale, as glibc prints it; `ns` is for mosquitto's
 * own `N`. A character glibc does not know prints as itself after a `%`, as glibc does.
 */
export function strftime(c: string, d: Date, ns: number): string {
  const h12 = d.getHours() % 12 === 0 ? 12 : d.getHours() % 12;
  switch (c) {
    case 'a':
      return (DAYS[d.getDay()] as string).slice(0, 3);
    case 'A':
      return DAYS[d.getDay()] as string;
    case 'b':
    case 'h':
      return (MONTHS[d.getMonth()] as string).slice(0, 3);
    case 'B':
      return MONTHS[d.getMonth()] as string;
    case 'c':
      return `${strftime('a', d, ns)} ${strftime('b', d, ns)} ${s2(d.getDate())} ${strftime('T', d, ns)} ${d.getFullYear()}`;
    case 'C':
      return p2(Math.floor(d.getFullYear() / 100));
    case 'd':
      return p2(d.getDate());
    case 'D':
    case 'x':
      return `${p2(d.getMonth() + 1)}/${p2(d.getDate())}/${p2(d.getFullYear() % 100)}`;
    case 'e':
      return s2(d.getDate());
    case 'F':
      return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}`;
    case 'g':
      return p2(isoWeek(d).year % 100);
    case 'G':
      return String(isoWeek(d).year);
    case 'H':
      return p2(d.getHours());
    case 'I':
      return p2(h12);
    case 'j':
      return p3(yday(d) + 1);
    case 'k':
      return s2(d.getHours());
    case 'l':
      return s2(h12);
    case 'm':
      return p2(d.getMonth() + 1);
    case 'M':
      return p2(d.getMinutes());
    case 'n':
      return '\n';
    case 'N':
      return String(ns).padStart(9, '0');
    case 'p':
      return d.getHours() < 12 ? 'AM' : 'PM';
    case 'P':
      return d.getHours() < 12 ? 'am' : 'pm';
    case 'r':
      return `${p2(h12)}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${strftime('p', d, ns)}`;
    case 'R':
      return `${p2(d.getHours())}:${p2(d.getMinutes())}`;
    case 's':
      return String(Math.floor(d.getTime() / 1000));
    case 'S':
      return p2(d.getSeconds());
    case 't':
      return '\t';
    case 'T':
    case 'X':
      return `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
    case 'u':
      return String(d.getDay() === 0 ? 7 : d.getDay());
    case 'U':
      return p2(Math.floor((yday(d) + 7 - d.getDay()) / 7));
    case 'V':
      return p2(isoWeek(d).week);
    case 'w':
      return String(d.getDay());
    case 'W':
      return p2(Math.floor((yday(d) + 7 - ((d.getDay() + 6) % 7)) / 7));
    case 'y':
      return p2(d.getFullYear() % 100);
    case 'Y':
      return String(d.getFullYear());
    case 'z':
      return tzOffset(d);
    case 'Z':
      return tzName(d);
    case '%':
      return '%';
    default:
      return `%${c}`;
  }
}
