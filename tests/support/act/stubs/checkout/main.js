'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const core = require('./core');

function git(cwd, ...args) {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

function sourceFor(repository) {
  const map = process.env.STUB_CHECKOUT_REPOS ? JSON.parse(process.env.STUB_CHECKOUT_REPOS) : {};
  if (map[repository]) return map[repository];
  if (repository.toLowerCase() === (process.env.GITHUB_REPOSITORY || '').toLowerCase()) {
    return core.stubEnv('STUB_CHECKOUT_SOURCE');
  }
  throw new Error(`no local source for ${repository}: add it to STUB_CHECKOUT_REPOS`);
}

core.run(() => {
  const workspace = core.stubEnv('GITHUB_WORKSPACE');
  const repository = core.getInput('repository', process.env.GITHUB_REPOSITORY);
  const dest = path.resolve(workspace, core.getInput('path'));
  if (path.relative(workspace, dest).startsWith('..')) {
    throw new Error(`path ${dest} is not under ${workspace}`);
  }
  const source = 'file://' + path.resolve(sourceFor(repository));
  const depth = parseInt(core.getInput('fetch-depth', '1'), 10);
  const isOwn = repository.toLowerCase() === (process.env.GITHUB_REPOSITORY || '').toLowerCase();
  let ref = core.getInput('ref');
  if (!ref && isOwn) ref = process.env.GITHUB_REF || '';
  if (!ref) ref = 'HEAD';
  const server = new URL(process.env.GITHUB_SERVER_URL || 'https://github.com');

  fs.mkdirSync(dest, { recursive: true });
  if (fs.existsSync(path.join(dest, '.git'))) {
    if (core.getBool('clean', true)) {
      git(dest, 'clean', '-ffdx');
      git(dest, 'reset', '--hard', 'HEAD');
    }
  } else {
    git(dest, 'init', '--quiet');
    git(dest, 'remote', 'add', 'origin', `${server.origin}/${repository}`);
  }
  if (core.getBool('set-safe-directory', true)) {
    git(dest, 'config', '--global', '--add', 'safe.directory', dest);
  }

  // v4: the token goes into .git/config. Like the real action, set a placeholder with
  // `git config` and replace it in the file, so the token never appears in a process's argv.
  const key = `http.${server.origin}/.extraheader`;
  if (core.getBool('persist-credentials', true)) {
    const token = core.getInput('token');
    const credential = Buffer.from(`x-access-token:${token}`, 'utf8').toString('base64');
    core.setSecret(credential);
    const placeholder = 'AUTHORIZATION: basic ***';
    git(dest, 'config', '--local', key, placeholder);
    const configPath = path.join(dest, '.git', 'config');
    const text = fs.readFileSync(configPath, 'utf8');
    fs.writeFileSync(configPath, text.replace(placeholder, `AUTHORIZATION: basic ${credential}`));
    core.saveState('extraheader-dir', dest);
    core.saveState('extraheader-key', key);
  }

  // Fetch from the local source (origin keeps the GitHub URL, as with the real action).
  const fetch = ['-c', 'protocol.version=2', 'fetch', '--prune', '--no-recurse-submodules', '--quiet'];
  if (depth > 0) fetch.push(`--depth=${depth}`);
  if (depth <= 0 || core.getBool('fetch-tags', false)) fetch.push('--tags');
  else fetch.push('--no-tags');
  const specs = [];
  if (depth <= 0) specs.push('+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*');
  let target;
  if (ref.startsWith('refs/pull/')) {
    target = `refs/remotes/pull/${ref.slice('refs/pull/'.length)}`;
    specs.push(`+${ref}:${target}`);
  } else if (ref.startsWith('refs/heads/') || !/^(refs\/|[0-9a-f]{40}$)/.test(ref)) {
    const branch = ref.replace(/^refs\/heads\//, '');
    target = `refs/remotes/origin/${branch}`;
    if (ref !== 'HEAD') specs.push(`+refs/heads/${branch}:${target}`);
    else { target = 'FETCH_HEAD'; specs.push('HEAD'); }
  } else {
    target = ref;
    specs.push(ref.startsWith('refs/') ? `+${ref}:${ref}` : ref);
  }
  git(dest, ...fetch, source, ...specs);
  git(dest, 'checkout', '--quiet', '--force', '--detach', target);
  const commit = git(dest, 'rev-parse', 'HEAD');
  core.info(`Checked out ${repository} ${ref} at ${commit} into ${dest} (from ${source}, depth ${depth})`);
  core.setOutput('ref', ref);
  core.setOutput('commit', commit);
});
