'use strict';
// v4's post step: remove the persisted token from the local git config.
const { execFileSync } = require('child_process');
const fs = require('fs');
const core = require('./core');

core.run(() => {
  const dir = core.getState('extraheader-dir');
  const key = core.getState('extraheader-key');
  if (!dir || !key || !fs.existsSync(dir)) return;
  try {
    execFileSync('git', ['config', '--local', '--unset-all', key], { cwd: dir, stdio: 'ignore' });
    core.info(`Removed ${key} from ${dir}/.git/config`);
  } catch (err) {
    core.info(`${key} was already gone from ${dir}/.git/config`);
  }
});
