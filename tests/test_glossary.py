"""The glossary (labutils.glossary) and the notebooks agree: every entry appears, with its
Chinese, in the notebook it links to; every "term (中文)" pair the notebooks write for a
glossary term uses the glossary's Chinese; terms are unique; and the pair extraction rule
gives exact, known results on small strings.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import nbformat
import pytest

from labutils import glossary, nbtools
from labutils.glossary import GLOSSARY, lookup, markdown_table, normalize, pairs_in_text

NOTEBOOKS = nbtools.NOTEBOOKS


def _markdown(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.fixture(scope="module")
def markdown() -> dict[str, str]:
    """Markdown of every notebook on disk, keyed like ``Entry.notebook``."""
    return {str(p.relative_to(NOTEBOOKS).with_suffix("")): _markdown(p)
            for p in nbtools.all_notebooks()}


def test_entries_appear_in_their_notebooks(markdown) -> None:
    problems = []
    for e in GLOSSARY:
        text = markdown.get(e.notebook)
        if text is None:
            problems.append(f"{e.english}: no notebook {e.notebook}")
            continue
        if normalize(e.english) not in normalize(text):
            problems.append(f"{e.english}: English term not in {e.notebook}")
        if e.chinese not in text:
            problems.append(f"{e.english}: Chinese {e.chinese} not in {e.notebook}")
    assert not problems, "\n".join(problems)


def test_notebooks_use_the_glossary_chinese(markdown) -> None:
    mismatches = []
    for name, text in sorted(markdown.items()):
        for english, chinese in pairs_in_text(text):
            entry = lookup(english)
            if entry is not None and entry.chinese != chinese:
                mismatches.append(f"{name}: {english!r} ({chinese}); glossary: "
                                  f"{entry.english} ({entry.chinese})")
    assert not mismatches, "\n".join(mismatches)


def test_entries_are_unique_and_well_formed() -> None:
    counts = Counter(normalize(e.english) for e in GLOSSARY)
    assert [t for t, n in counts.items() if n > 1] == []
    assert len(GLOSSARY) >= 120
    for e in GLOSSARY:
        assert e.english == e.english.strip() and e.chinese == e.chinese.strip()
        assert glossary._CJK_START.match(e.chinese), e
        assert e.notebook.split("/")[0] in glossary.CHAPTER_TITLES, e


@pytest.mark.parametrize("text, expected", [
    ("forward propagation (前向传播)", [("forward propagation", "前向传播")]),
    ("report the mean absolute error (平均绝对误差, MAE) and root mean squared error "
     "(均方根误差, RMSE)",
     [("mean absolute error", "平均绝对误差"), ("root mean squared error", "均方根误差")]),
    # an unknown term: all (at most four) words before the parenthesis
    ("we measure the quite new thing (新东西)", [("the quite new thing", "新东西")]),
    # wrapped over a line, bold, plural, hyphen written as a space
    ("the start of\n**Vanishing gradients** (梯度消失) and one hot encoding (独热编码)",
     [("Vanishing gradients", "梯度消失"), ("one hot encoding", "独热编码")]),
    # a heading above does not join the term; an opening bracket ends the run
    ("## 3. Heading\nAn outlier (异常值) (learning rate (学习率))",
     [("outlier", "异常值"), ("learning rate", "学习率")]),
    # lists of terms, a parenthesis without a word before it, Latin content: skipped
    ("naive and seasonal naive (朴素预测, 季节性朴素预测); training vs inference (训练与推理); "
     "$x$ (输入); multilayer perceptron (MLP, 多层感知机)", []),
    ("", []),
])
def test_pairs_in_text_exact(text, expected) -> None:
    assert pairs_in_text(text) == expected


def test_lookup_rules() -> None:
    assert lookup("Weights").english == "weight"
    assert lookup("LOGITS").chinese == "未归一化的对数概率"   # exact match beats the plural rule
    assert lookup("logit").chinese == "对数几率"
    assert lookup("mixture of experts model").english == "mixture-of-experts model"
    assert lookup("no such term") is None
    with pytest.raises(TypeError):
        lookup(3)


def test_markdown_table_links_every_entry() -> None:
    total = 0
    for chapter, entries in glossary.by_chapter().items():
        table = markdown_table(chapter)
        rows = table.splitlines()[2:]
        assert len(rows) == len(entries)
        assert rows[0].startswith(f"| [{entries[0].english}](../{entries[0].notebook}.ipynb) |")
        total += len(rows)
    assert total == len(GLOSSARY)
    with pytest.raises(ValueError, match="chapter must be one of"):
        markdown_table("07_nowhere")
