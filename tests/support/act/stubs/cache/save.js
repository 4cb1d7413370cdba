'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const core = require('./core');
const { entryFile, log, expandPaths } = require('./common');

core.run(() => {
  const key = core.getState('CACHE_KEY') || core.getInput('key');
  const matched = core.getState('CACHE_RESULT');
  if (matched && matched === key) {
    core.info(`Cache hit occurred on the primary key ${key}, not saving cache.`);
    log({ op: 'save', key, saved: false, reason: 'hit' });
    return;
  }
  const paths = expandPaths(core.getMultiline('path'));
  if (paths.length === 0) {
    core.warning('Path Validation Error: Path(s) specified in the action for caching do(es) not exist, hence no cache is being saved.');
    log({ op: 'save', key, saved: false, reason: 'no paths' });
    return;
  }
  const manifest = path.join(os.tmpdir(), `stub-cache-${process.pid}.txt`);
  fs.writeFileSync(manifest, paths.join('\n') + '\n');
  const tmp = entryFile(key) + `.${process.pid}.tmp`;
  execFileSync('tar', ['-cf', tmp, '-P', '-C', core.stubEnv('GITHUB_WORKSPACE'), '-T', manifest], { stdio: 'inherit' });
  fs.renameSync(tmp, entryFile(key));
  // Where the workspace was, for STUB_CACHE_RELOCATE (act's runner.temp differs on every run).
  fs.writeFileSync(entryFile(key) + '.json', JSON.stringify({ workspace: core.stubEnv('GITHUB_WORKSPACE'), paths }));
  fs.unlinkSync(manifest);
  log({ op: 'save', key, saved: true, paths });
  core.info(`Cache saved with key: ${key}`);
});
