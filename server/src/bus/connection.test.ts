import { test } from 'node:test';
import assert from 'node:assert/strict';
import { natsSettings } from '../config.js';
import { agentClient, connectionOptions, gatewayClient } from './connection.js';

test("an agent is never sent what it publishes; a gateway keeps the client's default", () => {
  const settings = natsSettings(['nats://127.0.0.1:4222']);
  const agent = connectionOptions(settings, agentClient('web-1'));
  assert.equal(agent.noEcho, true);
  assert.equal(agent.name, 'dockpulse-agent-web-1');
  assert.equal(agent.inboxPrefix, '_INBOX.agent.web-1', 'the inbox the documented permissions allow an agent');
  const gateway = connectionOptions(settings, gatewayClient('gw'));
  assert.equal(gateway.noEcho, false);
  assert.equal(gateway.inboxPrefix, '_INBOX.gateway');
});
