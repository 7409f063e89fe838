// The Uppy test page of the local stack: the real @uppy/core and
// @uppy/aws-s3 (versions pinned in package-lock.json) talk to the signer's
// Companion-compatible S3 routes. The page reads its settings from
// window.S3PRESIGN_UPPY (/uppy/config.js), uploads the picked file when
// #upload is pressed and reports the outcome in #status (data-state
// "done" or "error"), #key, #error and #parts. The Go test drives it.
//
// Without auth, Uppy's companionEndpoint is the signer itself (/s3/*). In
// apikey mode the page first mints a caller-bound endpoint with the key in
// #api-key (mint.js) and gives that to Uppy (/uppy/<token>/s3/*).
import Uppy from '@uppy/core'
import AwsS3 from '@uppy/aws-s3'
import { mintCompanionEndpoint } from './mint.js'

const cfg = window.S3PRESIGN_UPPY
const $ = (id) => document.getElementById(id)

let parts = 0

// newUppy builds a fresh Uppy for one upload against companionEndpoint.
function newUppy (companionEndpoint) {
  const uppy = new Uppy({ autoProceed: false, allowMultipleUploadBatches: true })
  uppy.use(AwsS3, {
    // Uppy calls <companionEndpoint>/s3/params, /s3/multipart, ...
    companionEndpoint,
    // From the signer's threshold up, multipart; below it, a POST form.
    shouldUseMultipart: (file) => file.size >= cfg.multipartThreshold,
    limit: 2,
  })
  uppy.on('s3-multipart:part-uploaded', () => {
    parts++
    $('parts').textContent = String(parts)
  })
  uppy.on('upload-progress', (_file, p) => {
    $('progress').value = p.bytesTotal ? p.bytesUploaded / p.bytesTotal : 0
  })
  return uppy
}

function finish (state, key, error) {
  $('key').textContent = key || ''
  $('error').textContent = error || ''
  $('status').textContent = state
  $('status').dataset.state = state
}

// endpoint returns the Companion endpoint for this upload.
async function endpoint () {
  if (cfg.authMode !== 'apikey') return cfg.signerURL
  return mintCompanionEndpoint(cfg.signerURL, 'Bearer ' + $('api-key').value.trim())
}

// uploadWith uploads the picked file through companionEndpoint (tests call
// it directly with a tampered or expired endpoint).
async function uploadWith (companionEndpoint) {
  const file = $('file').files[0]
  if (!file) return finish('error', '', 'pick a file first')
  parts = 0
  $('parts').textContent = '0'
  const uppy = newUppy(companionEndpoint)
  uppy.addFile({ name: file.name, type: file.type, data: file, source: 'test' })
  const result = await uppy.upload()
  if (result.failed && result.failed.length > 0) {
    return finish('error', '', String(result.failed[0].error))
  }
  finish('done', result.successful[0].response.body.key, '')
}

async function run (getEndpoint) {
  $('status').dataset.state = 'uploading'
  $('status').textContent = 'uploading'
  try {
    await uploadWith(await getEndpoint())
  } catch (err) {
    finish('error', '', String(err && err.message ? err.message : err))
  }
}

$('upload').addEventListener('click', () => run(endpoint))
window.s3presignUppy = { uploadWith: (ep) => run(async () => ep) }
$('key-row').hidden = cfg.authMode !== 'apikey'
$('status').dataset.state = 'ready'
$('status').textContent = 'ready'
