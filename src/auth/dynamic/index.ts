// Dynamic security: runtime users, roles and per-client ACL rules kept in the broker's store.

export { attachDynamicSecurity } from './attach.js';
export { DynamicChecker } from './checker.js';
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
  SecurityRecord,
  SecurityUserView,
  UserChange,
} from './security.js';
export { DynamicSecurity } from './security.js';
