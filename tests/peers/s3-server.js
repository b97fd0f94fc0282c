// s3rver on 127.0.0.1 with a data directory that survives restarts (so a
// test can kill it mid-upload and start it again on the same data).
// usage: node s3-server.js PORT DIR BUCKET
'use strict';
const S3rver = require('s3rver');

const [port, dir, bucket] = process.argv.slice(2);
const server = new S3rver({
	address: '127.0.0.1',
	port: Number(port),
	directory: dir,
	silent: true,
	// The verifier in front of us checks signatures; s3rver itself only
	// knows its built-in key.
	allowMismatchedSignatures: true,
	configureBuckets: [{ name: bucket }],
});
server.run().then((a) => console.log(`s3rver on ${a.address}:${a.port}`));
process.on('SIGTERM', () => process.exit(0));
