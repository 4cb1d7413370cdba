// Minimal @actions/core for the offline stand-ins (no dependencies). Copied into each stand-in.
'use strict';
const fs = require('fs');
const os = require('os');

// The runner passes `with:` values as INPUT_<NAME>, spaces to '_', upper-cased (dashes kept).
function getInput(name, fallback = '') {
  const value = process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`];
  return value === undefined || value === '' ? fallback : value.trim();
}
function getBool(name, fallback) {
  const v = getInput(name, String(fallback)).toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new Error(`input ${name}: expected true or false, got ${v}`);
}
function getMultiline(name) {
  return getInput(name).split('\n').map((s) => s.trim()).filter(Boolean);
}
function appendFileCommand(variable, name, value) {
  const file = process.env[variable];
  if (!file) throw new Error(`${variable} is not set`);
  const delim = `ghadelimiter_${process.pid}_${Date.now()}`;
  fs.appendFileSync(file, `${name}<<${delim}${os.EOL}${value}${os.EOL}${delim}${os.EOL}`);
}
const setOutput = (name, value) => appendFileCommand('GITHUB_OUTPUT', name, String(value));
const saveState = (name, value) => appendFileCommand('GITHUB_STATE', name, String(value));
const getState = (name) => process.env[`STATE_${name}`] || '';
function addPath(dir) {
  fs.appendFileSync(process.env.GITHUB_PATH, dir + os.EOL);
}
const info = (msg) => process.stdout.write(msg + os.EOL);
const warning = (msg) => process.stdout.write(`::warning::${msg}${os.EOL}`);
const setSecret = (value) => process.stdout.write(`::add-mask::${value}${os.EOL}`);
function run(fn) {
  try {
    fn();
  } catch (err) {
    process.stdout.write(`::error::${err.message}${os.EOL}`);
    process.exitCode = 1;
  }
}
// The stand-ins' own knobs come from the job environment (act --env, or the host env).
function stubEnv(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: pass it with act --env ${name}=...`);
  return value;
}
module.exports = { getInput, getBool, getMultiline, setOutput, saveState, getState, addPath,
  info, warning, setSecret, run, stubEnv };
