"""Query understanding: a sentence in English or Chinese read into what, where and when.

``understand(text, vocabulary, today)`` gives the parts; ``what.py`` is the one place
"what" concepts are resolved (custom categories join there), ``where.py`` names places,
``when.py`` times, ``parse.py`` reads the words.

Libraries measured on the test queries (tests/test_search_sentences.py):

- OpenCC (``opencc``, the Taiwan-phrase table tw2sp): kept. It converts words, not only
  characters: 義大利 is 意大利, 腳踏車 is 自行车, 紐西蘭 is 新西兰; zhconv's table missed
  the first two in its plain Simplified mode. ~0.07 ms for 20 words.
- jieba: not kept. With its own dictionary it splits our class names
  (金毛寻回犬 -> 金毛/寻回/犬) and needs 0.5 s to load; segmenting against our own
  vocabulary by the longest match is exact for every name we know.
- dateparser, jionlp: not kept. Our queries mix times with other words ("dogs on the
  beach in summer 2024"); seasons by hemisphere, "winter 2024–25" and 去年冬天 need our
  own rules anyway, and the patterns in when.py cover every form the tests use.
"""

from smartalbum.search.understand.parse import Part, Understanding, Vocabulary, understand

__all__ = ["Part", "Understanding", "Vocabulary", "understand"]
