// `-F %j` and `%J` as mosquitto_sub 2.0 prints them (built with cJSON): strings are C strings
// (cut at the first NUL byte) escaped byte by byte, other bytes are copied as they are; `%J`
// re-prints the payload after parsing it the way cJSON does.

/** Appends `s` (bytes up to the first NUL) as a cJSON string literal. */
export function jsonString(out: number[], s: Uint8Array): void {
  out.push(0x22);
  for (let i = 0; i < s.length; i++) {
    const b = s[i] as number;
    if (b === 0) break;
    if (b === 0x22 || b === 0x5c) out.push(0x5c, b);
    else if (b >= 0x20) out.push(b);
    else if (b === 0x08) out.push(0x5c, 0x62);
    else if (b === 0x0c) out.push(0x5c, 0x66);
    else if (b === 0x0a) out.push(0x5c, 0x6e);
    else if (b === 0x0d) out.push(0x5c, 0x72);
    else if (b === 0x09) out.push(0x5c, 0x74);
    else {
      const hex = b.toString(16).padStart(4, '0');
      out.push(0x5c, 0x75);
      for (let k = 0; k < 4; k++) out.push(hex.charCodeAt(k));
    }
  }
  out.push(0x22);
}

/** Appends ASCII text. */
export function ascii(out: number[], s: string): void {
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
}

/** C's `%1.<p>g`. */
function gFormat(d: number, p: number): string {
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const [mant = '', expStr = '0'] = d.toExponential(p - 1).split('e');
  const exp = Number(expStr);
  const trim = (s: string): string => (s.includes('.') ? s.replace(/\.?0+$/, '') : s);
  if (exp < -4 || exp >= p) {
    const e = Math.abs(exp);
    return `${trim(mant)}e${exp < 0 ? '-' : '+'}${e < 10 ? `0${e}` : e}`;
  }
  return trim(d.toFixed(Math.max(0, p - 1 - exp)));
}

/** A number as cJSON prints it: 15 significant digits, 17 when 15 do not read back equal. */
export function cjsonNumber(d: number): string {
  if (!Number.isFinite(d)) return 'null';
  const short = gFormat(d, 15);
  const back = Number(short);
  return Math.abs(back - d) <= Math.max(Math.abs(back), Math.abs(d)) * Number.EPSILON
    ? short
    : gFormat(d, 17);
}

/** cJSON's nesting limit. */
const MAX_DEPTH = 1000;

/**
 * Parses `src` as cJSON does and appends its unformatted print to `out`; false (and `out`
 * possibly half written) when cJSON would refuse it.
 */
export function reprintJson(out: number[], src: Uint8Array): boolean {
  // cJSON reads a C string, and mosquitto then requires it to end exactly at the payload's end.
  if (src.includes(0)) return false;
  const end = src.length;
  let i = 0;
  if (src[0] === 0xef && src[1] === 0xbb && src[2] === 0xbf) i = 3;
  const ws = (): void => {
    while (i < end && (src[i] as number) <= 0x20) i++;
  };
  const literal = (word: string): boolean => {
    for (let k = 0; k < word.length; k++) if (src[i + k] !== word.charCodeAt(k)) return false;
    i += word.length;
    ascii(out, word);
    return true;
  };
  const hex4 = (at: number): number => {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = src[at + k];
      if (c === undefined) return -1;
      const d =
        c >= 0x30 && c <= 0x39
          ? c - 0x30
          : c >= 0x41 && c <= 0x46
            ? c - 0x37
            : c >= 0x61 && c <= 0x66
              ? c - 0x57
              : -1;
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    return v;
  };
  const string = (): boolean => {
    i++; // opening quote
    const bytes: number[] = [];
    for (;;) {
      if (i >= end) return false;
      const b = src[i] as number;
      if (b === 0x22) break;
      if (b !== 0x5c) {
        bytes.push(b);
        i++;
        continue;
      }
      const e = src[i + 1];
      i += 2;
      if (e === 0x62) bytes.push(0x08);
      else if (e === 0x66) bytes.push(0x0c);
      else if (e === 0x6e) bytes.push(0x0a);
      else if (e === 0x72) bytes.push(0x0d);
      else if (e === 0x74) bytes.push(0x09);
      else if (e === 0x22 || e === 0x5c || e === 0x2f) bytes.push(e);
      else if (e === 0x75) {
        let cp = hex4(i);
        if (cp < 0 || (cp >= 0xdc00 && cp <= 0xdfff)) return false;
        i += 4;
        if (cp >= 0xd800 && cp <= 0xdbff) {
          const lo = src[i] === 0x5c && src[i + 1] === 0x75 ? hex4(i + 2) : -1;
          if (lo < 0xdc00 || lo > 0xdfff) return false;
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          i += 6;
        }
        for (const b8 of Buffer.from(String.fromCodePoint(cp), 'utf8')) bytes.push(b8);
      } else return false;
    }
    i++; // closing quote
    jsonString(out, Uint8Array.from(bytes));
    return true;
  };
  const digits = (at: number): number => {
    let j = at;
    while (j < end && (src[j] as number) >= 0x30 && (src[j] as number) <= 0x39) j++;
    return j;
  };
  const number = (): boolean => {
    // cJSON hands the number characters to strtod, which reads the longest number there.
    let j = i;
    if (src[j] === 0x2d) j++;
    const intEnd = digits(j);
    let mantEnd = intEnd;
    if (src[intEnd] === 0x2e && intEnd < end) mantEnd = digits(intEnd + 1);
    if (mantEnd - j - (mantEnd > intEnd ? 1 : 0) === 0) return false;
    j = mantEnd;
    if ((src[j] === 0x65 || src[j] === 0x45) && j < end) {
      let k = j + 1;
      if ((src[k] === 0x2b || src[k] === 0x2d) && k < end) k++;
      const expEnd = digits(k);
      if (expEnd > k) j = expEnd;
    }
    const text = Buffer.from(src.subarray(i, j)).toString('latin1');
    i = j;
    ascii(out, cjsonNumber(Number(text.endsWith('.') ? text.slice(0, -1) : text)));
    return true;
  };
  const value = (depth: number): boolean => {
    const c = src[i];
    if (i >= end || c === undefined) return false;
    if (c === 0x6e) return literal('null');
    if (c === 0x66) return literal('false');
    if (c === 0x74) return literal('true');
    if (c === 0x22) return string();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return number();
    if (c === 0x5b || c === 0x7b) {
      if (depth >= MAX_DEPTH) return false;
      const object = c === 0x7b;
      const close = object ? 0x7d : 0x5d;
      out.push(c);
      i++;
      ws();
      if (src[i] === close && i < end) {
        i++;
        out.push(close);
        return true;
      }
      for (let first = true; ; first = false) {
        if (!first) out.push(0x2c);
        ws();
        if (object) {
          if (src[i] !== 0x22 || i >= end || !string()) return false;
          ws();
          if (src[i] !== 0x3a || i >= end) return false;
          out.push(0x3a);
          i++;
          ws();
        }
        if (!value(depth + 1)) return false;
        ws();
        if (i >= end) return false;
        if (src[i] === 0x2c) {
          i++;
          continue;
        }
        if (src[i] !== close) return false;
        i++;
        out.push(close);
        return true;
      }
    }
    return false;
  };
  ws();
  if (!value(0)) return false;
  ws();
  return i === end;
}
