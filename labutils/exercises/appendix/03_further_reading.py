"""Appendix, notebook 03 (further reading) exercises: look up a year in the reading table and
write out the citation seed 003 gets wrong. ``adamw_year`` is the publication year of the
paper that introduced decoupled weight decay (AdamW); ``dropout_citation`` is the standard
dropout citation as a dict. Ids are ``"appendix.03.<name>"``; the checkers compare strings
after normalising case, punctuation and spacing, and name the seed's mix-ups when they recur.
"""

from __future__ import annotations

import re
from typing import Any

from labutils.checks import CheckResult, check_value, finish, not_yet, register


def _words(text: Any) -> str:
    """Lower-case words only: ``"Dropout: A Simple Way…"`` -> ``"dropout a simple way"``."""
    return " ".join(re.findall(r"[a-z0-9]+", str(text).casefold()))


def _fail(name: str, message: str) -> CheckResult:
    return finish(CheckResult(name, False, message))


# --- adamw_year --------------------------------------------------------------------------------

_ADAMW_YEAR = 2019
_YEAR_HINTS = {
    2017: "2017 is the year of the arXiv preprint; the reading table (and the usual citation) "
          "gives the peer-reviewed publication, at ICLR.",
    2015: "2015 is Adam itself (Kingma & Ba, ICLR 2015); the question is about the later paper "
          "that decouples weight decay from the gradient step.",
    2014: "that is the year of Adam's arXiv preprint; look for the paper titled "
          "'Decoupled Weight Decay Regularization'.",
}


@register("adamw_year", "publication year of the paper that introduced decoupled weight decay "
                        "(AdamW)")
def _check_adamw_year(answer: Any, name: str) -> CheckResult:
    if answer is None:
        return not_yet(name, "year")
    try:
        year = int(answer)
    except (TypeError, ValueError):
        return _fail(name, f"expected a year as an int, got {answer!r}.")
    return check_value(year, _ADAMW_YEAR, name=name, atol=0, rtol=0,
                       hint=_YEAR_HINTS.get(year, "find the row whose title contains "
                                                  "'Decoupled Weight Decay' and read its year."))


# --- dropout_citation ------------------------------------------------------------------------

_SURNAMES = ["srivastava", "hinton", "krizhevsky", "sutskever", "salakhutdinov"]
_TITLE = _words("Dropout: A Simple Way to Prevent Neural Networks from Overfitting")
_VENUES = {"jmlr", "journal of machine learning research"}
_KEYS = ("authors", "title", "year", "venue")


def _surnames(authors: Any) -> list[str]:
    """Last word of each author: accepts a list of names or one comma-separated string."""
    if isinstance(authors, str):
        authors = re.split(r",|;| and ", authors)
    return [_words(a).split()[-1] for a in authors if _words(a)]


@register("dropout_citation", "the standard dropout citation (authors, title, year, venue) that "
                              "seed 003 gets wrong")
def _check_dropout_citation(answer: Any, name: str) -> CheckResult:
    if answer is None:
        return not_yet(name, "citation")
    if not isinstance(answer, dict) or any(k not in answer for k in _KEYS):
        return _fail(name, f"expected a dict with the keys {list(_KEYS)}; got {answer!r}.")
    title = _words(answer["title"])
    if "theoretically grounded" in title:
        return _fail(name, "that is (almost) the title of Gal & Ghahramani (2016), a paper on "
                           "dropout in recurrent networks — the very mix-up seed 003 makes. "
                           "The standard dropout paper appeared in JMLR in 2014.")
    if "co adaptation" in title or "coadaptation" in title:
        return _fail(name, "that is Hinton et al.'s 2012 arXiv report. It introduced dropout, "
                           "but the standard, peer-reviewed citation is the 2014 JMLR paper.")
    if title != _TITLE:
        return _fail(name, f"the title differs: got {answer['title']!r}. It starts "
                           "'Dropout: A Simple Way to …'.")
    try:
        names = _surnames(answer["authors"])
    except (TypeError, IndexError):
        names = []
    if names != _SURNAMES:
        hint = (" Hinton is the second author, not the first." if names[:1] == ["hinton"]
                else " Five authors, in the paper's order.")
        return _fail(name, f"the authors (by surname) should be {', '.join(s.title() for s in _SURNAMES)}; "
                           f"got {names}.{hint}")
    try:
        year = int(answer["year"])
    except (TypeError, ValueError):
        return _fail(name, f"year must be an int; got {answer['year']!r}.")
    if year != 2014:
        return _fail(name, f"year {year}: the JMLR paper appeared in 2014"
                           + (" (2012 is Hinton et al.'s arXiv report)." if year == 2012 else "."))
    venue = re.sub(r"\s*\d+\s*$", "", _words(answer["venue"]))   # allow a volume number
    if venue not in _VENUES:
        return _fail(name, f"venue {answer['venue']!r}: it is the Journal of Machine Learning "
                           "Research (JMLR).")
    return finish(CheckResult(name, True, "Srivastava, Hinton, Krizhevsky, Sutskever and "
                                           "Salakhutdinov, JMLR 2014 — correct."))
