"""Query understanding: a sentence in English or Chinese read into what, where and when.

``understand(text, vocabulary, today)`` gives the parts; ``what.py`` is the one place
"what" concepts are resolved (custom categories join there), ``where.py`` names places,
``when.py`` times (``ago.py`` counts back, ``daytime.py`` times of day), ``parse.py``
reads the words, ``logic.py`` applies "or", "and" and "not", ``typos.py`` forgives typos.

Libraries measured on the test queries (tests/test_search_sentences.py):

- OpenCC (``opencc``, the Taiwan-phrase table tw2sp): kept. It converts words, not only
  characters: 義大利 is 意大利, 腳踏車 is 自行车, 紐西蘭 is 新西兰; zhconv's table missed
  the first two in its plain Simplified mode. ~0.07 ms for 20 words.
- jieba: not kept. With its own dictionary it splits our class names
  (金毛寻回犬 -> 金毛/寻回/犬) and needs 0.5 s to load; segmenting against our own
  vocabulary by the longest match is exact for every name we know.
- dateparser 1.5 (``search_dates``, English and Chinese, a fixed base date): not kept.
  It answers points, not spans ("October 2023" -> 15 Oct), knows no seasons ("summer
  2024" -> the year alone, "last winter" -> nothing), read 2024年10月 as 15 May of year 1
  and 上周末 as 上周, took 0.4 s on its first query and 0.4 s to import. The patterns in
  when.py cover every form the tests use, seasons by hemisphere included.
- jionlp (Chinese time expressions): not tried.
- chinese-calendar 1.11: kept for China's holidays (holidays.py). It knows each year's
  days off from the official notice, 2004-2026 in this release: 春节 2026 is 15-23 Feb.
"""

from smartalbum.search.understand.parse import Part, Understanding, Vocabulary, understand

__all__ = ["Part", "Understanding", "Vocabulary", "understand"]
