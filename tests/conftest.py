"""Shared fixtures: a temporary index with the deterministic fake embedder, the shipped corpus."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

from kb.api import KnowledgeBase
from kb.embed import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(autouse=True, scope="session")
def _model_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Derived model files (kb.embed.cache_dir) go to a directory of the test session, not ~/.cache."""
    os.environ.setdefault("KB_CACHE_DIR", str(tmp_path_factory.mktemp("kb-cache")))


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped corpus."""
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest


@pytest.fixture
def fake_kb(tmp_path: Path) -> KnowledgeBase:
    """A knowledge base in a temporary directory, embedding with the fake model."""
    kb = KnowledgeBase(tmp_path / "index", embedder=FakeEmbedder())
    yield kb
    kb.close()


@pytest.fixture
def fake_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """Environment for CLI tests: fake embedder, index under tmp_path, cwd = tmp_path."""
    monkeypatch.setenv("KB_EMBEDDER", "fake")
    monkeypatch.setenv("KB_INDEX", str(tmp_path / "index"))
    monkeypatch.chdir(tmp_path)
    return {"KB_EMBEDDER": "fake", "KB_INDEX": str(tmp_path / "index")}


# Property tests: "default" (1,700 cases per property) in the suite; "deep" from scripts/fuzz.sh.
settings.register_profile("default", max_examples=1700)
settings.register_profile("deep", max_examples=30000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
