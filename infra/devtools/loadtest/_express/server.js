// The original design's signing server, rebuilt as a yardstick for
// `make bench`: the original 2021 design as a baseline: Node + Express + aws-sdk v2, one S3 client, one
// getSignedUrl per request, the original GET routes. It is never deployed.
//
// Like the signer under the harness, it listens on 127.0.0.1 (port from
// PORT, 0 = any free port), logs {"msg":"listening","addr":...} to stderr,
// answers GET /readyz, and signs with the static credentials in the
// environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
// S3_BUCKET). It writes no per-request log, which flatters it.
'use strict';

// aws-sdk v2 prints a maintenance-mode banner at load; not wanted here.
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';

const express = require('express');
const AWS = require('aws-sdk');

const bucket = process.env.S3_BUCKET || 'bench-bucket';
// s3UsEast1RegionalEndpoint is set so that the SDK does not read the shared
// config file (~/.aws/config) on every request to resolve it, which aws-sdk
// v2 otherwise does (about half the CPU of a request here). Setting it can
// only flatter the baseline.
const s3 = new AWS.S3({
  region: process.env.AWS_REGION || 'eu-west-1',
  signatureVersion: 'v4',
  s3UsEast1RegionalEndpoint: 'regional',
});
const expires = 300;

const app = express();
app.disable('x-powered-by');

app.get('/signed-url-upload', (req, res) => {
  const { fileName, extension, mediaType } = req.query;
  if (!fileName || !extension || !mediaType) {
    return res.status(400).json({ error: 'fileName, extension and mediaType are required' });
  }
  const url = s3.getSignedUrl('putObject', {
    Bucket: bucket,
    Key: `uploads/${fileName}.${extension}`,
    ContentType: `${mediaType}/${extension}`,
    Expires: expires,
  });
  res.json({ url });
});

app.get('/signed-url-access', (req, res) => {
  const { fileName, extension } = req.query;
  if (!fileName || !extension) {
    return res.status(400).json({ error: 'fileName and extension are required' });
  }
  const url = s3.getSignedUrl('getObject', { Bucket: bucket, Key: `uploads/${fileName}.${extension}`, Expires: expires });
  res.json({ url });
});

app.get('/readyz', (req, res) => res.json({ status: 'ok' }));

const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  const { address, port } = server.address();
  process.stderr.write(JSON.stringify({ level: 'INFO', msg: 'listening', addr: `${address}:${port}` }) + '\n');
});

process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 5000).unref();
});
