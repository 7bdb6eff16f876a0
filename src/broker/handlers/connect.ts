import { randomBytes } from 'node:crypto';
import { PacketType } from '../../codec/constants.js';
import { encodePacket } from '../../codec/encode.js';
import { MqttError, protocolError } from '../../codec/errors.js';
import { ReasonCode } from '../../codec/reason-codes.js';
import type { ConnectPacket, Properties, Will } from '../../codec/types.js';
import { peerIdentity } from '../../transport/tls.js';
import { ConnState } from '../conn-state.js';
import type { Connection } from '../connection.js';
import type { AuthenticateResult, EnhancedAuthResult } from '../hooks.js';
import { isPromise } from '../hooks.js';
import { checkTopicLimits, longerThan } from '../limits.js';
import { BRIDGE_STATE_TOPICS, TRUSTED_ID_PREFIX } from '../listener.js';
import type { ResolvedOptions } from '../options.js';
import { fail, rejectWith } from '../refuse.js';
import { importSession } from '../session/handover.js';
import { attachSession } from '../session/registry.js';

/** What is kept between CONNECT and the end of (possibly asynchronous) authentication. */
export interface PendingConnect {
  packet: ConnectPacket;
  assignedId: string | undefined;
}

/**
 * CONNECT: validates identity, limits and will, runs authentication (basic hook, or v5 enhanced
 * authentication), then attaches the session and sends CONNACK.
 */
export function handleConnect(conn: Connection, p: ConnectPacket): void {
  const broker = conn.broker;
  const o = broker.options;
  conn.protocolVersion = p.protocolVersion;
  conn.state = ConnState.Authenticating;
  const bucket = conn.listener.connectBucket;
  if (bucket !== undefined && !bucket.take(1, broker.clock.now)) {
    broker.stats.connectsRefused++;
    throw new MqttError(
      'CONNECT_RATE',
      'connect rate of the listener exceeded',
      ReasonCode.ConnectionRateExceeded,
    );
  }
  const assignedId = takeClientId(conn, p);
  conn.username = p.username;
  const certified = takeCertificateIdentity(conn);
  if (
    p.protocolVersion !== 5 &&
    o.maxKeepAlive < 65535 &&
    (p.keepAlive > o.maxKeepAlive || p.keepAlive === 0)
  ) {
    // 3.x cannot be told a lower keep-alive (v5 gets Server Keep Alive): refuse, as Mosquitto does.
    throw new MqttError(
      'KEEP_ALIVE_TOO_LONG',
      `keep-alive ${p.keepAlive} exceeds the maximum of ${o.maxKeepAlive}`,
      ReasonCode.ClientIdentifierNotValid,
    );
  }
  conn.bridge = p.bridge === true;
  if (p.will !== undefined) checkWill(p.will, o, conn.bridge);
  if (p.protocolVersion === 5 && o.serverReference !== undefined) {
    const reason = o.serverMoved ? ReasonCode.ServerMoved : ReasonCode.UseAnotherServer;
    rejectWith(conn, reason, undefined, false, o.serverReference);
    return;
  }
  const pending: PendingConnect = { packet: p, assignedId };
  conn.pendingConnect = pending;
  authenticate(conn, pending, certified);
}

/**
 * Checks the client identifier and sets `conn.clientId`, assigning one to a client that sent
 * none where the version allows it. Returns the assigned identifier a v5 CONNACK announces.
 */
function takeClientId(conn: Connection, p: ConnectPacket): string | undefined {
  const o = conn.broker.options;
  let clientId = p.clientId;
  if (longerThan(clientId, o.maxClientIdLength)) {
    throw new MqttError(
      'CLIENT_ID_TOO_LONG',
      'client identifier too long',
      ReasonCode.ClientIdentifierNotValid,
    );
  }
  if (p.protocolVersion === 3 && clientId.length > 23) {
    // MQTT 3.1 limits client ids to 23 characters (return code 2).
    throw new MqttError(
      'CLIENT_ID_TOO_LONG',
      'MQTT 3.1 client identifier longer than 23 characters',
      ReasonCode.ClientIdentifierNotValid,
      'MQTT-3.1.3-9',
    );
  }
  if (clientId.startsWith(TRUSTED_ID_PREFIX) && !conn.listener.trusted) {
    throw new MqttError(
      'CLIENT_ID_RESERVED',
      `client identifiers starting with ${TRUSTED_ID_PREFIX} are reserved for bridges`,
      ReasonCode.ClientIdentifierNotValid,
    );
  }
  let assignedId: string | undefined;
  if (clientId === '') {
    // 3.1 requires an id; 3.1.1 only with Clean Session ([MQTT-3.1.3-8]); v5 always assigns one.
    if (!o.allowEmptyClientId || p.protocolVersion === 3 || (p.protocolVersion === 4 && !p.clean)) {
      throw new MqttError(
        'CLIENT_ID_REJECTED',
        'empty client identifier not allowed',
        ReasonCode.ClientIdentifierNotValid,
        'MQTT-3.1.3-8',
      );
    }
    clientId = `petrel-${randomBytes(8).toString('hex')}`;
    if (p.protocolVersion === 5) assignedId = clientId;
  }
  conn.clientId = clientId;
  return assignedId;
}

/**
 * On a `useIdentityAsUsername` listener, a verified client certificate names the user and stands
 * in for the password: returns true once its identity is the connection's user name.
 */
function takeCertificateIdentity(conn: Connection): boolean {
  if (!conn.listener.useIdentityAsUsername) return false;
  const identity = conn.peer === undefined ? undefined : peerIdentity(conn.peer);
  if (identity === undefined) {
    conn.broker.stats.connectsRefused++;
    throw new MqttError(
      'NO_CERTIFICATE_IDENTITY',
      'a verified client certificate is required on this listener',
      ReasonCode.NotAuthorized,
    );
  }
  conn.username = identity;
  return true;
}

/** A will the broker could not publish is refused at CONNECT. */
function checkWill(will: Will, o: ResolvedOptions, bridge: boolean): void {
  checkTopicLimits(will.topic, o);
  if (will.qos > o.maximumQoS) {
    throw new MqttError(
      'WILL_QOS_NOT_SUPPORTED',
      'will QoS not supported',
      ReasonCode.QoSNotSupported,
      'MQTT-3.2.2-12',
    );
  }
  if (will.retain && !o.retainAvailable) {
    throw new MqttError(
      'WILL_RETAIN_NOT_SUPPORTED',
      'retain not supported',
      ReasonCode.RetainNotSupported,
      'MQTT-3.2.2-13',
    );
  }
  // A Mosquitto bridge's notification will (`0` when it drops) is the one will allowed in $SYS.
  if (will.topic.startsWith('$SYS') && !(bridge && will.topic.startsWith(BRIDGE_STATE_TOPICS))) {
    throw new MqttError('WILL_TOPIC_FORBIDDEN', 'will topic in $SYS', ReasonCode.NotAuthorized);
  }
}

/**
 * Authenticates the client: anonymous policy, the bound on authentications in progress, then
 * v5 enhanced authentication or the `authenticate` hook (possibly asynchronous); success attaches
 * the session.
 */
function authenticate(conn: Connection, pending: PendingConnect, certified: boolean): void {
  const broker = conn.broker;
  const p = pending.packet;
  const listener = conn.listener;
  if (listener.trusted) {
    completeConnect(conn, pending, undefined);
    return;
  }
  const method = p.protocolVersion === 5 ? p.properties?.authenticationMethod : undefined;
  if (!certified && !listener.allowAnonymous) {
    // Secure default (as Mosquitto 2.0): off loopback, a client must prove who it is. Without
    // a user name, or with nothing that could check one, there is no proof.
    const verifiable =
      method !== undefined || (p.username !== undefined && broker.hooks.authenticate !== undefined);
    if (!verifiable) {
      broker.stats.connectsRefused++;
      throw new MqttError(
        'ANONYMOUS_REFUSED',
        'anonymous clients are not allowed on this listener',
        ReasonCode.NotAuthorized,
      );
    }
  }
  if (!certified && listener.pending >= listener.maxPendingConnects) {
    // Bounds the work (scrypt, remote lookups) a CONNECT storm can queue up.
    broker.stats.connectsRefused++;
    throw new MqttError(
      'TOO_MANY_PENDING_CONNECTS',
      'too many CONNECTs being authenticated',
      ReasonCode.ServerBusy,
    );
  }
  if (method !== undefined) {
    if (broker.hooks.enhancedAuth === undefined) {
      throw new MqttError(
        'BAD_AUTH_METHOD',
        `authentication method ${method} not supported`,
        ReasonCode.BadAuthenticationMethod,
      );
    }
    conn.authMethod = method;
    conn.authStep = 0;
    runEnhancedAuth(conn, p.properties?.authenticationData, false);
    return;
  }
  const auth = broker.hooks.authenticate;
  if (auth === undefined || certified) {
    completeConnect(conn, pending, undefined);
    return;
  }
  let result: AuthenticateResult | Promise<AuthenticateResult>;
  try {
    result = auth({
      clientId: conn.clientId,
      username: p.username,
      password: p.password,
      protocolVersion: p.protocolVersion,
      remoteAddress: conn.remoteAddress,
      properties: p.properties,
    });
  } catch (err) {
    broker.log.warn({ clientId: conn.clientId, err }, 'authenticate hook threw');
    result = false;
  }
  if (!isPromise(result)) {
    finishAuthenticate(conn, pending, result);
    return;
  }
  settleHook(
    conn,
    result,
    (r) => finishAuthenticate(conn, pending, r),
    (err) => {
      broker.log.warn({ clientId: conn.clientId, err }, 'authenticate hook rejected');
      return false;
    },
  );
}

/**
 * Waits for an authentication hook's promise with reading paused, counted against the
 * listener's CONNECTs being authenticated; a rejection becomes the value `onReject` gives.
 */
function settleHook<T>(
  conn: Connection,
  result: Promise<T>,
  finish: (r: T) => void,
  onReject: (err: unknown) => T,
): void {
  const listener = conn.listener;
  conn.block();
  listener.pending++;
  result.then(
    (r) => {
      listener.pending--;
      finish(r);
      conn.unblock();
    },
    (err: unknown) => {
      listener.pending--;
      finish(onReject(err));
      conn.unblock();
    },
  );
}

function finishAuthenticate(
  conn: Connection,
  pending: PendingConnect,
  r: AuthenticateResult,
): void {
  if (conn.state === ConnState.Closed) return;
  if (r === true) {
    completeConnect(conn, pending, undefined);
    return;
  }
  if (r === false) {
    conn.broker.stats.authFailures++;
    // Without a user name there were no credentials to be wrong: the client is refused for being
    // anonymous, 5 / 0x87 Not authorized, as Mosquitto 2.0 answers with a password file.
    const code =
      pending.packet.username === undefined
        ? ReasonCode.NotAuthorized
        : ReasonCode.BadUserNameOrPassword;
    rejectWith(conn, code, undefined, false);
    return;
  }
  if (r.reasonCode < 0x80) {
    completeConnect(conn, pending, undefined);
    return;
  }
  conn.broker.stats.authFailures++;
  rejectWith(conn, r.reasonCode, r.reasonString, false, r.serverReference);
}

/**
 * Runs one step of v5 enhanced authentication (on CONNECT or on each AUTH from the client).
 * `reauth` is true for re-authentication on a connected session (AUTH 0x19).
 */
export function runEnhancedAuth(conn: Connection, data: Buffer | undefined, reauth: boolean): void {
  const broker = conn.broker;
  const hook = broker.hooks.enhancedAuth;
  if (hook === undefined || conn.authMethod === undefined) {
    throw protocolError('AUTH_UNEXPECTED', 'no authentication in progress');
  }
  let result: EnhancedAuthResult | Promise<EnhancedAuthResult>;
  try {
    result = hook({
      clientId: conn.clientId,
      username: conn.username,
      protocolVersion: conn.protocolVersion,
      remoteAddress: conn.remoteAddress,
      method: conn.authMethod,
      data,
      step: conn.authStep++,
      reauthenticate: reauth,
    });
  } catch (err) {
    broker.log.warn({ clientId: conn.clientId, err }, 'enhancedAuth hook threw');
    result = { outcome: 'fail' };
  }
  if (!isPromise(result)) {
    finishEnhancedAuth(conn, result, reauth);
    return;
  }
  settleHook<EnhancedAuthResult>(
    conn,
    result,
    (r) => finishEnhancedAuth(conn, r, reauth),
    () => ({ outcome: 'fail' }),
  );
}

function finishEnhancedAuth(conn: Connection, r: EnhancedAuthResult, reauth: boolean): void {
  if (conn.state === ConnState.Closed) return;
  const method = conn.authMethod as string;
  if (r.outcome === 'continue') {
    const properties: Properties = { authenticationMethod: method };
    if (r.data !== undefined) properties.authenticationData = r.data;
    conn.write(
      encodePacket(
        { type: PacketType.AUTH, reasonCode: ReasonCode.ContinueAuthentication, properties },
        5,
      ),
    );
    return;
  }
  if (r.outcome === 'fail') {
    rejectWith(conn, r.reasonCode ?? ReasonCode.NotAuthorized, r.reasonString, false);
    return;
  }
  const extra: Properties = { authenticationMethod: method };
  if (r.data !== undefined) extra.authenticationData = r.data;
  if (reauth) {
    conn.write(
      encodePacket({ type: PacketType.AUTH, reasonCode: ReasonCode.Success, properties: extra }, 5),
    );
    return;
  }
  completeConnect(conn, conn.pendingConnect as PendingConnect, extra);
}

/**
 * Attaches the session, sends CONNACK, then resends in-flight messages and drains the queue. In
 * a cluster the client id is claimed first (reading paused meanwhile), and a session handed
 * over by the node that had it is re-created here unless the client asks for a clean start.
 */
function completeConnect(
  conn: Connection,
  pending: PendingConnect,
  authProps: Properties | undefined,
): void {
  const cluster = conn.broker.cluster;
  const claimed = cluster?.claim(conn.clientId);
  if (claimed !== undefined) {
    settleHook(
      conn,
      claimed,
      (h) => {
        if (h !== undefined && !pending.packet.clean) importSession(conn.broker, conn.clientId, h);
        if (conn.state !== ConnState.Closed) attachNow(conn, pending, authProps);
      },
      (err) => {
        // Without NATS the node keeps serving: the CONNECT is accepted locally (docs/cluster.md).
        conn.broker.log.warn({ clientId: conn.clientId, err }, 'cluster: client id not claimed');
        return undefined;
      },
    );
    return;
  }
  attachNow(conn, pending, authProps);
}

function attachNow(
  conn: Connection,
  pending: PendingConnect,
  authProps: Properties | undefined,
): void {
  try {
    attachSession(conn, pending.packet, pending.assignedId, authProps);
  } catch (err) {
    fail(conn, err);
  }
}
