// mintCompanionEndpoint: what a page needs to use Uppy with a signer that
// requires credentials (auth mode apikey or oidc), without a proxy.
//
// @uppy/aws-s3 in Companion mode sends no Authorization header, so the page
// first asks the signer, with its usual credentials, for a Companion
// endpoint bound to the caller (POST /v1/uppy). The endpoint expires after
// at most the signer's maximum URL lifetime; mint a new one per upload batch.
//
//   import Uppy from '@uppy/core'
//   import AwsS3 from '@uppy/aws-s3'
//   import { mintCompanionEndpoint } from './mint.js'
//
//   const companionEndpoint = await mintCompanionEndpoint(signerURL, 'Bearer ' + apiKey)
//   new Uppy().use(AwsS3, { companionEndpoint, shouldUseMultipart: (f) => f.size >= threshold })
//
// A refusal throws an Error with the HTTP status and the signer's error code.
export async function mintCompanionEndpoint (signerURL, authorization, expiresIn) {
  const resp = await fetch(signerURL + '/v1/uppy', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: authorization },
    body: JSON.stringify(expiresIn ? { expiresIn } : {}),
  })
  const body = await resp.json().catch(() => null)
  if (!resp.ok) {
    const code = (body && body.error && body.error.code) || 'http_' + resp.status
    const err = new Error('minting the Uppy endpoint failed: ' + ((body && body.error && body.error.message) || resp.statusText) +
      ' (' + code + ', HTTP ' + resp.status + ')')
    err.status = resp.status
    err.code = code
    throw err
  }
  // The path, joined to the signer URL this page already uses (the answer's
  // companionEndpoint is built from the request's Host, the same thing when
  // no proxy rewrites it).
  return signerURL + body.path
}
