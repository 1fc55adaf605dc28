"""Appendix, notebook 01 (glossary) exercises: look terms up in ``labutils.glossary``.
``chinese_terms`` is a dict giving the course's Chinese for "dropout" and "logits";
``warmup_notebook`` is the notebook (``"<chapter>/<notebook>"``) the glossary links for
"warm-up". Ids are ``"appendix.01.<name>"``; the expected answers are read from the glossary
itself, and the checkers name the usual mix-ups (another common translation, the singular
"logit", a notebook that only uses the term).
"""

from __future__ import annotations

import re
from typing import Any

from labutils.checks import CheckResult, finish, not_yet, register
from labutils.glossary import lookup


def _fail(name: str, message: str) -> CheckResult:
    return finish(CheckResult(name, False, message))


# --- chinese_terms -----------------------------------------------------------------------------

_TERMS = ("dropout", "logits")
_SLIPS = {
    ("dropout", "丢弃法"): "丢弃法 is common elsewhere, but the course writes another term; "
                          "look 'dropout' up in the chapter 6 table.",
    ("dropout", "丢弃"): "the course writes a four-character term; look 'dropout' up in the "
                        "chapter 6 table.",
    ("logits", "对数几率"): "对数几率 (log-odds) is the glossary's Chinese for the singular "
                          "'logit' of one probability; 'logits', a classifier's raw outputs, "
                          "has its own entry.",
}


@register("chinese_terms", "the course's Chinese for 'dropout' and 'logits', as a dict")
def _check_chinese_terms(answer: Any, name: str) -> CheckResult:
    if answer is None:
        return not_yet(name, "dict")
    if not isinstance(answer, dict) or sorted(answer) != sorted(_TERMS):
        return _fail(name, f"expected a dict with exactly the keys {list(_TERMS)}; got "
                           f"{answer!r}.")
    for term in _TERMS:
        got = str(answer[term]).strip()
        expected = lookup(term).chinese
        if got != expected:
            hint = _SLIPS.get((term, got), f"find '{term}' in the tables above (or call "
                                           f"labutils.glossary.lookup).")
            return _fail(name, f"{term!r}: got {got!r}. {hint}")
    return finish(CheckResult(name, True, "both match the glossary."))


# --- warmup_notebook ---------------------------------------------------------------------------

_ALSO_USED_IN = ("06_faq/03_optimizer_and_learning_rate", "04_code/13_distributed_training")


def _clean(answer: Any) -> str:
    """``"notebooks/03_math/05_x.ipynb"`` or ``"../03_math/05_x"`` -> ``"03_math/05_x"``."""
    text = str(answer).strip().replace("\\", "/")
    text = re.sub(r"^(\.\./|\./)+", "", text)
    text = re.sub(r"^notebooks/", "", text)
    return re.sub(r"\.ipynb$", "", text)


@register("warmup_notebook", "the notebook the glossary links for 'warm-up', as "
                             "'<chapter>/<notebook>'")
def _check_warmup_notebook(answer: Any, name: str) -> CheckResult:
    if answer is None:
        return not_yet(name, "notebook path")
    if not isinstance(answer, str):
        return _fail(name, f"expected a string like '03_math/01_forward_propagation'; got "
                           f"{answer!r}.")
    got = _clean(answer)
    if got in _ALSO_USED_IN:
        return _fail(name, f"{got} uses the term too, but the glossary links the notebook "
                           "that teaches it: read the entry's notebook field.")
    if got != lookup("warm-up").notebook:
        return _fail(name, f"got {got!r}, not the notebook the glossary links. Find the entry "
                           "whose English is 'warm-up' and give its notebook field as "
                           "'<chapter>/<notebook>', e.g. '03_math/01_forward_propagation'.")
    return finish(CheckResult(name, True, "that is the notebook the glossary links."))
