"""Danger signs, as clinicians list them for exactly this triage, in families' words.

Each sign names the published list it comes from. People describe what they see ("he's
grunting", "her lips look purple", "sats 82"), so each pattern is written for how a
parent or an adult with SMA would say it, and matches only when it is said of someone
now: a message that asks about a sign in general ("what is stridor?", "why do SMA babies
grunt?") names no one (`_SOMEONE`) and is not an emergency.

Sources:
- IMCI: WHO/UNICEF, Integrated Management of Childhood Illness, chart booklet (2014):
  general danger signs (not able to drink or breastfeed, vomits everything,
  convulsions, lethargic or unconscious) and signs of severe respiratory distress
  (chest indrawing, stridor in a calm child, grunting, fast breathing by age, oxygen
  saturation < 90%, central cyanosis); young infants: not feeding well, no movement.
- NICE: NICE guideline NG143, Fever in under 5s, traffic-light table, red features
  (pale/mottled/ashen/blue; no response to social cues, does not wake or stay awake;
  weak, high-pitched or continuous cry; grunting; respiratory rate > 60/min; moderate or
  severe chest indrawing; age 0-3 months with temperature >= 38 °C; non-blanching rash;
  bulging fontanelle; neck stiffness; seizures).
- SMA-SOC: Finkel et al., Diagnosis and management of spinal muscular atrophy, part 2
  (Neuromuscular Disorders 2018), acute respiratory care: ineffective cough, secretions
  that airway clearance (cough assist) does not clear, falling oxygen saturation, and
  drowsiness, confusion or morning headache with breathing trouble (hypercapnia).
- ZOLGENSMA-LABEL: the Zolgensma prescribing information's warnings: acute liver
  injury (vomiting, jaundice, decreased alertness) and thrombotic microangiopathy
  (bruising, decreased urine) after the infusion need immediate care.
- 988: the 988 Suicide & Crisis Lifeline's and AFSP's warning signs of suicide: talking
  about wanting to die or kill oneself, about being a burden, feeling trapped or in
  unbearable pain, having no reason to live; looking for a way to do it; saying goodbye,
  giving things away. A parent's fear of harming their child is a crisis too.
- NEWS2: Royal College of Physicians, National Early Warning Score 2 (2017), for
  adults: respiratory rate >= 25, oxygen saturation <= 91%.

Numbers count (`vital_signs`): an oxygen saturation under 92% ("sats 82"), a breathing
rate above the IMCI/NICE limit for the age given (60 when no age is given, 25 for an
adult), a temperature of 38 °C or more in a baby under 3 months.

Left out: other languages; signs that need an examination (skin turgor, capillary refill).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.safety import harm

# someone, now: a person the message speaks of (not "babies", "people", "a child")
_SOMEONE = re.compile(
    r"\b(?:he|she|he's|she's|hes|shes|him|her|his|i|i'm|im|me|my|we|our|us|they're|"
    r"baby's|baby is|babys|it's|its)\b"
)


@dataclass(frozen=True)
class Sign:
    name: str
    source: str
    pattern: str
    needs_someone: bool = True  # only when said of someone now


_BREATH = r"(?:breath\w*|breathe|air|chest infection|cold|flu|pneumonia)"
EMERGENCY_SIGNS = (
    Sign(
        "not breathing",
        "IMCI",
        r"\b(?:not|isn'?t|is not|stopped|has stopped|stop|stops) breathing\b|\bno breathing\b",
        needs_someone=False,
    ),
    Sign(
        "struggling to breathe",
        "SMA-SOC",
        r"\b(?:can'?t|cannot|can not|unable to|struggling to|struggles to|fighting to|"
        r"hardly|barely|can barely|can hardly|trying hard to) "
        r"(?:get (?:a|any|his|her|my) )?breath(?:e)?\b|"
        r"\b(?:fighting|struggling|gasping|working hard) for (?:breath|air)\b|\bgasping\b",
    ),
    Sign(
        "blue, grey, pale or mottled",
        "NICE",
        r"\b(?:turning|turned|going|gone|went|looks?|looking|is|are|very|so|really|all) "
        r"(?:blue|grey|gray|purple|ashen|mottled|blotchy|pale)\b|"
        r"\b(?:lips|face|skin|mouth|fingers|tongue) (?:is |are |look |looks |looking |turning |"
        r"turned |going |gone |went )?(?:blue|grey|gray|purple|ashen|mottled|dusky)\b|"
        r"\bblue lips\b|"
        r"\b(?:grey|gray|pale|ashen|mottled) and (?:sleepy|floppy|drowsy|limp|cold)\b",
    ),
    Sign(
        "grunting",
        "IMCI, NICE",
        r"\bgrunt(?:s|ing|ed)?\b",
    ),
    Sign(
        "chest indrawing",
        "IMCI, NICE",
        r"\bchest\b[^.?!]{0,30}\b(?:sinking|caving|pulling|sucking|drawing|going) in\b|"
        r"\bindrawing\b|\bribs? (?:are |is )?(?:showing|sucking in|pulling in|sticking out)\b|"
        r"\b(?:sucking|pulling) in (?:under|between|below) (?:his|her|the) ribs\b|"
        r"\b(?:tracheal tug|tugging at (?:his|her|the) (?:throat|neck))\b|"
        r"\bbelly (?:is )?(?:going|pumping) (?:in and out|up and down) (?:fast|hard)\b",
    ),
    Sign(
        "stridor or nasal flaring",
        "IMCI, NICE",
        r"\bstridor\b|\b(?:nostrils?|nose) (?:is |are )?flar\w*\b|\bhigh[- ]pitched (?:noise|sound|"
        r"whistle|breathing)\b|\bwhistl\w* when (?:he|she) breathes?\b",
    ),
    Sign(
        "secretions not cleared",
        "SMA-SOC",
        r"\b(?:can'?t|cannot|unable to|not able to|won'?t) (?:clear|cough up|cough out|get up|"
        r"bring up|shift|swallow) (?:the |his |her |my )?(?:mucus|secretions|phlegm|spit|saliva|"
        r"gunk|mucous)\b|\bcough ?assist\b[^.?!]{0,25}\b(?:isn'?t|is not|not|doesn'?t|does not|"
        r"didn'?t|stopped) (?:help|work|clear)\w*|\b(?:mucus|secretions|phlegm) (?:won'?t|will not|"
        r"aren'?t|isn'?t) (?:clear|shift|come up|budge)\w*|\bgurgl\w*|\brattl\w* (?:breath|chest)"
        r"\w*|\bdrowning in (?:mucus|secretions|spit)\b|\bchok(?:e|es|ed|ing)\b[^.?!]{0,30}"
        r"\b(?:can'?t|cannot|won'?t) (?:cough|breathe|clear)\b",
    ),
    Sign(
        "choking",
        "IMCI",
        r"\b(?:is|'s|are|keeps?|started|been) choking\b|\bchoking (?:on|right now|and)\b",
    ),
    Sign(
        "drowsy or confused with breathing trouble",
        "SMA-SOC",
        rf"\b(?:confused|confusion|drowsy|sleepy|not making sense|disoriented|delirious|"
        rf"headache in the morning|morning headaches?)\b[^?!]{{0,80}}\b{_BREATH}\b|"
        rf"\b{_BREATH}\b[^?!]{{0,80}}\b(?:confused|confusion|drowsy|very sleepy|not making sense|"
        rf"disoriented|delirious)\b",
    ),
    Sign(
        "lethargic or unconscious",
        "IMCI, NICE",
        r"\b(?:unresponsive|unconscious|lethargic|not responding|doesn'?t respond|won'?t respond|"
        r"no response|won'?t wake|can'?t wake|cannot wake|not waking|isn'?t waking|"
        r"(?:hard|difficult|impossible) to (?:wake|rouse)|won'?t stay awake|can'?t stay awake|"
        r"passed out|fainted|(?:went|gone|going) limp|(?:extra )?floppy and (?:sleepy|drowsy|"
        r"unresponsive)|(?:extra|unusually|abnormally|extremely) (?:sleepy|drowsy)|"
        r"keeps? (?:passing|blacking) out)\b",
    ),
    Sign(
        "seizure",
        "IMCI, NICE",
        r"\b(?:having|has|is having|started having) (?:a )?(?:seizure|fit|convulsion)s?\b|"
        r"\b(?:seizing|convulsing|fitting)\b|\bseizure right now\b|"
        r"\b(?:shaking|jerking|twitching) all over\b|\beyes (?:are )?rolling back\b",
    ),
    Sign(
        "cannot drink or feed",
        "IMCI",
        r"\b(?:can'?t|cannot|won'?t|isn'?t|is not|unable to|refus\w+ to|stopped|hasn'?t) "
        r"(?:drink\w*|feed\w*|breastfeed\w*|nurs\w*|eat\w* or drink\w*|tak\w* (?:his|her|the|any) "
        r"(?:bottle|milk|feeds?))\b",
    ),
    Sign(
        "vomits everything",
        "IMCI, ZOLGENSMA-LABEL",
        r"\bvomit\w* everything\b|\b(?:keeps?|kept|constantly|can'?t stop|won'?t stop|been) "
        r"(?:vomiting|throwing up|being sick)\b|\bthrow\w* up everything\b|\bcan'?t keep "
        r"(?:anything|any \w+|fluids|milk|food|water) down\b",
    ),
    Sign(
        "jaundice or bruising after Zolgensma",
        "ZOLGENSMA-LABEL",
        r"\b(?:skin|eyes|whites of (?:his|her) eyes) (?:is |are |look |looks |looking |turning |"
        r"turned |gone |going )?yellow\b|\bjaundiced?\b|\b(?:not|hasn'?t been|isn'?t) (?:peeing|"
        r"weeing|passing urine)\b|\bno wet (?:nappies|diapers)\b|\bbruis\w* (?:easily|everywhere|"
        r"all over)\b",
    ),
    Sign(
        "rash that does not fade, bulging soft spot, stiff neck",
        "NICE",
        r"\brash\b[^.?!]{0,30}\b(?:doesn'?t|does not|won'?t|didn'?t) (?:fade|go away|blanch)\b|"
        r"\bnon-?blanching\b|\bbulging (?:soft spot|fontanel\w*)\b|"
        r"\b(?:stiff neck|neck is stiff)\b",
    ),
    Sign(
        "weak or high-pitched cry",
        "NICE",
        r"\b(?:weak|high[- ]pitched|continuous|non-?stop|constant) (?:\w+ )?"
        r"(?:cry|crying|whimper\w*)\b|"
        r"\bcrying (?:non-?stop|continuously|for hours and won'?t stop)\b",
    ),
    Sign(
        "breathing machine failure",
        "SMA-SOC",
        r"\b(?:ventilator|vent|bipap|cpap|trach\w*|oxygen)\b[^.?!]{0,30}\b(?:alarm\w*|stopped|"
        r"failed|broke|broken|not working|isn'?t working|came out|fell out|blocked)\b",
    ),
    Sign(
        "swallowed something dangerous",
        "IMCI",
        r"\b(?:swallowed|ate|drank|drunk|took|has taken)\b[^.?!]{0,25}\b(?:coin|battery|batteries|"
        r"magnet|poison|bleach|pills?|tablets?|detergent|chemicals?|cleaning)\b|\boverdos\w*\b|"
        r"\btoo much\b[^.?!]{0,30}\b(?:medicine|medication|evrysdi|risdiplam|pills?)\b|"
        r"\baccidentally\b[^.?!]{0,30}\b(?:double|twice|too much|extra)\b",
        needs_someone=False,
    ),
    Sign(
        "severe bleeding, allergic reaction or chest pain",
        "IMCI",
        r"\bbleeding (?:heavily|a lot|badly|won'?t stop)\b|\bwon'?t stop bleeding\b|"
        r"\banaphyla\w+\b|\bthroat (?:is )?(?:swelling|closing)\b|"
        r"\b(?:severe|crushing|bad|terrible) chest pain\b|\bheart attack\b",
        needs_someone=False,
    ),
)

SELF_HARM_SIGNS = (
    Sign(
        "thoughts of suicide or self-harm",
        "988",
        r"\b(?:kill(?:ing|ed)? (?:myself|my self)|end(?:ing|ed)? (?:my|my own) life|"
        r"end(?:ing)? it all|"
        r"(?:take|taking|took) my (?:own )?life|suicidal|hurt(?:ing)? myself|harm(?:ing)? myself|"
        r"self[- ]harm\w*|cutting myself|want(?:ed)? to die|wish i (?:was|were) dead|"
        r"don'?t want to (?:live|be alive|be here|wake up)|no reason to live|nothing to live for|"
        r"better off (?:if i was |if i were |without me|dead)|can'?t go on|"
        r"(?:sleep|go to sleep) and (?:never|not) wake up|what'?s the point (?:of|in) (?:living|"
        r"going on|anything)|i'?m a burden|(?:a|such a) burden to (?:everyone|them|my family)|"
        r"want (?:it all )?to (?:stop|end|disappear)|want to disappear|no way out|"
        r"saying goodbye to everyone|giving away my (?:things|stuff))\b"
        # being a burden; saying goodbye or putting affairs in order; gathering the means
        r"|\b(?:manage|cope|do|be|live) (?:fine |much |so much |a lot )?better without me\b"
        r"|\bin case i'?m not (?:here|around|alive)\b|\b(?:wrote|written|writing|left) "
        r"(?:goodbye |farewell )(?:letters|notes|a letter|a note)\b"
        r"|\b(?:sorted|sorting|worked) out who (?:gets|will get|should get|can have) my\b"
        r"|\b(?:saving|saved|collecting|stockpiling|hoarding) (?:up )?(?:all )?(?:of )?my "
        r"(?:pills|tablets|meds|medication|medicine|painkillers|pain (?:pills|killers|meds)|"
        r"sleeping (?:pills|tablets))\b"
        r"|\b(?:commit|committing|thinking (?:about|of)|considering|planning|going to|want to|"
        r"how to|ways to)\b[^.?!]{0,20}\bsuicide\b"
        r"|\b(?:what|how|which)\b[^.?!]{0,30}\bi\b[^.?!]{0,25}\b(?:take|use|do|get)\b[^.?!]{0,20}"
        r"\b(?:to die|to never wake up|and never wake up)\b|\bhow (?:can|do|could|should) i die\b",
        needs_someone=False,
    ),
    Sign(
        "thoughts of harming the child",
        "988",
        r"\b(?:afraid|scared|worried|frightened|thinking|thoughts?) (?:that |of |about )?i "
        r"(?:might|will|could|would|want to) (?:hurt|harm|shake|smother|kill)\b|"
        r"\bi (?:want|feel like i want|keep wanting) to (?:hurt|harm|shake|smother) (?:him|her|"
        r"my (?:baby|son|daughter|child))\b"
        # asking for a way to do it to their own child (bot/safety/harm.py)
        rf"|{harm.OWN_CHILD.pattern}",
        needs_someone=False,
    ),
)


@dataclass(frozen=True)
class SignHit:
    category: str  # "emergency" | "self_harm"
    rule: str
    matched: str
    source: str


def speaks_of_someone(text: str) -> bool:
    """Does the message speak of a particular person ("my son", "she", "I")?"""
    return bool(_SOMEONE.search(text.lower().replace("’", "'")))


def find_signs(text: str) -> list[SignHit]:
    """Every danger sign `text` describes of someone now, self-harm first."""
    low = text.lower().replace("’", "'")
    someone = bool(_SOMEONE.search(low))
    hits = []
    for category, signs in (("self_harm", SELF_HARM_SIGNS), ("emergency", EMERGENCY_SIGNS)):
        for sign in signs:
            m = _COMPILED[sign.name].search(low)
            if m and (someone or not sign.needs_someone):
                hits.append(SignHit(category, sign.name, text[m.start() : m.end()], sign.source))
    return hits + vital_signs(low, text)  # a reading is of someone by nature


_COMPILED = {s.name: re.compile(s.pattern) for s in (*EMERGENCY_SIGNS, *SELF_HARM_SIGNS)}

# oxygen saturation: "sats 82", "his o2 is 85%", "oxygen level dropped to 88", "88% sats"
_SATS = re.compile(
    r"\b(?:sats?|saturations?|spo2|sp02|o2|oxygen(?: levels?| saturation| sats?)?|pulse ?ox\w*)"
    r"\b[^0-9.?!]{0,25}?\b(\d{2})(?:\s*%|\b)|\b(\d{2})\s*%?\s*(?:sats|spo2|o2|oxygen)\b"
)
_RATE = re.compile(
    r"\b(\d{2,3})\s*(?:breaths?|bpm|times)\s*(?:a|per|/|each|every)\s*min\w*|"
    r"\b(?:breathing|respiratory|resp\.?|breath)\s*(?:rate)?\s*(?:is|of|at|=|:)?\s*(\d{2,3})\b|"
    r"\brr\s*(?:is|of|=|:)?\s*(\d{2,3})\b"
)
_TEMP = re.compile(r"\b(\d{2,3}(?:[.,]\d)?)\s*(?:°|º|degrees?|deg)?\s*([cf])?\b(?=[^.?!]{0,40}|$)")
_FEVER = re.compile(r"\b(?:temp\w*|fever\w*|feverish|°|degrees?|hot)\b")
_AGE = re.compile(r"\b(\d{1,2}(?:[.,]5)?)[- ]?(day|week|wk|month|mo|mth|year|yr)s?(?:[- ]old\b|\b)")


def _age_months(low: str) -> float | None:
    if re.search(r"\bnewborn|new-born|neonate\b", low):
        return 0.0
    m = _AGE.search(low)
    if not m:
        return None
    n = float(m.group(1).replace(",", "."))
    unit = m.group(2)
    return (
        n / 30
        if unit == "day"
        else n / 4.3
        if unit in ("week", "wk")
        else (n if unit in ("month", "mo", "mth") else 12 * n)
    )


def _fast_breathing_limit(age_months: float | None) -> int:
    """IMCI fast breathing by age; NICE's > 60 with no age; NEWS2's 25 for adults."""
    if age_months is None:
        return 60
    if age_months < 2:
        return 60
    if age_months < 12:
        return 50
    if age_months < 60:
        return 40
    return 30 if age_months < 144 else 25


def _first_beyond(pattern, low: str, text: str, value, beyond, sign: str, sources: str):
    """The first match of `pattern` whose `value(match)` is `beyond` the limit, as a hit."""
    for m in pattern.finditer(low):
        if beyond(value(m)):
            return SignHit("emergency", sign, text[m.start() : m.end()], sources)
    return None


def _celsius(m) -> float:
    value = float(m.group(1).replace(",", "."))
    return (value - 32) * 5 / 9 if (m.group(2) == "f" or value > 50) else value


def vital_signs(low: str, text: str) -> list[SignHit]:
    """Numbers beyond the published limits: oxygen saturation, breathing rate, and a
    temperature with the age it is dangerous at."""
    age = _age_months(low)
    hits = [
        _first_beyond(
            _SATS,
            low,
            text,
            lambda m: int(m.group(1) or m.group(2)),
            lambda v: 50 <= v < 92,
            "low oxygen saturation",
            "IMCI, NEWS2, SMA-SOC",
        ),
        _first_beyond(
            _RATE,
            low,
            text,
            lambda m: int(next(g for g in m.groups() if g)),
            lambda v: _fast_breathing_limit(age) <= v < 200,
            "fast breathing",
            "IMCI, NICE, NEWS2",
        ),
    ]
    if age is not None and age < 3 and _FEVER.search(low):
        hits.append(
            _first_beyond(
                _TEMP,
                low,
                text,
                _celsius,
                lambda c: 38.0 <= c < 44 or 25 < c < 35.5,
                "fever in a baby under 3 months",
                "NICE, IMCI",
            )
        )
    return [h for h in hits if h is not None]
