// Dynamic security: runtime users, roles and per-client ACL rules kept in the broker's store.

export { attachDynamicSecurity } from './attach.js';
export { DynamicChecker } from './checker.js';
export type { SecurityEntry, SecurityRecord } from './entries.js';
export { decodeEntry } from './entries.js';
export type { DynamicAuthHooks } from './hooks.js';
export { withDynamicSecurity } from './hooks.js';
export type {
  RuleAction,
  SecurityClient,
  SecurityRole,
  SecurityRule,
  SecurityUser,
} from './model.js';
export { SecurityError } from './model.js';
export type {
  DynamicAuthResult,
  DynamicSecurityOptions,
  NewUser,
  SecurityHost,
  SecurityUserView,
  UserChange,
} from './security.js';
export { DynamicSecurity } from './security.js';
