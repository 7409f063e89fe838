// s3presign local upload page: asks the signer for a presigned PUT, uploads
// the file straight to S3 with it (showing progress), then asks the signer
// for a presigned GET and shows the object through it.
//
// Element ids are stable: the browser tests in infra/devtools/local read them.
//   #status    data-state: idle | signing | uploading | linking | loading | done | error
//   #error     data-kind:  signer | signer-unreachable | storage | storage-blocked | download | input
//              data-code:  the signer's error code, when the signer refused
//   #api-key   shown in API-key mode; its value is kept in sessionStorage
'use strict';

(function () {
  const cfg = window.S3PRESIGN_PAGE || {};
  const $ = (id) => document.getElementById(id);

  // Headers a page may not set: the browser sends them itself. The page
  // always declares the size (the signer requires it for a PUT and signs it
  // as Content-Length, the upload's cap), and the browser sends exactly
  // file.size for the body, so the signature still matches.
  const FORBIDDEN = new Set(['content-length', 'host', 'connection']);

  // The API key (apikey mode) lives in sessionStorage: it survives a reload
  // but not closing the tab, and no other tab or origin sees it.
  const KEY_STORAGE = 's3presign.apiKey';

  class PageError extends Error {
    constructor(kind, message, code) {
      super(message);
      this.kind = kind;
      this.code = code || '';
    }
  }

  function mib(bytes) {
    return (bytes / (1 << 20)).toFixed(0) + ' MiB';
  }

  function allowedList() {
    return (cfg.allowedTypes || []).map((t) => t.split('=')[0]).join(', ');
  }

  // plainWords turns the signer's error code into what the user should
  // know or do; the signer's own message follows for detail. sent is the
  // request body the page sent.
  function plainWords(code, message, sent, resp) {
    switch (code) {
      case 'unauthorized':
        if (cfg.authMode === 'apikey') {
          return apiKey() === ''
            ? 'The signer needs an API key: paste the key make run AUTH=apikey printed into the API key field above.'
            : 'The signer did not accept this API key: check it is the one make run printed for this run.';
        }
        return 'The signer did not accept your credentials.';
      case 'forbidden':
        return 'Not allowed: ' + message;
      case 'too_large':
        return 'The file is too large: this signer takes files up to ' + mib(cfg.maxSize || 0) + '.';
      case 'unsupported_media_type':
        return 'This type of file is not allowed. Allowed: ' + allowedList() + '.';
      case 'invalid_request':
        if (sent && sent.contentType === '') {
          return 'The browser could not tell this file\'s type (no known extension), so it cannot be uploaded. ' +
            'Allowed: ' + allowedList() + '.';
        }
        return 'The signer found a problem with the request: ' + message;
      case 'rate_limited': {
        const after = resp && resp.headers.get('Retry-After');
        return 'Too many requests: wait ' + (after ? after + ' s' : 'a moment') + ' and try again.';
      }
      case 'conflict':
        return 'Not possible right now: ' + message;
      case 'unavailable':
        return 'The signer cannot sign right now (its storage credentials are not ready); try again shortly.';
      case 'internal':
        return 'The signer failed (a bug on its side); its log has the cause.';
      default:
        return 'The signer refused: ' + message;
    }
  }

  function apiKey() {
    const input = $('api-key');
    return input ? input.value.trim() : '';
  }

  function setState(state, text) {
    const s = $('status');
    s.dataset.state = state;
    s.textContent = text;
  }

  function setProgress(loaded, total) {
    const pct = total > 0 ? Math.floor((loaded / total) * 100) : 0;
    $('progress').value = pct;
    $('progress-text').textContent = pct + '%';
  }

  function showError(err) {
    const e = $('error');
    e.dataset.kind = err.kind || 'internal';
    e.dataset.code = err.code || '';
    e.textContent = err.message;
    e.hidden = false;
    setState('error', 'Failed.');
  }

  function reset() {
    const e = $('error');
    e.hidden = true;
    e.textContent = '';
    delete e.dataset.kind;
    delete e.dataset.code;
    $('result').hidden = true;
    $('preview').removeAttribute('src');
    $('key').textContent = '';
    $('dimensions').textContent = '';
    setProgress(0, 0);
  }

  // callSigner POSTs JSON to the signer and returns the decoded answer. A
  // refused request throws the signer's own message and code.
  async function callSigner(path, body) {
    let resp;
    try {
      const headers = { 'Content-Type': 'application/json' };
      if (cfg.authMode === 'apikey' && apiKey() !== '') {
        headers['Authorization'] = 'Bearer ' + apiKey();
      }
      resp = await fetch(cfg.signerURL + path, {
        method: 'POST',
        headers: headers,
        body: JSON.stringify(body),
      });
    } catch (_) {
      // A CORS refusal and an unreachable server look the same to a page.
      throw new PageError('signer-unreachable',
        'Blocked: the browser could not call the signer at ' + cfg.signerURL + '. ' +
        'Either the signer\'s CORS settings do not allow this page\'s origin (' + location.origin + ') ' +
        'or the signer is not running.');
    }
    let data = null;
    try {
      data = await resp.json();
    } catch (_) {
      data = null;
    }
    if (!resp.ok) {
      const code = (data && data.error && data.error.code) || 'http_' + resp.status;
      const msg = (data && data.error && data.error.message) || resp.statusText;
      throw new PageError('signer', plainWords(code, msg, body, resp) + ' (' + code + ', HTTP ' + resp.status + ')', code);
    }
    return data;
  }

  // s3Code pulls the <Code> out of an S3 XML error body.
  function s3Code(xml) {
    const m = /<Code>([^<]*)<\/Code>/.exec(xml || '');
    return m ? m[1] : '';
  }

  // put sends file to the issued URL with exactly the headers the signer
  // returned, reporting progress. It resolves when S3 answers 2xx.
  function put(issued, file) {
    return new Promise((resolve, reject) => {
      const headers = issued.headers || {};
      for (const [name, value] of Object.entries(headers)) {
        if (name.toLowerCase() === 'content-length' && String(file.size) !== String(value)) {
          reject(new PageError('input', 'The signer signed ' + value + ' bytes but the file has ' + file.size + '.'));
          return;
        }
      }
      const xhr = new XMLHttpRequest();
      xhr.open(issued.method || 'PUT', issued.url);
      for (const [name, value] of Object.entries(headers)) {
        if (!FORBIDDEN.has(name.toLowerCase())) {
          xhr.setRequestHeader(name, value);
        }
      }
      xhr.upload.onprogress = (ev) => {
        if (ev.lengthComputable) {
          setProgress(ev.loaded, ev.total);
        }
      };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          setProgress(1, 1);
          resolve();
          return;
        }
        const code = s3Code(xhr.responseText);
        reject(new PageError('storage', 'S3 refused the upload: HTTP ' + xhr.status + (code ? ' ' + code : '') + '.'));
      };
      xhr.onerror = () => {
        reject(new PageError('storage-blocked',
          'Blocked: the upload to ' + new URL(issued.url).origin + ' did not go through. ' +
          'Either the bucket\'s CORS rules do not allow this page\'s origin (' + location.origin + ') ' +
          'or the storage server is not reachable.'));
      };
      xhr.send(file);
    });
  }

  // show loads the object through a presigned GET. The browser sends this
  // page's origin as Referer (default policy strict-origin-when-cross-origin),
  // which the bucket policy checks.
  function show(key, url, contentType) {
    $('key').textContent = key;
    $('open-link').href = url;
    $('result').hidden = false;
    if (!contentType.startsWith('image/')) {
      $('preview').hidden = true;
      setState('done', 'Uploaded. Use the link to open it.');
      return Promise.resolve();
    }
    $('preview').hidden = false;
    setState('loading', 'Loading the image from S3…');
    return new Promise((resolve, reject) => {
      const img = $('preview');
      img.onload = () => {
        $('dimensions').textContent = '(' + img.naturalWidth + '×' + img.naturalHeight + ' px)';
        setState('done', 'Uploaded and shown from S3.');
        resolve();
      };
      img.onerror = () => {
        reject(new PageError('download',
          'The image could not be loaded from S3 (for example the bucket policy refused this page as Referer).'));
      };
      img.src = url;
    });
  }

  function pickedFile() {
    const f = $('file').files[0];
    if (!f) {
      throw new PageError('input', 'Pick a file first.');
    }
    return f;
  }

  // putAndShow uploads the picked file with an issued upload and shows it.
  async function putAndShow(file, issued, contentType) {
    setState('uploading', 'Uploading to S3…');
    await put(issued, file);
    setState('linking', 'Asking the signer for a download URL…');
    const dl = await callSigner('/v1/downloads', { key: issued.key });
    await show(issued.key, dl.url, contentType);
  }

  async function upload() {
    reset();
    try {
      const file = pickedFile();
      setState('signing', 'Asking the signer for an upload URL…');
      const contentType = file.type || '';
      const issued = await callSigner('/v1/uploads', {
        fileName: file.name,
        contentType: contentType,
        size: file.size,
      });
      await putAndShow(file, issued, contentType);
    } catch (err) {
      showError(err instanceof PageError ? err : new PageError('internal', String(err)));
    }
  }

  // putIssued uploads the picked file with an upload the caller got from the
  // signer elsewhere. The tests use it to show that the bucket's own CORS
  // rules stop a page on a foreign origin even when it holds a valid URL.
  async function putIssued(issued) {
    reset();
    try {
      const file = pickedFile();
      await putAndShow(file, issued, (issued.headers && issued.headers['Content-Type']) || file.type);
    } catch (err) {
      showError(err instanceof PageError ? err : new PageError('internal', String(err)));
    }
  }

  function init() {
    $('page-origin').textContent = location.origin;
    $('signer-url').textContent = cfg.signerURL || '(not set)';
    $('environment').textContent = cfg.environment || '?';
    const badge = $('origin-badge');
    badge.textContent = cfg.allowedOrigin ? 'allowed origin' : 'NOT an allowed origin';
    badge.classList.add(cfg.allowedOrigin ? 'ok' : 'bad');
    if (cfg.maxSize) {
      $('limits').textContent = 'Allowed: ' + (cfg.allowedTypes || []).join(', ') +
        ' · up to ' + (cfg.maxSize / (1 << 20)).toFixed(0) + ' MiB';
    }
    if (cfg.accept) {
      $('file').setAttribute('accept', cfg.accept);
    }
    if (cfg.authMode === 'apikey') {
      const input = $('api-key');
      $('key-card').hidden = false;
      input.value = sessionStorage.getItem(KEY_STORAGE) || '';
      input.addEventListener('input', () => sessionStorage.setItem(KEY_STORAGE, input.value.trim()));
    }
    $('upload').addEventListener('click', upload);
  }

  window.s3presignPage = { putIssued: putIssued };
  init();
})();
