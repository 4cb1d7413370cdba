'use strict';
const { execFileSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const core = require('./core');

const isGlob = (s) => /[*?[]/.test(s);
function globRoot(pattern) {
  const parts = pattern.split('/');
  const i = parts.findIndex(isGlob);
  return i < 0 ? pattern : parts.slice(0, i).join('/') || '/';
}
function walk(p, hidden, out) {
  const st = fs.statSync(p);
  if (st.isDirectory()) {
    for (const name of fs.readdirSync(p).sort()) {
      if (!hidden && name.startsWith('.')) continue;
      walk(path.join(p, name), hidden, out);
    }
  } else if (st.isFile()) out.push(p);
}
function commonAncestor(dirs) {
  const split = dirs.map((d) => path.resolve(d).split(path.sep));
  const first = split[0];
  let n = first.length;
  for (const s of split) { let i = 0; while (i < n && i < s.length && s[i] === first[i]) i++; n = i; }
  return first.slice(0, n).join(path.sep) || path.sep;
}

core.run(() => {
  const name = core.getInput('name', 'artifact');
  if (/[":<>|*?\r\n\\/]/.test(name)) throw new Error(`The artifact name is not valid: ${name}`);
  const workspace = core.stubEnv('GITHUB_WORKSPACE');
  const hidden = core.getBool('include-hidden-files', false);
  const lines = core.getMultiline('path');
  const include = lines.filter((l) => !l.startsWith('!')).map((l) => path.resolve(workspace, l));
  const exclude = lines.filter((l) => l.startsWith('!')).map((l) => path.resolve(workspace, l.slice(1)));
  const files = [];
  const roots = [];
  for (const pattern of include) {
    let matches = [pattern];
    if (isGlob(pattern)) {
      const out = execFileSync('bash', ['-O', 'globstar', '-O', 'nullglob', ...(hidden ? ['-O', 'dotglob'] : []),
        '-c', 'for f in $1; do printf "%s\\0" "$f"; done', 'glob', pattern], { encoding: 'utf8' });
      matches = out.split('\0').filter(Boolean);
    }
    const root = globRoot(pattern);
    let any = false;
    for (const m of matches) {
      if (!fs.existsSync(m)) continue;
      any = true;
      walk(m, hidden, files);
    }
    if (any) roots.push(fs.existsSync(root) && fs.statSync(root).isDirectory() ? root : path.dirname(root));
  }
  const chosen = [...new Set(files)].filter((f) => !exclude.some((e) => f === e || f.startsWith(e + path.sep)));
  if (chosen.length === 0) {
    const how = core.getInput('if-no-files-found', 'warn');
    const msg = `No files were found with the provided path: ${lines.join(', ')}. No artifacts will be uploaded.`;
    if (how === 'error') throw new Error(msg);
    if (how === 'warn') core.warning(msg); else core.info(msg);
    return;
  }
  const root = commonAncestor(roots);
  const store = core.stubEnv('STUB_ARTIFACT_DIR');
  const dest = path.join(store, name);
  if (fs.existsSync(dest)) {
    if (!core.getBool('overwrite', false)) {
      throw new Error(`Failed to CreateArtifact: Received non-retryable error: Failed request: (409) Conflict: an artifact with this name already exists on the workflow run`);
    }
    fs.rmSync(dest, { recursive: true, force: true });
  }
  const hash = crypto.createHash('sha256');
  for (const f of chosen) {
    const rel = path.relative(root, f);
    fs.mkdirSync(path.dirname(path.join(dest, rel)), { recursive: true });
    fs.copyFileSync(f, path.join(dest, rel));
    hash.update(rel + '\0').update(fs.readFileSync(f));
    core.info(`stand-in: ${rel}`);
  }
  const ids = path.join(store, '.ids');
  const id = (fs.existsSync(ids) ? parseInt(fs.readFileSync(ids, 'utf8'), 10) : 0) + 1;
  fs.writeFileSync(ids, String(id));
  core.info(`Artifact ${name} (${chosen.length} files, root ${root}) kept in ${dest}`);
  core.setOutput('artifact-id', id);
  core.setOutput('artifact-url', 'file://' + dest);
  core.setOutput('artifact-digest', hash.digest('hex'));
});
