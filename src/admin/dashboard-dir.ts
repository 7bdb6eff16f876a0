// Where the bundled dashboard lives: `npm run build` (scripts/build-dashboard.mjs) writes it to
// dist/src/admin/dashboard/, beside this module's compiled file, so the path holds both in the
// work tree and in the published package.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The directory of the dashboard's index.html, app.js and app.css. */
export const DASHBOARD_DIR = fileURLToPath(new URL('./dashboard/', import.meta.url));

/** Why the dashboard cannot be served (not built), or undefined when it can. */
export function dashboardProblem(dir = DASHBOARD_DIR): string | undefined {
  return existsSync(`${dir}index.html`) && existsSync(`${dir}app.js`)
    ? undefined
    : `the dashboard is not built in ${dir} (run npm run build): GET / answers 404`;
}
