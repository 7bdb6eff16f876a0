// What the page learns about the broker once, at start: version, uptime and listeners (the
// WebSocket panel needs the ws port).
import { api } from './api.js';

export interface ListenerInfo {
  type: string;
  host?: string;
  port: number;
  /** The HTTP path of a WebSocket listener. */
  path?: string;
}

export interface BrokerInfo {
  version: string;
  uptimeSeconds?: number;
  listeners: ListenerInfo[];
}

/** GET /api/v1/broker, or undefined when the API cannot answer (the page still works). */
export async function loadBrokerInfo(): Promise<BrokerInfo | undefined> {
  try {
    const info = await api<BrokerInfo>('GET', '/broker');
    return Array.isArray(info.listeners) ? info : { ...info, listeners: [] };
  } catch {
    return undefined;
  }
}
