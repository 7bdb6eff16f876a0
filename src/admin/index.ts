// The admin HTTP listener's public face. Importing it loads no HTTP code: fastify and
// prom-client are imported by startAdmin when it runs.

export type { AdminOptions } from './options.js';
export { validateAdminOptions } from './options.js';
export type { AdminServer } from './server.js';
export { startAdmin } from './server.js';
