"""Shared fixtures: a real index of the sample corpus, built once per test session."""

from pathlib import Path

import pytest

from app.search import open_index
from indexer.indexing import index_corpus

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def sample_index_dir(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("sample-index")
    summary = index_corpus(CORPUS, index_dir)
    assert not summary.failed and summary.reports == 20
    return index_dir


@pytest.fixture(scope="session")
def sample_index(sample_index_dir):
    return open_index(sample_index_dir)
