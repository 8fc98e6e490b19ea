"""BM25 ranking of FAQ entries against a visitor's question."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

_WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset(
    "a an and are as at be by can do does for from have how i in is it me my of on or our "
    "the to we what when which who why with you your".split()
)


def words(text: str) -> list[str]:
    return [word for word in _WORD.findall(text.lower()) if word not in STOPWORDS]


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


class Bm25:
    """Okapi BM25 over short documents; scores 0 when no word matches."""

    def __init__(self, documents: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.docs = [Counter(_stem(word) for word in words(doc)) for doc in documents]
        self.lengths = [sum(doc.values()) for doc in self.docs]
        self.average = sum(self.lengths) / max(1, len(self.docs))
        self.k1, self.b = k1, b
        frequency = Counter(word for doc in self.docs for word in doc)
        total = len(self.docs)
        self.idf = {word: math.log(1 + (total - n + 0.5) / (n + 0.5)) for word, n in frequency.items()}

    def scores(self, query: str) -> list[float]:
        terms = [_stem(word) for word in words(query)]
        results = []
        for doc, length in zip(self.docs, self.lengths):
            score = 0.0
            for term in terms:
                tf = doc.get(term, 0)
                if tf:
                    norm = tf + self.k1 * (1 - self.b + self.b * length / self.average)
                    score += self.idf[term] * tf * (self.k1 + 1) / norm
            results.append(score)
        return results

    def best(self, query: str, threshold: float = 0.5) -> int | None:
        """Index of the best matching document, or None below `threshold`."""
        scores = self.scores(query)
        if not scores:
            return None
        index = max(range(len(scores)), key=scores.__getitem__)
        return index if scores[index] >= threshold else None
