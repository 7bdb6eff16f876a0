// Loaded with `node --import` into a spawned `petrel` so its DNS lookups go to the test's own
// DNS server (PETREL_TEST_DNS=host:port) instead of the system resolver.
import { setServers } from 'node:dns';

const server = process.env.PETREL_TEST_DNS;
if (server !== undefined && server !== '') setServers([server]);
