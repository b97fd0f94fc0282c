// A tus 1.0 server (@tus/server with @tus/file-store) over HTTPS on
// 127.0.0.1, storing uploads in DIR. With THROTTLE_BPS set it reads request
// bodies slowly, so a test can interrupt an upload half way.
// usage: node tus-server.mjs PORT DIR CERT KEY
import fs from 'node:fs';
import https from 'node:https';
import { Server } from '@tus/server';
import { FileStore } from '@tus/file-store';

const [port, dir, cert, key] = process.argv.slice(2);
const tus = new Server({ path: '/files', datastore: new FileStore({ directory: dir }) });
const server = https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) },
	(req, res) => {
		console.log(`${req.method} ${req.url} offset=${req.headers['upload-offset'] || '-'}`);
		tus.handle(req, res);
	});
server.listen(Number(port), '127.0.0.1', () => console.log(`tus on 127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
