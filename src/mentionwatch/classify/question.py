"""Questions that need an answer: "@acme how do I export my data?", "does Acme support SSO?".

Answering questions quickly builds trust too, so a question is flagged even when neutral.
A question is a sentence that asks (a question mark after words, or a sentence opening with an
interrogative or an auxiliary verb: "how do I", "does X support", "can anyone"), not a
rhetorical aside ("seriously?!" alone, "why me??"). Pure functions, no I/O.
"""

from __future__ import annotations

import re

_INTERROGATIVE_OPENING = re.compile(
    r"(?:^|[.!?]\s+|\n)\s*(?:@\w+\s+|hey\s+@?\w+,?\s+|hi\s+@?\w+,?\s+)?"
    r"(?:how|what|when|where|which|who|why|whats|what's|is|are|was|were|do|does|did|can|could|"
    r"will|would|should|has|have|had|any(?:one|body)?|anyone know|is there|are there)\b",
    re.IGNORECASE,
)
_ASKING_PHRASE = re.compile(
    r"\b(?:how (?:do|can|does|long|much|to)|is it possible|does (?:\w+\s+){1,3}(?:support|work|"
    r"offer|have|ship|accept|allow)|can (?:i|you|we|someone|anyone)|any(?:one|body) know|"
    r"wondering (?:if|whether|how)|could (?:you|someone|anyone)|is there (?:a|any)|"
    r"what(?:'s| is) the (?:best|easiest|way))\b",
    re.IGNORECASE,
)
# A question mark after at least three words of the same sentence: a real question.
_QUESTION_SENTENCE = re.compile(r"(?:\b\w+\W+){2,}\w+[^.!?\n]*\?")
_RHETORICAL_ONLY = re.compile(r"^\W*(?:\w+\W*){0,2}\?+\W*$")


def is_question(text: str) -> bool:
    """True when the post asks something (directly or with an asking phrase)."""
    if "?" in text:
        if _QUESTION_SENTENCE.search(text) and _INTERROGATIVE_OPENING.search(text):
            return True
        if _ASKING_PHRASE.search(text):
            return True
        return bool(_QUESTION_SENTENCE.search(text)) and not _RHETORICAL_ONLY.match(text)
    return bool(_ASKING_PHRASE.search(text)) and bool(_INTERROGATIVE_OPENING.search(text))
