// An HTTPS front for s3rver that really checks AWS SigV4 signatures (s3rver
// does not): it recomputes every request's signature with
// @smithy/signature-v4 from the secret it was given and answers 403
// SignatureDoesNotMatch when they differ. Payloads with a hex
// x-amz-content-sha256 are hashed and compared too. Good requests are
// forwarded to s3rver unchanged. Every verdict is logged to stdout.
//
// usage: node s3-verify-proxy.js LISTEN_PORT UPSTREAM_PORT CERT KEY
// env:   VERIFY_KEY_ID, VERIFY_SECRET, [VERIFY_SESSION_TOKEN]
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const https = require('https');
const { SignatureV4 } = require('@smithy/signature-v4');

const [listenPort, upstreamPort, certFile, keyFile] = process.argv.slice(2);
const keyId = process.env.VERIFY_KEY_ID;
const secret = process.env.VERIFY_SECRET;
const token = process.env.VERIFY_SESSION_TOKEN || '';

class Sha256 {
	constructor(secretKey) {
		this.h = secretKey ? crypto.createHmac('sha256', secretKey)
			: crypto.createHash('sha256');
	}
	update(d) { this.h.update(Buffer.from(d)); }
	async digest() { return new Uint8Array(this.h.digest()); }
}

function fail(res, code, why) {
	console.log(`REJECT ${code} ${why}`);
	res.writeHead(403, { 'content-type': 'application/xml' });
	res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code>` +
		`<Message>${why}</Message></Error>`);
}

async function verify(req) {
	const auth = req.headers.authorization || '';
	const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
	if (!m)
		return ['AccessDenied', 'no SigV4 authorization header'];
	const [, id, , region, service, signed, sig] = m;
	if (id !== keyId)
		return ['InvalidAccessKeyId', `unknown key id ${id}`];
	if (token && req.headers['x-amz-security-token'] !== token)
		return ['InvalidToken', 'missing or wrong session token'];
	const date = req.headers['x-amz-date'];
	if (!date)
		return ['AccessDenied', 'no x-amz-date'];
	const url = new URL(req.url, 'https://x');
	const query = {};
	for (const [k, v] of url.searchParams)
		query[k] = v;
	const headers = {};
	for (const h of signed.split(';'))
		headers[h] = req.headers[h] === undefined ? '' : String(req.headers[h]);
	if (!req.headers['x-amz-content-sha256'])
		return ['AccessDenied', 'no x-amz-content-sha256'];
	const signer = new SignatureV4({
		credentials: { accessKeyId: id, secretAccessKey: secret },
		region, service, sha256: Sha256, uriEscapePath: false,
	});
	const d = date.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/,
		'$1-$2-$3T$4:$5:$6Z');
	const out = await signer.sign({
		method: req.method, protocol: 'https:', hostname: req.headers.host,
		path: url.pathname, query, headers,
	}, { signingDate: new Date(d), signableHeaders: new Set(Object.keys(headers)) });
	const want = /Signature=([0-9a-f]{64})/.exec(out.headers.authorization)[1];
	if (want !== sig)
		return ['SignatureDoesNotMatch', `signature mismatch for ${req.method} ${req.url}`];
	return null;
}

function forward(req, res, body) {
	const up = http.request({
		host: '127.0.0.1', port: upstreamPort, method: req.method,
		path: req.url, headers: req.headers,
	}, (ur) => {
		res.writeHead(ur.statusCode, ur.headers);
		ur.pipe(res);
	});
	up.on('error', (e) => {
		console.log(`UPSTREAM ${e.message}`);
		res.destroy();
	});
	if (body !== null)
		up.end(body);
	else
		req.pipe(up);
}

const server = https.createServer({
	cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile),
}, async (req, res) => {
	req.pause();
	let why;
	try {
		why = await verify(req);
	} catch (e) {
		why = ['AccessDenied', `verifier error: ${e.message}`];
	}
	if (why)
		return fail(res, why[0], why[1]);
	const claimed = req.headers['x-amz-content-sha256'];
	if (/^[0-9a-f]{64}$/.test(claimed)) {
		const chunks = [];
		let n = 0;
		req.on('data', (c) => {
			n += c.length;
			if (n <= 64 << 20)
				chunks.push(c);
		});
		req.on('end', () => {
			const body = Buffer.concat(chunks);
			const got = crypto.createHash('sha256').update(body).digest('hex');
			if (got !== claimed)
				return fail(res, 'XAmzContentSHA256Mismatch', 'payload hash mismatch');
			console.log(`OK ${req.method} ${req.url}`);
			forward(req, res, body);
		});
		req.resume();
		return;
	}
	console.log(`OK ${req.method} ${req.url}`);
	forward(req, res, null);
	req.resume();
});
server.listen(Number(listenPort), '127.0.0.1', () =>
	console.log(`verifier on 127.0.0.1:${listenPort}`));
process.on('SIGTERM', () => process.exit(0));
