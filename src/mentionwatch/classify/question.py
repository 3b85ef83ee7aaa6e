"""Questions that need an answer: "@acme how do I export my data?", "does Acme support SSO?".

Answering questions quickly builds trust too, so a question is flagged even when neutral.
A question is a sentence that asks (a question mark after words, or a sentence opening with an
interrogative or an auxiliary verb: "how do I", "does X support", "can anyone"), not a
rhetorical aside ("seriously?!" alone, "why me??"). Pure functions, no I/O.
"""

from __future__ import annotations

import re

from mentionwatch.classify.patterns import compile_search

_INTERROGATIVE_OPENING = re.compile(
    r"(?:^|[.!?]\s+|\n)\s*(?:@\w+\s+|hey\s+@?\w+,?\s+|hi\s+@?\w+,?\s+)?"
    r"(?:how|what|when|where|which|who|why|whats|what's|is|are|was|were|do|does|did|can|could|"
    r"will|would|should|has|have|had|any(?:one|body)?|anyone know|is there|are there)\b",
    re.IGNORECASE,
)
_ASKING_PHRASE_PATTERN = (
    r"\b(?:how (?:do|can|does|long|much|to)|is it possible|does (?:\w+\s+){1,3}(?:support|work|"
    r"offer|have|ship|accept|allow)|can (?:i|you|we|someone|anyone)|any(?:one|body) know|"
    r"wondering (?:if|whether|how)|could (?:you|someone|anyone)|is there (?:a|any)|"
    r"what(?:'s| is) the (?:best|easiest|way))\b"
)
_ASKING_PHRASE = re.compile(_ASKING_PHRASE_PATTERN, re.IGNORECASE)
#: The same, searched fast in the lower-cased text (see `patterns.compile_search`).
_asks_with_a_phrase = compile_search(_ASKING_PHRASE_PATTERN)
# A question mark after at least three words of the same sentence: a real question. (The
# pattern, kept as the definition; `_asks_in_a_sentence` answers the same without its
# backtracking, which costs tens of microseconds on a post of a few sentences.)
_QUESTION_SENTENCE = re.compile(r"(?:\b\w+\W+){2,}\w+[^.!?\n]*\?")
_WORD = re.compile(r"\w+")
_WORD_CHAR = re.compile(r"\w")
_RHETORICAL_ONLY = re.compile(r"^\W*(?:\w+\W*){0,2}\?+\W*$")


def _asks_in_a_sentence(text: str) -> bool:
    """`_QUESTION_SENTENCE.search(text)`: some "?" ends a sentence that has a word in it, with
    at least three words in the text up to there (the words before may be in earlier
    sentences, as the pattern allows)."""
    mark = text.find("?")
    while mark != -1:
        start = max(text.rfind(end, 0, mark) for end in ".!?\n") + 1
        if _WORD_CHAR.search(text, start, mark) and len(_WORD.findall(text, 0, mark)) >= 3:
            return True
        mark = text.find("?", mark + 1)
    return False


def is_question(text: str) -> bool:
    """True when the post asks something (directly or with an asking phrase)."""
    if "?" in text:
        asks = _asks_in_a_sentence(text)
        if asks and _INTERROGATIVE_OPENING.search(text):
            return True
        if _asks_with_a_phrase(text.lower()):
            return True
        return asks and not _RHETORICAL_ONLY.match(text)
    return _asks_with_a_phrase(text.lower()) and bool(_INTERROGATIVE_OPENING.search(text))
