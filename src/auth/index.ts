// Authentication and authorization building blocks, for the broker and for embedders.

export type { AclIdentity } from './acl.js';
export { Acl, AclChecker } from './acl.js';
export type { AclAccess, AclRule, AclRules } from './acl-file.js';
export { parseAclFile } from './acl-file.js';
export { AuthFileError } from './errors.js';
export type { HashOptions, PasswordHash, ScryptFunction, ScryptParams } from './hash.js';
export {
  DEFAULT_SCRYPT_PARAMS,
  hashPassword,
  nodeScrypt,
  parseHash,
  verifyHash,
} from './hash.js';
export type { AuthClient, AuthHooks, AuthHooksOptions, AuthRequest } from './hooks.js';
export { createAuthHooks } from './hooks.js';
export type {
  Authenticator,
  PasswordAuthenticatorOptions,
  PasswordEntry,
  PasswordFileLine,
} from './password-file.js';
export {
  PasswordAuthenticator,
  parsePasswordFile,
  splitPasswordFile,
} from './password-file.js';
export type { ScramAuthOptions, ScramClient, ScramCredentials } from './scram.js';
export { createScramAuth, SCRAM_SHA_256, scramClient, scramCredentials } from './scram.js';
