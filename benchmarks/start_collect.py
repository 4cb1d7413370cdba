"""Start now, collect later, against running to the end first: one simulated CI job each way.

A scratch repository with a one-task change (``price`` of tests/support/shop.py: one task keeps
validation's share small and steady on a busy machine). The scripted LLM server (tests/support)
answers after a delay chosen so that generating and validating take about ``--seconds`` (30):
runs without delay (the first one warms the machine up) measure what validation takes here.
The job's "other steps" (your tests and lint) are a sleep of the same length.

    run job       tta-ci run      → other steps
    start job     tta-ci start    → other steps → tta-ci collect

Each tta-ci command runs as its own process, as a workflow step would. Prints
``ratio=<start job wall / run job wall>`` (target <= 0.6), after checking that both jobs
accepted the same tests with the same totals.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.llm_server import LLMServer, Reply, chat_body  # noqa: E402
from support.shop import BASE, GOOD, HEAD  # noqa: E402

TARGET = 0.6
TOTALS = ("tasks", "accepted", "rejected", "llm_requests", "prompt_tokens",
          "completion_tokens", "cost_usd")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout.strip()


def scratch_repo(parent: Path) -> tuple[Path, str, str]:
    repo = parent / "shop"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shas = []
    price = HEAD["shop/pricing.py"].split("\n\n\n")[0]
    discount = BASE["shop/pricing.py"].split("\n\n\n")[1]
    for files in (BASE, {"shop/pricing.py": f"{price}\n\n\n{discount}"}):
        for name, text in files.items():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text(text)
        git(repo, "add", "-A")
        git(repo, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit",
            "-q", "-m", "change")
        shas.append(git(repo, "rev-parse", "HEAD"))
    return repo, shas[0], shas[1]


def responder(delay_s: float) -> Any:
    def answer(request: object) -> Reply:
        text = f"Tests.\n\n```python\n{GOOD['price']}```\n"
        return Reply(body=chat_body(text, cost=0.0002), delay_s=delay_s)

    return answer


def tta(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "tta_ci", *args], env=env, check=True,
                          capture_output=True, text=True, timeout=900)
    return done.stdout


def job(kind: str, repo: Path, refs: tuple[str, str], out: Path, env: dict[str, str],
        other_steps_s: float) -> float:
    common = ["--repo", str(repo), "--base", refs[0], "--head", refs[1], "--backend",
              "openrouter", "--mode", "none", "--output-dir", str(out)]
    started = time.perf_counter()
    if kind == "run":
        tta(env, "run", *common)
        time.sleep(other_steps_s)
    else:
        run_id = tta(env, "start", *common).strip()
        time.sleep(other_steps_s)
        tta(env, "collect", run_id, "--repo", str(repo), "--output-dir", str(out))
    return time.perf_counter() - started


def summary(out: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    doc = json.loads((out / "metrics.json").read_text())
    accepted = {t["id"]: t["code"] for t in doc["tasks"] if t["status"] == "accepted"}
    return {k: doc["totals"][k] for k in TOTALS}, accepted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="other steps, and about the generation time (default 30)")
    seconds = parser.parse_args(argv).seconds
    server = LLMServer().start()
    try:
        with tempfile.TemporaryDirectory(prefix="tta-bench-") as tmp:
            repo, base, head = scratch_repo(Path(tmp))
            env = {**{k: v for k, v in os.environ.items() if not k.startswith("TTA_")},
                   "OPENROUTER_API_KEY": "sk-bench-not-a-real-key", "TTA_MODEL": "test/model",
                   "TTA_LLM_BASE_URL": server.url, "TTA_CACHE": "false", "TTA_RUNS": "1"}
            server.respond = responder(0.0)
            validation = min(job("run", repo, (base, head), Path(tmp) / f"warm{i}", env, 0.0)
                             for i in range(2))
            delay = max(seconds - validation, 0.5)
            server.respond = responder(delay)
            run_wall = job("run", repo, (base, head), Path(tmp) / "run", env, seconds)
            start_wall = job("start", repo, (base, head), Path(tmp) / "start", env, seconds)
            ran, started = summary(Path(tmp) / "run"), summary(Path(tmp) / "start")
    finally:
        server.stop()
    if ran != started or ran[0]["accepted"] != 1:
        print(f"the two jobs disagree: run {ran} / start {started}")
        return 1
    ratio = start_wall / run_wall
    print(f"other steps={seconds:g}s tasks={ran[0]['tasks']} accepted={ran[0]['accepted']} "
          f"validation={validation:.1f}s answer delay={delay:.1f}s")
    print(f"run job={run_wall:.1f}s start job={start_wall:.1f}s")
    print(f"ratio={ratio:.3f} target<={TARGET}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
