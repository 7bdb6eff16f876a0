/** Lifecycle of a connection (`Connection.state`). */
export const ConnState = {
  /** Accepted, waiting for CONNECT. */
  AwaitConnect: 0,
  /** CONNECT received, authentication (maybe asynchronous) in progress. */
  Authenticating: 1,
  /** CONNACK sent. */
  Connected: 2,
  Closed: 3,
} as const;

/** Marks a remote address not read from the socket yet (`Connection.remoteAddress` reads it when first asked). */
export const UNREAD: unique symbol = Symbol('petrel.unread');
