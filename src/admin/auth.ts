// Bearer-token check of the admin API. Tokens are compared as SHA-256 digests with
// timingSafeEqual, so neither the length nor a prefix of a valid token leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** The configured tokens; `check` reads the Authorization header only (never a cookie). */
export class TokenCheck {
  private readonly digests: Buffer[];

  constructor(tokens: readonly string[]) {
    this.digests = tokens.map(digest);
  }

  /** Whether requests need a token at all. */
  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** Whether `authorization` (the header's value) carries one of the tokens. */
  check(authorization: string | undefined): boolean {
    if (!this.enabled) return true;
    if (authorization === undefined) return false;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (m === null) return false;
    const d = digest(m[1] as string);
    let ok = false;
    // Every digest is compared, so the time does not tell which token matched.
    for (const t of this.digests) ok = timingSafeEqual(d, t) || ok;
    return ok;
  }
}
