// Preloaded into the CLI (NODE_OPTIONS=--require) by tests that must see whether it tried to
// connect anywhere: every outgoing TCP socket (http.request, ws and fetch all go through
// net.connect) is announced on the 'net.client.socket' diagnostics channel by lib/net.js's
// connect(), before the socket connects. Each one is a line on stderr.
'use strict';
const { subscribe } = require('node:diagnostics_channel');
const { writeSync } = require('node:fs');

subscribe('net.client.socket', () => writeSync(2, 'connection-log: outgoing socket\n'));
