"""Kill `kb ingest` (and `kb rebuild`, `kb ingest --prune`) with SIGKILL, SIGINT or SIGTERM at random
moments, hundreds of times, on a growing corpus.

After every kill the index must open, answer `kb ask`, and pass `kb verify` (a `stale` report for
a file edited since the last completed ingest is expected, not corruption); at the end one more
`kb ingest` must finish and hold every file. Prints the tally; exits 1 on any corrupt outcome.

    .venv/bin/python scripts/crash_loop.py --kills 200            # fake embedder: storage is what is tested
    .venv/bin/python scripts/crash_loop.py --kills 20 --real      # the real model (slower)
    .venv/bin/python scripts/crash_loop.py --kills 60 --signals KILL,INT,TERM --commands ingest,rebuild,prune
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def kb(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kb", *args], env=env, cwd=cwd, capture_output=True, text=True
    )


def write_docs(folder: Path, start: int, n: int, rng: random.Random) -> None:
    topics = ["budget", "collaboration", "data strategy", "customer experience", "security", "hiring"]
    for i in range(start, start + n):
        topic = rng.choice(topics)
        paras = [
            f"# Field report {i}: {topic}",
            f"In survey {i}, {rng.randint(2, 98)} percent of CIOs said {topic} shaped their plans this year.",
            f"Marketing leaders in region {i % 17} reported that {topic} and priorities still block "
            f"collaboration, while {rng.randint(2, 98)} percent of CMOs expect more spending.",
            "Share this article\n\nSign up for our newsletter",
        ]
        (folder / f"report{i:05d}.md").write_text("\n\n".join(paras) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kills", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--real", action="store_true", help="embed with the real model instead of the fake one")
    ap.add_argument("--max-delay", type=float, default=1.2, help="longest wait before a kill, seconds")
    ap.add_argument("--signals", default="KILL", help="signals to send, chosen at random: KILL,INT,TERM")
    ap.add_argument("--commands", default="ingest", help="commands to interrupt: ingest,rebuild,prune")
    args = ap.parse_args()
    signals = [getattr(signal, "SIG" + name.strip().upper()) for name in args.signals.split(",")]
    commands = {
        "ingest": ["ingest", "corpus", "-q"],
        "rebuild": ["rebuild", "-q"],
        "prune": ["ingest", "--prune", "-q"],
    }
    chosen = [commands[c.strip()] for c in args.commands.split(",")]
    by_signal: dict[str, int] = {}
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="kb-crash-"))
    corpus = work / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    env = {**os.environ, "KB_INDEX": str(work / "index"), "KB_EMBEDDER": "numpy" if args.real else "fake"}
    next_doc, kills, completed, corrupt, stale_reports = 0, 0, 0, 0, 0
    started = time.monotonic()
    while kills < args.kills:
        write_docs(corpus, next_doc, rng.randint(1, 4), rng)
        next_doc = len(list(corpus.glob("report*.md")))
        if rng.random() < 0.1:  # edit an indexed file: the next verify may rightly call it stale
            victim = rng.choice(sorted(corpus.glob("report*.md")))
            victim.write_text(
                victim.read_text() + f"\nEdited: {rng.randint(2, 98)} percent of CFOs agreed.\n"
            )
        command = rng.choice(chosen) if (work / "index").exists() else commands["ingest"]
        proc = subprocess.Popen(
            [sys.executable, "-m", "kb", *command], env=env, cwd=work, stderr=subprocess.PIPE
        )
        time.sleep(rng.uniform(0.1, args.max_delay))
        if proc.poll() is None:
            sig = rng.choice(signals)
            proc.send_signal(sig)
            kills += 1
            name = f"{signal.Signals(sig).name} during {' '.join(command[:2])}"
            by_signal[name] = by_signal.get(name, 0) + 1
        else:
            completed += 1
        proc.wait()
        ask = kb("ask", "what blocks collaboration", "--json", env=env, cwd=work)
        verify = kb("verify", "--json", "-q", env=env, cwd=work)
        problems = json.loads(verify.stdout)["problems"] if verify.stdout.strip() else [{"kind": "no output"}]
        serious = [p for p in problems if p["kind"] != "stale"]
        stale_reports += len(problems) - len(serious)
        first_run = ask.returncode != 0 and "no documents" in ask.stderr.lower()
        if serious or (ask.returncode != 0 and not first_run):
            corrupt += 1
            print(f"CORRUPT after kill {kills}: ask={ask.returncode} {ask.stderr.strip()} problems={serious}")
        if (kills + completed) % 20 == 0:
            print(f"{kills} kills, {completed} completed runs, {corrupt} corrupt", file=sys.stderr)
    final = kb("ingest", "corpus", "-q", env=env, cwd=work)
    docs = kb("docs", "--json", env=env, cwd=work).stdout.splitlines()
    verify = kb("verify", "-q", env=env, cwd=work)
    files = len(list(corpus.iterdir()))
    resumed = final.returncode == 0 and len(docs) == files and verify.returncode == 0
    print(
        f"kills: {kills}  ingests that finished before their kill: {completed}  corrupt outcomes: {corrupt}  "
        f"stale reports (expected after edits): {stale_reports}\n"
        f"final ingest resumed: {'yes' if resumed else 'NO'} ({len(docs)} of {files} files indexed, "
        f"verify exit {verify.returncode})  wall time: {time.monotonic() - started:.0f} s  "
        f"embedder: {env['KB_EMBEDDER']}\n"
        f"interruptions: {', '.join(f'{k}: {v}' for k, v in sorted(by_signal.items()))}"
    )
    shutil.rmtree(work, ignore_errors=True)
    return 0 if corrupt == 0 and resumed else 1


if __name__ == "__main__":
    sys.exit(main())
