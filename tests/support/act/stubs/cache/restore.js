'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const core = require('./core');
const { storeDir, entryFile, keyOf, log } = require('./common');

// Opt-in (STUB_CACHE_RELOCATE=1): on GitHub, RUNNER_TEMP and the workspace are the same paths on
// every run, so a cached venv keeps working; act puts both under a new random directory each
// run. Rewrite the old run directory to the new one in the restored files' "#!" lines.
function relocate(file) {
  if (process.env.STUB_CACHE_RELOCATE !== '1' || !fs.existsSync(file + '.json')) return 0;
  const meta = JSON.parse(fs.readFileSync(file + '.json', 'utf8'));
  const workspace = core.stubEnv('GITHUB_WORKSPACE');
  const from = path.dirname(meta.workspace);
  const to = path.dirname(workspace);
  if (from === to) return 0;
  let n = 0;
  const visit = (p) => {
    const st = fs.lstatSync(p);
    if (st.isDirectory()) { for (const c of fs.readdirSync(p)) visit(path.join(p, c)); return; }
    if (!st.isFile() || st.size > 1 << 20) return;
    const buf = fs.readFileSync(p);
    if (buf[0] !== 0x23 || buf[1] !== 0x21) return; // "#!"
    const text = buf.toString('utf8');
    const nl = text.indexOf('\n');
    const first = nl < 0 ? text : text.slice(0, nl);
    if (!first.includes(from)) return;
    fs.writeFileSync(p, first.split(from).join(to) + (nl < 0 ? '' : text.slice(nl)));
    n++;
  };
  for (const rel of meta.paths || []) {
    const p = path.resolve(workspace, rel);
    if (fs.existsSync(p)) visit(p);
  }
  core.info(`stand-in: relocated ${n} script(s) from ${from} to ${to}`);
  return n;
}

core.run(() => {
  const key = core.getInput('key');
  if (!key) throw new Error('Input required and not supplied: key');
  const restoreKeys = core.getMultiline('restore-keys');
  core.saveState('CACHE_KEY', key);
  core.setOutput('cache-primary-key', key);
  let file = fs.existsSync(entryFile(key)) ? entryFile(key) : null;
  if (!file) {
    const entries = fs.readdirSync(storeDir()).filter((n) => n.endsWith('.tar'))
      .map((n) => path.join(storeDir(), n))
      .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
    for (const prefix of restoreKeys) {
      file = entries.find((e) => keyOf(e).startsWith(prefix)) || null;
      if (file) break;
    }
  }
  if (!file) {
    log({ op: 'restore', key, hit: false, matched: null });
    core.setOutput('cache-hit', 'false');
    if (core.getBool('fail-on-cache-miss', false)) {
      throw new Error(`Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: ${key}`);
    }
    core.info(`Cache not found for input keys: ${[key, ...restoreKeys].join(', ')}`);
    return;
  }
  const matched = keyOf(file);
  const exact = matched === key;
  core.saveState('CACHE_RESULT', matched);
  core.setOutput('cache-hit', String(exact));
  core.setOutput('cache-matched-key', matched);
  if (!core.getBool('lookup-only', false)) {
    execFileSync('tar', ['-xf', file, '-P', '-C', core.stubEnv('GITHUB_WORKSPACE')], { stdio: 'inherit' });
  }
  const relocated = relocate(file);
  log({ op: 'restore', key, hit: exact, matched, relocated });
  core.info(`Cache restored from key: ${matched}`);
});
