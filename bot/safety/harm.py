"""Asking for a way to kill or seriously hurt a person, read as a readable rule.

"Where could I euthanize my grandad?", "best way to poison my neighbour", "how do we
smother our baby": a question for the means (how, where, the best way to ...) of a
violent act whose object is a person. The harm classifier (bot/safety/classifier.py)
learned harmful requests from clinicians' and attackers' prompts; a family's words
("my", "our") are exempt from it, because it reads some of their care questions as
harm. This rule is what still stands for those words, and it stands whatever else the
message names ("... my daughter with SMA").

Two outcomes, set by whom the act is against (bot/safety/signs.py, rules.py):
- the family's own child ("our baby", "my son"): a parent in crisis, the same as the
  988 Lifeline's warning sign "a parent's fear of harming their child" (crisis reply);
- anyone else: declined with the scope reply (`out_of_scope`, rule "a request to harm
  someone"), which lectures no one: "how do I kill someone in a video game" gets it too.

Words alone are not enough: "can SMA kill my baby?" or "will the mucus suffocate him?"
ask no means; "how do I kill time at the hospital" or "shoot a video of my son" have no
person as the object ("my son's cough", "my baby photos": the person must end the
phrase). Left out: other languages, euphemisms ("put down", "get rid of" say other
things too often), and harm to animals (out of scope anyway).
"""

from __future__ import annotations

import re

# asking for the means: "how do I", "where can we", "the easiest way to", "help me"
_ASKS_HOW = (
    r"(?:how (?:do|can|could|should|would|might|to)\b|where (?:can|could|do|should|would|"
    r"might) (?:i|we)\b|who (?:can|could|would|will) (?:help )?(?:me|us)\b|"
    r"(?:ways?|best way|easiest way|quickest way|safest way|simplest way|methods?) "
    r"(?:of|to|for|i could|we could|i can|we can)\b|(?:help|teach|show) (?:me|us)\b)"
)
# acts meant to kill, in the base form a request for the means uses; then other violence.
# Not "stab" or "overdose": "how do I stab him with the epipen", "how do I not overdose my
# baby on paracetamol" are care questions.
_LETHAL = r"(?:kill|murder|poison|euthani[sz]e|strangle|smother|suffocate|drown)"
_ACTS = rf"(?:{_LETHAL}|shoot|behead|assassinate|torture|kidnap|abduct)"
# the words between: not "how do I stop / avoid / not ..." (a way to prevent it)
_GAP = r"(?:(?!\b(?:not|never|avoid\w*|prevent\w*|stop\w*|keep|without)\b|n't)[^.?!]){0,30}?"
_DETERMINER = r"(?:(?:my|our|his|her|their|a|an|the|this|that|some|one of my|one of our)\s+)?"
_CHILD = r"(?:bab(?:y|ies)|sons?|daughters?|child|children|kids?|toddlers?|infants?|newborn|twins?)"
_PERSON = (
    rf"(?:{_CHILD}|wife|wives|husbands?|partners?|spouses?|boyfriends?|girlfriends?|"
    r"fianc[eé]e?s?|ex|ex-\w+|mother|mom|mum|father|dad|parents?|step\w+|grand\w+|"
    r"brothers?|sisters?|siblings?|uncles?|aunts?|aunties?|cousins?|nephews?|nieces?|"
    r"\w+-in-law|neighbou?rs?|boss|co-?workers?|colleagues?|teachers?|friends?|"
    r"roommates?|flatmates?|landlord|landlady|tenants?|persons?|people|someone|somebody|"
    r"anyone|anybody|man|woman|men|women|girls?|boys?|patients?|nurses?|doctors?|"
    r"strangers?|family|relatives?|carers?|caregivers?|elderly|old (?:man|woman|people))"
)
# the person ends the phrase: "shoot my baby photos" or "my son's cough" have another object
_END = (
    r"(?=\s*(?:$|[.?!,;:)]|(?:and|or|with|without|so|because|if|when|while|before|after|"
    r"in|at|on|for|to|from|who|that|quietly|slowly|painlessly|safely|legally|now|tonight|"
    r"today)\b))"
)
_OBJECT = rf"\s+{_DETERMINER}(?:[\w-]+'s\s+)?(?:[\w-]+\s+)?{_PERSON}{_END}"
# asking for the means, then the words between
_MEANS = rf"\b{_ASKS_HOW}{_GAP}\b"

# (lower-cased text, "’" read as "'")
REQUEST = re.compile(rf"{_MEANS}(?:{_ACTS}{_OBJECT}|{_LETHAL}\s+(?:him|her|them){_END})")
OWN_CHILD = re.compile(rf"{_MEANS}{_LETHAL}\s+(?:my|our)\s+(?:[\w-]+\s+)?{_CHILD}{_END}")
