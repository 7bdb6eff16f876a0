// ACL rules as text, one per line, in the form `petrel ctl` takes (allow|deny:ACTION:FILTER), so
// the editor and the command line read the same.

/** A rule as the API carries it. */
export interface Rule {
  action: 'publish' | 'subscribe' | 'read';
  topic: string;
  permission: 'allow' | 'deny';
}

const RULE = /^(allow|deny):(publish|subscribe|read):(.+)$/;

/** Rules from text; throws naming the first line that is not a rule (blank lines skipped). */
export function parseRules(text: string): Rule[] {
  const out: Rule[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const m = RULE.exec(line);
    if (m === null) {
      throw new Error(
        `line ${i + 1}: expected allow|deny:publish|subscribe|read:FILTER, got "${line}"`,
      );
    }
    out.push({
      permission: m[1] as Rule['permission'],
      action: m[2] as Rule['action'],
      topic: m[3] as string,
    });
  });
  return out;
}

/** One rule as a line. */
export function formatRule(r: Rule): string {
  return `${r.permission}:${r.action}:${r.topic}`;
}
