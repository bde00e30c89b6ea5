"""Assembly: put a planned text back together from its pieces and the guarded model outputs (pure).

Protected spans, whitespace and glossary targets go back verbatim, in their original order and places, whatever
the model emitted; a model output that failed fails the whole text rather than leave a hole in it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ._planning import GlossaryTerm, Job, Marker, Plan
from .results import Flag, ModelOutput, Status, Translation, token_weighted_confidence
from .routing import convert

# Where a translated English piece meets other text without whitespace, a space goes in, except next to these.
_NO_SPACE_BEFORE = set(",.!?;:)]}%'\"，。！？；：）」』、…~～")
_NO_SPACE_AFTER = set("([{（「『")


def join_pieces(parts: Sequence[tuple[str, bool | None]], spaced: bool) -> str:
    """Concatenate (text, translated) parts; when ``spaced`` (English output) put a space where a translated
    part would otherwise touch its neighbour, as in ``[笑哭R]So funny`` -> ``[笑哭R] So funny``. ``translated`` None
    is a part glued to its neighbours, never spaced: a hashtag's markers (``#`` + ``Our voice`` -> ``#Our voice``)."""
    out: list[str] = []
    prev = ""
    prev_translated: bool | None = False
    for text, translated in parts:
        if not text:
            continue
        if (
            spaced
            and prev
            and (translated or prev_translated)
            and translated is not None
            and prev_translated is not None
            and not prev[-1].isspace()
            and not text[0].isspace()
            and text[0] not in _NO_SPACE_BEFORE
            and prev[-1] not in _NO_SPACE_AFTER
        ):
            out.append(" ")
        out.append(text)
        prev, prev_translated = text, translated
    return "".join(out)


def assemble(plan: Plan, outputs: Mapping[Job, ModelOutput | None], low_confidence: float = 0.0) -> Translation:
    """The translation of a planned text (status translated), or ``failed`` when a model output is missing.

    Its confidence is exp(sum of the model pieces' token log-probs / their tokens plus one certain token per
    protected span and glossary term); below ``low_confidence`` it is flagged ``low_confidence``."""
    parts: list[tuple[str, bool | None]] = []
    flags = list(plan.flags)
    scores = [(0.0, plan.certain)]  # protected spans and glossary terms: certain
    unscored = False
    for piece in plan.pieces:
        if isinstance(piece, str):
            parts.append((piece, False))
        elif isinstance(piece, Marker):
            parts.append((piece.text, None))
        elif isinstance(piece, GlossaryTerm):
            parts.append((piece.target, True))
        else:
            output = outputs[piece]
            if output is None:
                return Translation(plan.text, None, plan.source_lang, plan.target_lang, Status.FAILED,
                                   (Flag.MODEL_FAILED,))
            flags.extend(f for f in output.flags if f not in flags)
            parts.append((convert(output.text, piece.route.after), True))
            scores.append((output.log_prob or 0.0, output.tokens))
            unscored |= output.log_prob is None
    if plan.partial:
        flags.append(Flag.PARTIALLY_TRANSLATED)
    confidence = None if unscored else round(token_weighted_confidence(scores), 4)  # a score: 4 places say enough
    if confidence is not None and confidence < low_confidence:
        flags.append(Flag.LOW_CONFIDENCE)
    text = join_pieces(parts, spaced=plan.target_lang == "en")
    return Translation(plan.text, text, plan.source_lang, plan.target_lang, Status.TRANSLATED, tuple(flags), confidence)

