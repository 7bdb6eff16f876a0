import type { ConformanceCase } from '../types.js';
import { connectCases } from './connect.js';
import { controlCases } from './control.js';
import { flowCases } from './flow.js';
import { publishCases } from './publish.js';
import { sessionCases } from './session.js';
import { subscribeCases } from './subscribe.js';
import { unsubscribeCases } from './unsubscribe.js';
import { v5Cases } from './v5.js';

/** Every conformance case, in a stable order. */
export const allCases: ConformanceCase[] = [
  ...connectCases,
  ...publishCases,
  ...subscribeCases,
  ...unsubscribeCases,
  ...controlCases,
  ...sessionCases,
  ...v5Cases,
  ...flowCases,
];

const seen = new Set<string>();
for (const c of allCases) {
  if (seen.has(c.id)) throw new Error(`duplicate conformance case id ${c.id}`);
  seen.add(c.id);
}
