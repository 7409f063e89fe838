// The Uppy test page of the local stack: the real @uppy/core and
// @uppy/aws-s3 (versions pinned in package-lock.json) talk to the signer's
// Companion-compatible /s3/* routes. The page reads its settings from
// window.S3PRESIGN_UPPY (/uppy/config.js), uploads the picked file when
// #upload is pressed and reports the outcome in #status (data-state
// "done" or "error"), #key, #error and #parts. The Go test drives it.
import Uppy from '@uppy/core'
import AwsS3 from '@uppy/aws-s3'

const cfg = window.S3PRESIGN_UPPY
const $ = (id) => document.getElementById(id)

const uppy = new Uppy({ autoProceed: false, allowMultipleUploadBatches: true })
uppy.use(AwsS3, {
  // Uppy calls <companionEndpoint>/s3/params, /s3/multipart, ...
  companionEndpoint: cfg.signerURL,
  // From the signer's threshold up, multipart; below it, a POST form.
  shouldUseMultipart: (file) => file.size >= cfg.multipartThreshold,
  limit: 2,
})

let parts = 0
uppy.on('s3-multipart:part-uploaded', () => {
  parts++
  $('parts').textContent = String(parts)
})
uppy.on('upload-progress', (_file, p) => {
  $('progress').value = p.bytesTotal ? p.bytesUploaded / p.bytesTotal : 0
})

function finish(state, key, error) {
  $('key').textContent = key || ''
  $('error').textContent = error || ''
  $('status').textContent = state
  $('status').dataset.state = state
}

$('upload').addEventListener('click', async () => {
  const file = $('file').files[0]
  if (!file) return finish('error', '', 'pick a file first')
  $('status').dataset.state = 'uploading'
  $('status').textContent = 'uploading'
  try {
    uppy.cancelAll()
    uppy.addFile({ name: file.name, type: file.type, data: file, source: 'test' })
    const result = await uppy.upload()
    if (result.failed && result.failed.length > 0) {
      return finish('error', '', String(result.failed[0].error))
    }
    const ok = result.successful[0]
    finish('done', ok.response.body.key, '')
  } catch (err) {
    finish('error', '', String(err))
  }
})
$('status').dataset.state = 'ready'
$('status').textContent = 'ready'
