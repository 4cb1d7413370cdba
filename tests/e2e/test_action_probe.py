"""The actions' "Check the sandbox" step (``scripts/sandbox-check.sh``), run by bash with
stand-ins for bwrap, sysctl, apparmor_parser and apt-get: each branch ends in one line, and only
a working bubblewrap (or ``TTA_SANDBOX=fallback``, named by the job) lets the job go on."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml
from support import ROOT

from tta_ci.sandbox.isolation import bwrap_works

STOP = "tta-ci stopped before running any code of the pull request"
DENIED = "bwrap: setting up uid map: Permission denied"


SCRIPT = ROOT / "scripts" / "sandbox-check.sh"


@pytest.mark.parametrize(("action", "root"), [("action.yml", "${{ github.action_path }}"),
                                              ("sandbox/action.yml",
                                               "${{ github.action_path }}/..")])
def test_both_actions_run_the_one_script(action: str, root: str) -> None:
    steps = yaml.safe_load((ROOT / action).read_text())["runs"]["steps"]
    (step,) = [s for s in steps if s.get("name") == "Check the sandbox"]
    assert step["env"] == {"TTA_ACTION_ROOT": root}  # no secret reaches it
    assert step["run"] == '"$TTA_ACTION_ROOT/scripts/sandbox-check.sh"'
    assert os.access(SCRIPT, os.X_OK)


def probe_script() -> str:
    return SCRIPT.read_text()


def tool(folder: Path, name: str, body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("#!/bin/sh\n" + body)
    (folder / name).chmod(0o755)


@pytest.fixture
def fakes(tmp_path: Path) -> Path:
    """bwrap that fails as on ubuntu-24.04 until ``relaxed`` exists; a sysctl and an
    apparmor_parser that relax it; the AppArmor knob and profile folder in ``tmp_path``."""
    tool(tmp_path / "bwrap-bin", "bwrap", f'if [ "$1" = --version ]; then echo "bubblewrap 0.9.0";'
         f' exit 0; fi\n[ -e {tmp_path}/relaxed ] && exit 0\necho "{DENIED}" >&2\nexit 1\n')
    tool(tmp_path / "sysctl-bin", "sysctl", f'echo "$*" >> {tmp_path}/sysctl.log\n'
         f"touch {tmp_path}/relaxed\n")
    tool(tmp_path / "parser-ok", "apparmor_parser", f"touch {tmp_path}/relaxed\n")
    tool(tmp_path / "parser-bad", "apparmor_parser", "echo 'profile conflict' >&2\nexit 1\n")
    tool(tmp_path / "no-sysctl", "sysctl", "exit 1\n")
    (tmp_path / "knob").write_text("1\n")
    (tmp_path / "apparmor.d").mkdir()
    return tmp_path


def run(script_dir: Path, path: list[Path | str], **env: str) -> tuple[int, str]:
    script = script_dir / "probe.sh"
    script.write_text(probe_script())
    environ = {"PATH": os.pathsep.join(map(str, path)), "HOME": str(script_dir),
               "TTA_APPARMOR_USERNS_KNOB": str(script_dir / "knob"),
               "TTA_APPARMOR_PROFILE_DIR": str(script_dir / "apparmor.d"), **env}
    done = subprocess.run(["bash", str(script)], env=environ, capture_output=True, text=True,
                          timeout=60, check=False)
    out = (done.stdout + done.stderr).strip()
    assert len(out.splitlines()) == 1, out  # one line, whatever happened
    return done.returncode, out


@pytest.mark.slow
@pytest.mark.skipif(not bwrap_works(), reason="bubblewrap cannot run here")
def test_a_working_bubblewrap_passes(fakes: Path) -> None:
    code, out = run(fakes, [Path(shutil.which("bwrap") or "").parent, "/usr/bin", "/bin"],
                    TTA_APPARMOR_USERNS_KNOB="/nonexistent")
    assert code == 0 and out.startswith("tta-ci: bubblewrap sandbox ok (bubblewrap ")


def test_a_bwrap_that_cannot_make_namespaces_stops_the_job(fakes: Path) -> None:
    code, out = run(fakes, [fakes / "bwrap-bin", "/usr/bin", "/bin"],
                    TTA_APPARMOR_USERNS_KNOB="/nonexistent")
    assert (code, out) == (1, "::error title=tta-ci sandbox::bubblewrap cannot build its "
                              f"sandbox ({DENIED}); {STOP}")


def test_apparmor_is_relaxed_with_a_profile_for_bwrap_alone(fakes: Path) -> None:
    code, out = run(fakes, [fakes / "bwrap-bin", fakes / "parser-ok", fakes / "sysctl-bin",
                            "/usr/bin", "/bin"])
    assert code == 0 and "an AppArmor profile lets" in out
    profile = (fakes / "apparmor.d" / "tta-ci-bwrap").read_text()
    assert "flags=(unconfined)" in profile and "userns," in profile
    assert not (fakes / "sysctl.log").exists()  # the narrow fix was enough


def test_the_sysctl_when_the_profile_is_refused(fakes: Path) -> None:
    code, out = run(fakes, [fakes / "bwrap-bin", fakes / "parser-bad", fakes / "sysctl-bin",
                            "/usr/bin", "/bin"])
    assert code == 0 and out.endswith("kernel.apparmor_restrict_unprivileged_userns set to 0")
    assert "kernel.apparmor_restrict_unprivileged_userns=0" in (fakes / "sysctl.log").read_text()


def test_neither_fix_helps(fakes: Path) -> None:
    code, out = run(fakes, [fakes / "bwrap-bin", fakes / "parser-bad", fakes / "no-sysctl",
                            "/usr/bin", "/bin"])
    assert code == 1 and "even after allowing user namespaces in AppArmor" in out
    assert out.endswith(STOP)


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root to drop to nobody")
def test_no_sudo_to_allow_them(fakes: Path) -> None:
    shared = Path(tempfile.mkdtemp())  # a folder nobody can reach
    try:
        shared.chmod(0o755)
        shutil.copytree(fakes / "bwrap-bin", shared / "bin")
        shutil.copy(fakes / "knob", shared / "knob")
        (shared / "probe.sh").write_text(probe_script())
        for path in shared.rglob("*"):
            path.chmod(0o755)
        done = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env",
             f"PATH={shared / 'bin'}:/usr/bin:/bin", "HOME=/tmp",
             f"TTA_APPARMOR_USERNS_KNOB={shared / 'knob'}", "bash", str(shared / "probe.sh")],
            capture_output=True, text=True, timeout=60, check=False)
    finally:
        shutil.rmtree(shared)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "this job has no sudo to allow them" in done.stdout


def test_a_missing_bwrap_is_installed_with_apt(fakes: Path) -> None:
    bin_dir = fakes / "nobwrap"
    for name in ("bash", "env", "id", "cat", "head", "readlink", "printf", "tee", "timeout", "ln",
                 "touch"):
        found = shutil.which(name)
        if found:
            bin_dir.mkdir(exist_ok=True)
            (bin_dir / name).symlink_to(found)
    tool(bin_dir, "apt-get", f'echo "$*" >> {fakes}/apt.log\ncase "$*" in *install*) '
         f'ln -sf {fakes}/bwrap-bin/bwrap {bin_dir}/bwrap; touch {fakes}/relaxed;; esac\n')
    code, out = run(fakes, [bin_dir], TTA_APPARMOR_USERNS_KNOB="/nonexistent")
    assert code == 0 and out.startswith("tta-ci: bubblewrap sandbox ok")
    assert "install -y -qq --no-install-recommends bubblewrap" in (fakes / "apt.log").read_text()
    (bin_dir / "bwrap").unlink()
    tool(bin_dir, "apt-get", "exit 100\n")
    code, out = run(fakes, [bin_dir], TTA_APPARMOR_USERNS_KNOB="/nonexistent")
    assert code == 1 and "bubblewrap (bwrap) is not installed and could not be installed" in out


def test_a_job_that_names_the_fallback_goes_on_with_a_warning(fakes: Path) -> None:
    code, out = run(fakes, [fakes / "bwrap-bin", "/usr/bin", "/bin"],
                    TTA_APPARMOR_USERNS_KNOB="/nonexistent", TTA_SANDBOX="fallback")
    assert code == 0 and out.startswith("::warning title=tta-ci sandbox::bubblewrap cannot")
    assert "weak fallback sandbox" in out
