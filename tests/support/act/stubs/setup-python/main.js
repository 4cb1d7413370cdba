'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const core = require('./core');

function which(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try { fs.accessSync(candidate, fs.constants.X_OK); return candidate; } catch (e) { /* next */ }
  }
  return null;
}
function probe(exe) {
  const code = 'import sys; print("%d.%d.%d" % sys.version_info[:3]); print(sys.executable)';
  const [version, executable] = execFileSync(exe, ['-c', code], { encoding: 'utf8' }).trim().split('\n');
  return { version, executable };
}

core.run(() => {
  const wanted = core.getInput('python-version');
  let found = null;
  const candidates = wanted ? [`python${wanted.split('.').slice(0, 2).join('.')}`, 'python3'] : ['python3'];
  for (const name of candidates) {
    const exe = which(name);
    if (!exe) continue;
    const p = probe(exe);
    if (!wanted || p.version === wanted || p.version.startsWith(wanted + '.')) { found = p; break; }
  }
  if (!found) {
    const p = probe(which('python3') || 'python3');
    core.warning(`stand-in: Python ${wanted} is not installed here; keeping ${p.version} (${p.executable})`);
    found = p;
  }
  const bin = path.dirname(found.executable);
  core.addPath(bin);
  if (core.getBool('update-environment', true)) {
    const env = process.env.GITHUB_ENV;
    fs.appendFileSync(env, `pythonLocation=${path.dirname(bin)}\nPython_ROOT_DIR=${path.dirname(bin)}\n`);
  }
  core.info(`stand-in: Python ${found.version} at ${found.executable}`);
  core.setOutput('python-version', found.version);
  core.setOutput('python-path', found.executable);
  core.setOutput('cache-hit', 'false');
});
