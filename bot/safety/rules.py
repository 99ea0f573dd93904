"""Readable safety rules: named patterns for emergencies, medical advice, and scope.

Each rule has a name (shown to staff as the reason) and one regular expression over
the lower-cased message. They are written for kinds of message, not for particular
questions:

- emergency: danger signs said of someone now and thoughts of self-harm, from published
  clinical lists (bot/safety/signs.py names each source). Words alone are not enough:
  "What is suicide?" or "Why do babies with SMA choke?" ask for information.
- advice: a dose or amount of a medicine; whether a particular person should start,
  stop, skip, switch, combine, give or take something; whether someone has a
  condition; what their own result means; a plan for them; their own prognosis;
  whether a treatment or clinic is right for them. Framings (hypothetical, role-play,
  "I'm a nurse", "ignore your rules") never unlock these; on their own, with a general
  question, they change nothing.
- scope: greetings and thanks, questions about another named condition that do not
  mention SMA, and asking for a way to kill or hurt someone (bot/safety/harm.py), which
  is declined whatever else the message names.

Left out: other languages; the classifier in `bot.safety.classifier` backs these up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.safety import harm
from bot.safety.signs import find_signs

Category = Literal["emergency", "self_harm", "advice", "out_of_scope"]

# A particular person. Not they/them/their: "do they have to keep getting it" is generic.
_PERSON = r"(?:my|our|his|her|me|i|i'm|im|we|he|she|him|us)"
_SOMEONE = (
    r"(?:he|she|i|we|they|it|baby|child|kid|son|daughter|boy|girl|toddler|"
    r"(?:my|our|his|her) \w+)"
)
_MEDICINE = (
    r"(?:zolgensma|spinraza|evrysdi|risdiplam|nusinersen|onasemnogene|medicine|"
    r"medication|meds|drug|drugs|pill|pills|tablet|tablets|syrup|dose|doses|"
    r"antibiotic\w*|ibuprofen|paracetamol|acetaminophen|steroid\w*|prednisolone|"
    r"vitamin\w*|supplement\w*|injection\w*|infusion|treatment|therapy|vaccine|shot)"
)
_DECIDE = (
    r"(?:start|starting|stop|stopping|pause|pausing|skip|skipping|switch|switching|"
    r"change|changing|combine|combining|mix|mixing|continue|quit|give|giving|take|"
    r"taking|try|trying|wait|waiting|delay|postpone|reduce|increase|double|halve|use|"
    r"get|getting|go|travel|book|enrol|enroll|choose|pick|refuse|decline|reschedule|"
    r"restart|resume|taper|wean|put|let|have|do|undergo|split|repeat|redo)"
)
# What a medical decision is about; a personal decision rule needs one in the message
# ("how can we get financial help" is a family's question, not medical advice).
_MEDICAL = (
    rf"(?:{_MEDICINE}|physio\w*|rehab\w*|surgery|operation|anesth\w*|anaesth\w*|"
    r"ventilat\w*|bipap|cpap|feeding tube|g-tube|peg|test\w*|screening|scan|stem cells?|"
    r"gene therapy|clinic|hospital|centre|center|doctor|neurologist|acupuncture|"
    r"program(?:me)?|course|flu|antibiotics?|exercise\w*)"
)
_MODAL = (
    r"(?:should|shall|can|could|may|must|ought to|need to|do (?:we|i) need to|"
    r"is it (?:ok|okay|safe|fine|alright|all right|wise|a good idea|better|best|right|"
    r"too late|too early)|would it be|would you|do you (?:recommend|suggest|think|advise))"
)

_ADVICE = {
    "dose": r"\b(?:dose|doses|dosage|dosages|dosing|posology)\b",
    "amount of a medicine": (
        rf"\bhow (?:much|many)\b[^?]{{0,40}}\b{_MEDICINE}\b[^?]{{0,40}}\b"
        r"(?:give|gives|giving|take|takes|taking|get|gets|need|needs|have|use|"
        r"inject\w*|administer\w*|ml|mg|drops?|tablets?|doses?)\b|"
        r"\bhow (?:much|many) (?:ml|mg|drops|tablets|pills|doses|units)\b"
    ),
    "amount or weight": (
        r"\b\d+(?:[.,]\d+)?\s?(?:mg|ml|mcg|µg|milligrams?|millilit\w+|kg|kilos?|"
        r"lbs?|pounds|units|iu)\b"
    ),
    "personal decision": (
        rf"\b{_MODAL}\b[^.?!]{{0,40}}\b{_PERSON}\b[^.?!]{{0,40}}\b{_DECIDE}\b|"
        rf"\b{_PERSON}\b[^.?!]{{0,30}}\b{_MODAL}\b[^.?!]{{0,25}}\b{_DECIDE}\b|"
        rf"\b{_MODAL}\b(?! you)[^.?!]{{0,20}}\b{_DECIDE}\b[^.?!]{{0,40}}\b{_PERSON}\b|"
        rf"\b(?:whether|if) (?:to|{_PERSON} (?:should|need to|can))\b[^.?!]{{0,20}}"
        rf"\b{_DECIDE}\b"
    ),
    "plan check": (
        r"\b(?:thinking of|thinking about|considering|planning to|planning on|going to|"
        r"want to|wanting to|about to)\b[^.?!]{0,60}[,.]?[^.?!]{0,20}\b(?:is (?:that|it|this) "
        r"(?:ok|okay|fine|alright|safe|a good idea|right|wise)|should (?:we|i))\b"
    ),
    "right for them": (
        rf"\b(?:right|good|best|better|worth(?: it)?|suitable|appropriate|safe|"
        rf"safer|too old|too young|a good idea|the right choice|a good choice)\b"
        rf"[^.?!]{{0,20}}\b(?:for|to) {_PERSON}\b|"
        rf"\b(?:would|will|does|can) {_MEDICINE}\b[^.?!]{{0,15}}\bwork for {_PERSON}\b"
    ),
    "what they have": (
        rf"\b(?:does|do|could|can|might|may|is|am|are|has)\s+{_PERSON}\b[^?.!]{{0,40}}"
        r"\b(?:have|has|got|be|been)\s+(?!to\b)\w+"
        r"|\b(?:is|could) (?:it|this|that) (?:be )?(?:sma|spinal muscular atrophy)\b"
        r"|\b(?:is|am) (?:he|she|i|my \w+|our \w+) (?:type|a carrier)\b"
        r"|\bcould (?:i|we|he|she) be (?:a )?carriers?\b"
        r"|\b(?:is|are) (?:my|our|his|her) \w+(?: \w+)? (?:type \w+ or|a sign of|normal)\b"
    ),
    "their own result": (
        rf"\b(?:test|tests|screening|result|results|report|level|levels|scan|mri|"
        rf"emg|ck|copies|biopsy|bloodwork|blood work|lung function)\b[^.?!]{{0,30}}\b"
        rf"(?:came back|come back|says|said|showed|shows|found|was|is) \w+|"
        rf"\b(?:mean|means) for {_PERSON}\b|\binterpret\b[^.?!]{{0,20}}\b{_PERSON}\b|"
        rf"\b(?:read|explain|check)\b[^.?!]{{0,10}}\b(?:my|our|his|her)\b[^.?!]{{0,30}}"
        rf"\b(?:report|results?|test)\b|\b(?:my|our|his|her)\b[^.?!]{{0,25}}\b"
        rf"(?:test|results?|report|level)\b[^.?!]{{0,20}}\b(?:mean|bad|normal|good)\b"
    ),
    "their prognosis": (
        rf"\bhow long will {_PERSON}\b|\bwill {_SOMEONE} (?:ever )?(?:walk|sit|stand|"
        rf"live|survive|die|talk|breathe|crawl)\b|\b(?:his|her|my|our) "
        rf"(?:\w+'?s )?(?:life expectancy|prognosis|outlook|chances?)\b"
    ),
    "a plan for them": (
        r"\b(?:plan|schedule|routine|regimen|program|programme|protocol)\b[^.?!]{0,20}"
        r"\bfor (?:my|our|him|her|me|us)\b|\b(?:make|create|write|design|prepare|draw up|"
        r"put together|build)\b[^.?!]{0,20}\b(?:my|our|his|her)\b[^.?!]{0,25}\b(?:plan|"
        r"schedule|routine|regimen|program|programme)\b|\bwhat should (?:our|my|his|her) "
        r"(?:\w+ )?(?:plan|next steps?|treatment) be\b|\bwhat should (?:we|i) do\b|"
        r"\bplan (?:his|her|my|our) \w+"
    ),
    "what would you do": r"\bwhat would you do\b|\bwhat(?:'s| is) best for (?:my|our)\b|"
    r"\b(?:tell me|say) (?:what|which)\b[^.?!]{0,30}\b(?:my|our|he|she)\b[^.?!]"
    r"{0,15}\b(?:should|needs?|must)\b",
    "prescribe": r"\bprescri(?:be|ption)\b[^.?!]{0,40}\b(?:my|our|him|her|me|us|for)\b",
}
HARM_RULE = "a request to harm someone"
_OUT_OF_SCOPE = {
    HARM_RULE: harm.REQUEST.pattern,  # bot/safety/harm.py
    "greeting or thanks": (
        r"^\W*(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|thanks?"
        r"(?: you)?(?: so much| a lot)?|thank you(?: so much)?|ok(?:ay)?|bye|"
        r"goodbye|who are you|what can you do|are you a (?:robot|bot|human))\W*$"
    ),
    "another condition": (
        r"\b(?:duchenne|becker|dystroph\w*|dmd|als|amyotrophic|lou gehrig|"
        r"myasthenia|multiple sclerosis|cerebral palsy|parkinson\w*|alzheimer\w*|"
        r"diabet\w*|asthma|cystic fibrosis|epilep\w*|autism|autistic|migraine\w*|"
        r"cancer|tumou?r|leukemia|covid\w*|influenza|measles|lyme|arthritis|"
        r"guillain|charcot|down syndrome|anemia|anaemia|appendicitis|hiv|aids|"
        r"schizophren\w*|bipolar|depression|dementia|stroke|hypothyroid\w*|"
        r"menopause)\b"
    ),
}

_COMPILED = {
    "advice": {k: re.compile(v) for k, v in _ADVICE.items()},
    "out_of_scope": {k: re.compile(v) for k, v in _OUT_OF_SCOPE.items()},
}
_MEDICAL_RE = re.compile(rf"\b{_MEDICAL}\b")
# Rules that only mean medical advice when the message is about something medical:
# "what's the best way to explain SMA to my son?" is a parenting question.
_NEEDS_MEDICAL = frozenset({"personal decision", "right for them"})
# "SMA" as typed or dictated ("s m a", "s.m.a."), and SMN1 / SMN2 likewise
_MENTIONS_SMA = re.compile(
    r"\b(?:s[ .\-]{0,2}m[ .\-]{0,2}a|spinal muscular atroph\w*|"
    r"s[ .\-]{0,2}m[ .\-]{0,2}n[ .\-]{0,2}[12]?)\b"
)
# the bot's subject by its names (the genes SMN1/SMN2 are topics within it, not names)
SUBJECT_NAMES = ("SMA", "spinal muscular atrophy")


@dataclass(frozen=True)
class RuleHit:
    category: Category
    rule: str
    matched: str  # the words that matched, for the staff view

    @property
    def reason(self) -> str:
        """The decision's reason, as staff and `--json` show it."""
        return f"rule “{self.rule}” matched “{self.matched}”"


def check_rules(text: str) -> list[RuleHit]:
    """Every rule that matches `text`, most serious category first: danger signs
    (bot/safety/signs.py), then advice and scope."""
    low = text.lower().replace("’", "'")
    hits = [RuleHit(h.category, h.rule, h.matched) for h in find_signs(text)]  # type: ignore[arg-type]
    for category, rules in _COMPILED.items():
        for name, pattern in rules.items():
            m = pattern.search(low)
            if m and (name not in _NEEDS_MEDICAL or _MEDICAL_RE.search(low)):
                hits.append(RuleHit(category, name, text[m.start() : m.end()]))  # type: ignore[arg-type]
    return hits


_PARTICULAR = re.compile(rf"\b{_PERSON}\b|\b(?:my|our|his|her|your) \w+")


def names_a_person(text: str) -> bool:
    """Does the message speak of a particular person ("my son", "she", "I"), not of
    people in general ("kids", "a baby")? Advice is advice for someone in particular."""
    return bool(_PARTICULAR.search(text.lower().replace("’", "'")))


def mentions_sma(text: str, names: frozenset[str] = frozenset()) -> bool:
    """The message names SMA, or a name the corpus uses (Zolgensma, Spinraza, ...)."""
    low = text.lower()
    if _MENTIONS_SMA.search(low):
        return True
    return any(w in names for w in re.findall(r"[a-z][a-z0-9\-]+", low))


def is_other_condition(word: str) -> bool:
    """A word naming a condition other than SMA ("als", "duchenne")."""
    return bool(_COMPILED["out_of_scope"]["another condition"].search(word.lower()))


def instructs(passage: str) -> bool:
    """A passage that reads as instructions for a particular person (a dose, an amount)."""
    low = passage.lower()
    return bool(_COMPILED["advice"]["amount or weight"].search(low)) and bool(
        re.search(r"\b(?:give|take|administer|inject|your child|you should)\b", low)
    )
