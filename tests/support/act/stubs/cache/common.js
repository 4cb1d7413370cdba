'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const core = require('./core');

const storeDir = () => {
  const dir = core.stubEnv('STUB_CACHE_DIR');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
};
const entryFile = (key) => path.join(storeDir(), encodeURIComponent(key) + '.tar');
const keyOf = (file) => decodeURIComponent(path.basename(file, '.tar'));
function log(record) {
  fs.appendFileSync(path.join(storeDir(), 'log.jsonl'), JSON.stringify({ ...record, job: process.env.GITHUB_JOB }) + '\n');
}
// Paths (with globs) relative to the workspace; only those that exist.
function expandPaths(lines) {
  const workspace = core.stubEnv('GITHUB_WORKSPACE');
  const found = [];
  for (const line of lines) {
    if (line.startsWith('!')) { core.warning(`stand-in: exclusion ${line} ignored`); continue; }
    const abs = path.resolve(workspace, line.replace(/^~(?=\/)/, process.env.HOME || '~'));
    let matches = [abs];
    if (/[*?[]/.test(line)) {
      const out = execFileSync('bash', ['-O', 'globstar', '-O', 'dotglob', '-O', 'nullglob', '-c',
        'for f in $1; do printf "%s\\0" "$f"; done', 'glob', abs], { encoding: 'utf8' });
      matches = out.split('\0').filter(Boolean);
    }
    for (const m of matches) if (fs.existsSync(m)) found.push(path.relative(workspace, m) || '.');
  }
  return [...new Set(found)];
}
module.exports = { storeDir, entryFile, keyOf, log, expandPaths };
