// Uploads a file to confabd with the tus-js-client package, as a third-party client would.
// Usage: node upload.cjs ENDPOINT TOKEN FILE MODE
//   MODE "whole":  one upload, one PATCH; prints {"url": ...}
//   MODE "resume": uploads in 256 KiB chunks, stops a little past the middle, then a new
//                  Upload object resumes from the URL; prints {"url", "stopped_at",
//                  "resumed_from"}.
// Anything that goes wrong ends with exit status 1 and the error on stderr.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const tus = require('tus-js-client');

const [endpoint, token, file, mode] = process.argv.slice(2);
const data = fs.readFileSync(file);
const common = {
  endpoint,
  headers: { Authorization: `Bearer ${token}` },
  metadata: { filename: path.basename(file), filetype: 'application/octet-stream' },
  retryDelays: [100, 500, 1000],
};

function fail(err) {
  process.stderr.write(`${err}\n`);
  process.exit(1);
}

function uploadWhole() {
  const upload = new tus.Upload(data, {
    ...common,
    onError: fail,
    onSuccess: () => console.log(JSON.stringify({ url: upload.url })),
  });
  upload.start();
}

function uploadResumed() {
  let stoppedAt = 0;
  const first = new tus.Upload(data, {
    ...common,
    chunkSize: 256 * 1024,
    onError: fail,
    onSuccess: () => fail('the first upload was not meant to finish'),
    onChunkComplete: (chunk, accepted) => {
      if (stoppedAt === 0 && accepted > data.length / 2) {
        stoppedAt = accepted;
        first.abort(false).then(() => resume(first.url, stoppedAt), fail);
      }
    },
  });
  first.start();
}

function resume(url, stoppedAt) {
  let resumedFrom = -1;
  const second = new tus.Upload(data, {
    ...common,
    uploadUrl: url,
    chunkSize: 256 * 1024,
    onError: fail,
    onProgress: (sent) => {
      if (resumedFrom < 0)
        resumedFrom = sent;
    },
    onSuccess: () => console.log(JSON.stringify({ url: second.url, stopped_at: stoppedAt,
                                                  resumed_from: resumedFrom })),
  });
  second.start();
}

if (mode === 'whole')
  uploadWhole();
else if (mode === 'resume')
  uploadResumed();
else
  fail(`unknown mode ${mode}`);
