// `-F FORMAT` of `petrel sub` / `petrel rr`, checked and split once into parts, so that printing
// a message is a walk over a short list. The rules are mosquitto_sub's (2.0): the same checks
// and messages at parse time, and the same reading of flags, width and precision.

/** A parameter whose value depends on the message or the clock: `%[-][0][width][.precision]c`. */
export interface ParamPart {
  kind: 'param';
  /** The conversion character, e.g. `t` for `%t`. */
  conv: string;
  /** `-`: left-aligned, padded with blanks. */
  left: boolean;
  /** `0`: zero padding (only some parameters use it). */
  zero: boolean;
  /** Minimum width in bytes, 0 when absent. */
  width: number;
  /** Maximum width in bytes, -1 when absent. */
  precision: number;
}

/** `@c`: the strftime conversion `%c` of the local time (`N` = nanoseconds). */
export interface TimePart {
  kind: 'time';
  conv: string;
}

/** Bytes printed as they are (literal text, escapes, `%%`, `@@`). */
export interface TextPart {
  kind: 'text';
  bytes: Buffer;
}

/** One piece of a parsed format. */
export type FormatPart = ParamPart | TimePart | TextPart;

/** A format string mosquitto_sub would refuse; the message is mosquitto's, without "Error: ". */
export class FormatError extends Error {}

/** Conversion characters accepted after `%` (besides `%`). */
const PARAMS = new Set('ACDEFIlmPpqRSrtjJUxX');

/** Bytes of the `\` escapes. */
const ESCAPES: Record<string, number> = {
  '\\': 0x5c,
  '0': 0x00,
  a: 0x07,
  e: 0x1b,
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  v: 0x0b,
};

const PERCENT = 0x25;
const AT = 0x40;
const BACKSLASH = 0x5c;

function isDigit(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x39;
}

/**
 * Checks and parses a `-F` format. Works on the UTF-8 bytes, as mosquitto does: a conversion
 * character is one byte. Throws {@link FormatError} with mosquitto's message.
 */
export function parseFormat(format: string): FormatPart[] {
  const f = Buffer.from(format, 'utf8');
  const len = f.length;
  const parts: FormatPart[] = [];
  let text: number[] = [];
  const flush = (): void => {
    if (text.length > 0) parts.push({ kind: 'text', bytes: Buffer.from(text) });
    text = [];
  };
  const incomplete = (): FormatError => new FormatError('Incomplete format specifier.');
  for (let i = 0; i < len; i++) {
    const c = f[i] as number;
    if (c === PERCENT) {
      if (i === len - 1) throw incomplete();
      let left = false;
      let zero = false;
      let width = 0;
      let precision = -1;
      // mosquitto checks for one flag character, but its printer also takes a `0` after `-`
      // as the padding flag (it still pads a missing property with zeros: `%-05S`).
      if (f[i + 1] === 0x2d) {
        left = true;
        i++;
        if (i === len - 1) throw incomplete();
        if (f[i + 1] === 0x30) zero = true;
      } else if (f[i + 1] === 0x30) {
        zero = true;
        i++;
        if (i === len - 1) throw incomplete();
      }
      while (isDigit(f[i + 1])) {
        width = width * 10 + ((f[i + 1] as number) - 0x30);
        i++;
        if (i === len - 1) throw incomplete();
      }
      if (f[i + 1] === 0x2e) {
        i++;
        if (i === len - 1) throw incomplete();
        precision = 0;
        while (isDigit(f[i + 1])) {
          precision = precision * 10 + ((f[i + 1] as number) - 0x30);
          i++;
          if (i === len - 1) throw incomplete();
        }
      }
      const conv = String.fromCharCode(f[i + 1] as number);
      i++;
      if (conv === '%') {
        text.push(PERCENT);
      } else if (PARAMS.has(conv)) {
        flush();
        parts.push({ kind: 'param', conv, left, zero, width, precision });
      } else {
        throw new FormatError(`Invalid format specifier '${conv}'.`);
      }
    } else if (c === AT) {
      if (i === len - 1) throw incomplete();
      i++;
      const next = f[i] as number;
      if (next === AT) text.push(AT);
      else {
        flush();
        parts.push({ kind: 'time', conv: String.fromCharCode(next) });
      }
    } else if (c === BACKSLASH) {
      if (i === len - 1) throw new FormatError('Incomplete escape specifier.');
      i++;
      const e = ESCAPES[String.fromCharCode(f[i] as number)];
      if (e === undefined) {
        throw new FormatError(`Invalid escape specifier '${String.fromCharCode(f[i] as number)}'.`);
      }
      text.push(e);
    } else {
      text.push(c);
    }
  }
  flush();
  return parts;
}
