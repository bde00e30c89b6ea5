"""Character classes of the scripts comments are written in, as regex class bodies, and the patterns built on them
that detection and planning share (pure, a leaf: it imports nothing of the package).

Detection decides a language by script (Han, kana, Hangul) and by Latin words; planning cuts bilingual sentences
between their Latin and CJK runs. Both must agree on what a Han character or a Latin word is, so both read it here.
"""

from __future__ import annotations

import re

HAN_CHARS = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
KANA_CHARS = r"\u3040-\u309f\u30a0-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9d"
HANGUL_CHARS = r"\uac00-\ud7af\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\ud7b0-\ud7ff"
LATIN_CHARS = r"A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"  # ASCII and accented letters, not × ÷
# Styled Latin letters and digits (see ``detection.unstyled``): full-width and circled ones (in the Basic Multilingual
# Plane, so that the plain-Han shortcut's character class stays a fast bitmap), mathematical and squared ones.
STYLED_BMP = "\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u24b6-\u24e9"
STYLED_CHARS = STYLED_BMP + "\U0001d400-\U0001d7ff\U0001f130-\U0001f189"
CJK_CHARS = HAN_CHARS + KANA_CHARS + HANGUL_CHARS

HAN = re.compile(f"[{HAN_CHARS}]")
# A Latin word, with digits inside or after it as in "u1s1", "day2", "mp3" (not before: "4w" is "w").
LATIN_WORD = re.compile(f"[{LATIN_CHARS}]+(?:['’][A-Za-z]+)*(?:[0-9]+[{LATIN_CHARS}]*)*")
