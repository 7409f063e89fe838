// s3presign local upload page: shows what the team's application would be
// told about each upload. The local stack turns versitygw's bucket
// notifications into "upload ready" events (signer/uploadevent, the parser a
// consumer of the AWS queue uses) and serves them on /notifications; this
// script polls that list and shows each new event. It never sees a URL: the
// events carry none.
//
// Element ids are stable: the browser tests in infra/devtools/local read them.
//   #notifications li[data-key][data-type]   one per event, newest first
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const POLL_MS = 1000;
  let seen = 0;

  function describe(e) {
    const parts = [e.type, e.key];
    if (e.size !== undefined) {
      parts.push(e.size + ' bytes');
    }
    if (e.contentType) {
      parts.push(e.contentType);
    }
    parts.push('caller ' + (e.caller || '(anonymous)'));
    parts.push('scan ' + e.scan);
    return 'The app was notified: ' + parts.join(' · ');
  }

  async function poll() {
    try {
      const resp = await fetch('/notifications?after=' + seen, { cache: 'no-store' });
      if (resp.ok) {
        const data = await resp.json();
        const list = $('notifications');
        for (const e of data.events || []) {
          const li = document.createElement('li');
          li.dataset.key = e.key;
          li.dataset.type = e.type;
          li.textContent = describe(e);
          list.prepend(li);
        }
        seen = data.total;
      }
    } catch (_) {
      // The dev server is restarting; try again on the next tick.
    }
    setTimeout(poll, POLL_MS);
  }

  poll();
})();
