// The PeerJS signalling server of peerjs 0.3's day (npm `peer` 0.2), on loopback only, for
// tests/browser/test_period_libraries.py. Prints {"port": N} once it listens.
'use strict';

const http = require('http');
const path = require('path');

const peerPackage = path.dirname(require.resolve('peer-0.2.10/package.json'));
const express = require(require.resolve('express', { paths: [peerPackage] }));
const { ExpressPeerServer } = require('peer-0.2.10');

const app = express();
const server = http.createServer(app);
app.use('/', ExpressPeerServer(server, { key: 'peerjs' }));
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
