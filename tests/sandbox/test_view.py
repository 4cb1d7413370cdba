"""tta_ci.sandbox.view: the allowlist bubblewrap mounts, and what it leaves out: the root, the
home folder, any git checkout but the interpreter's own prefix."""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
from pathlib import Path

import pytest
from support.gitrepo import git

from tta_ci.sandbox import view
from tta_ci.sandbox.isolation import bwrap_works, run_sandboxed

needs_bwrap = pytest.mark.skipif(not bwrap_works(), reason="bubblewrap cannot run here")


def binds(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv) if a == flag]


def test_the_view_is_an_allowlist(tmp_path: Path) -> None:
    work, home, extra = tmp_path / "w", tmp_path / "h", tmp_path / "x"
    argv = view.bwrap_argv([sys.executable, "-c", "pass"], bwrap="bwrap", workdir=work,
                           home=home, writable=[extra])
    assert "/" not in binds(argv, "--ro-bind") and "/" not in binds(argv, "--bind")
    assert binds(argv, "--bind") == [str(work), str(home), str(extra)]
    readonly = binds(argv, "--ro-bind")
    assert "/usr" in readonly
    assert any(Path(sys.base_prefix).resolve().is_relative_to(p) for p in readonly)
    assert str(Path.home()) not in readonly and "/root" not in readonly
    assert all(not Path(p).is_relative_to("/etc") or Path(p).name in view.ETC_FILES
               for p in readonly)
    for flag in ("--unshare-all", "--die-with-parent", "--new-session"):
        assert flag in argv
    assert argv[argv.index("--cap-drop") + 1] == "ALL"
    assert argv[argv.index("--tmpfs") + 1] == "/tmp" and "--share-net" not in argv
    assert argv.index("--tmpfs") < argv.index("--bind")  # the workspace is bound over /tmp
    assert argv[-3:] == [sys.executable, "-c", "pass"] and "--setenv" not in argv
    net = view.bwrap_argv(["true"], bwrap="bwrap", workdir=work, home=home, share_net=True)
    assert "--share-net" in net
    assert "/etc/resolv.conf" in binds(net, "--ro-bind") or not Path("/etc/resolv.conf").exists()
    root = view.bwrap_argv(["true"], bwrap="bwrap", workdir=work, home=home, form="root")
    assert "--unshare-all" not in root and "--unshare-pid" in root and "--unshare-net" in root


def test_a_sys_path_entry_in_a_checkout_is_left_out(git_repo: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (git_repo / "src").mkdir()
    venv = git_repo / ".venv"
    (venv / "lib").mkdir(parents=True)
    paths = ((str(venv),), (str(git_repo), str(git_repo / "src"), str(venv / "lib")))
    monkeypatch.setattr(view, "interpreter_paths", lambda python: paths)
    kept = view.readonly_paths.__wrapped__("/no/such/python")
    assert str(venv) in kept  # the interpreter's own prefix, even inside a checkout
    assert str(git_repo) not in kept and str(git_repo / "src") not in kept
    assert str(view.PACKAGE_DIR) in kept or any(
        view.PACKAGE_DIR.is_relative_to(p) for p in kept)


@pytest.mark.slow
@needs_bwrap
def test_inside_nothing_of_home_the_checkout_or_other_processes(git_repo: Path,
                                                                tmp_path: Path) -> None:
    token = "ghs_viewTestToken0123456789"
    git(git_repo, "config", "http.https://github.com/.extraheader", f"AUTHORIZATION: {token}")
    work = tmp_path / "work"
    work.mkdir()
    probe = textwrap.dedent(f"""
        import os
        seen = []
        for path in [{str(git_repo / '.git' / 'config')!r}, {str(git_repo)!r},
                     os.path.expanduser('~/.git-credentials'), {str(Path.home())!r} + '/.bashrc',
                     '/etc/shadow', '/var', '/home', '/opt', '/run']:
            seen.append(os.path.exists(path))
        pids = [p for p in os.listdir('/proc') if p.isdigit()]
        print(seen, len(pids), os.environ['HOME'] != {str(Path.home())!r})
    """)
    result = asyncio.run(run_sandboxed([sys.executable, "-c", probe], workdir=work,
                                       environ={"PATH": os.defpath}, timeout_s=30,
                                       isolation="bwrap"))
    assert result.returncode == 0, result.stderr
    seen, pids, private_home = result.stdout.rsplit("]", 1)[0] + "]", *result.stdout.rsplit(
        "]", 1)[1].split()
    assert seen == str([False] * 9) and int(pids) <= 3 and private_home == "True"
