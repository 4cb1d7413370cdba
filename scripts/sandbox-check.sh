#!/usr/bin/env bash
# The sandbox check of the tta-ci actions (action.yml and sandbox/action.yml), in one place.
#
# Runs before anything of the pull request (the install builds the action path, the run
# imports the PR's code), with no secret in its environment; fails the step with ONE line
# when bubblewrap cannot work, because tta-ci will not run untrusted code without it.
#
# GitHub's ubuntu-24.04 runners (ubuntu-latest) ship kernel.apparmor_restrict_unprivileged_userns=1:
# an unprivileged bwrap then fails with "bwrap: setting up uid map: Permission denied". Runners
# have passwordless sudo, so the step relaxes it: first with an AppArmor profile that lets
# /usr/bin/bwrap alone create user namespaces (Ubuntu's recommended, narrow fix), then, if that
# is not enough, with `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`.
set -uo pipefail
knob=${TTA_APPARMOR_USERNS_KNOB:-/proc/sys/kernel/apparmor_restrict_unprivileged_userns}
profile_dir=${TTA_APPARMOR_PROFILE_DIR:-/etc/apparmor.d}

fail() {
  echo "::error title=tta-ci sandbox::$*"
  exit 1
}
if [ "$(id -u)" = 0 ]; then
  as_root() { "$@"; }
elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
  as_root() { sudo -n "$@"; }
else
  as_root() { return 1; }
fi
# Can bubblewrap make its namespaces? (tta-ci checks it again itself, with its full view.)
probe() {
  timeout 20 bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all --die-with-parent --clearenv \
    true 2>&1 >/dev/null | head -n 1
  return "${PIPESTATUS[0]}"
}

if ! command -v bwrap >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  apt() { as_root env DEBIAN_FRONTEND=noninteractive apt-get "$@" >/dev/null 2>&1; }
  apt install -y -qq --no-install-recommends bubblewrap \
    || { apt update -qq && apt install -y -qq --no-install-recommends bubblewrap; }
fi
command -v bwrap >/dev/null 2>&1 \
  || fail "bubblewrap (bwrap) is not installed and could not be installed: add \`sudo apt-get install -y bubblewrap\` before this step"

restricted=false ok=false how=""
if [ "$(cat "$knob" 2>/dev/null)" = 1 ]; then restricted=true; fi
if why=$(probe); then
  ok=true
elif $restricted && as_root true 2>/dev/null; then
  bwrap_path=$(readlink -f "$(command -v bwrap)")
  if command -v apparmor_parser >/dev/null 2>&1 \
      && printf 'abi <abi/4.0>,\ninclude <tunables/global>\n\nprofile tta-ci-bwrap %s flags=(unconfined) {\n  userns,\n}\n' \
           "$bwrap_path" | as_root tee "$profile_dir/tta-ci-bwrap" >/dev/null \
      && as_root apparmor_parser -r "$profile_dir/tta-ci-bwrap" >/dev/null 2>&1 \
      && why=$(probe); then
    ok=true how="an AppArmor profile lets $bwrap_path create user namespaces"
  elif as_root sysctl -q -w kernel.apparmor_restrict_unprivileged_userns=0 >/dev/null 2>&1 \
      && why=$(probe); then
    ok=true how="kernel.apparmor_restrict_unprivileged_userns set to 0"
  fi
fi
if $ok; then
  echo "tta-ci: bubblewrap sandbox ok ($(bwrap --version 2>/dev/null | head -n 1))${how:+; $how}"
  exit 0
fi
why=${why:-bwrap exited with an error}
if [ "${TTA_SANDBOX:-}" = fallback ]; then  # named in the job's env: tta-ci reads it too
  echo "::warning title=tta-ci sandbox::bubblewrap cannot build its sandbox ($why); TTA_SANDBOX=fallback: tta-ci runs the pull request's code in the weak fallback sandbox"
  exit 0
fi
stop="tta-ci stopped before running any code of the pull request"
if $restricted && ! as_root true 2>/dev/null; then
  fail "bubblewrap cannot build its sandbox ($why): AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns=1) and this job has no sudo to allow them; $stop"
elif $restricted; then
  fail "bubblewrap cannot build its sandbox ($why), even after allowing user namespaces in AppArmor; $stop"
fi
fail "bubblewrap cannot build its sandbox ($why); $stop"
