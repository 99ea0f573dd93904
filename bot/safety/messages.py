"""What the bot says instead of an answer: warm, short, and pointing somewhere useful.

Emergency replies put the emergency numbers in the first line and carry no quotes.
Refusals say why (in the terms of the rule that fired), who can answer (the child's
neurologist or care team), and offer general questions the documents can answer.
"""

from __future__ import annotations

from bot.reply import escape_markdown
from bot.safety.decision import SafetyDecision
from bot.safety.language import other_language_notice

# tap-to-call links: a parent on a phone should not have to type the number
EMERGENCY_NUMBERS = "[112](tel:112) (Europe) or [911](tel:911) (US and Canada)"

EMERGENCY = (
    f"**This sounds like an emergency. Call your local emergency number now: {EMERGENCY_NUMBERS}.**"
    "\n\nDon't wait for an answer here. If your child uses a ventilator or cough assist and "
    "it is not helping, follow the emergency plan from your care team while help is on the way."
)
SELF_HARM = (
    f"**If you might act on these thoughts, call your local emergency number now: "
    f"{EMERGENCY_NUMBERS}.**"
    "\n\nYou can also talk to someone at a crisis line, any time: in the US call or text "
    "**[988](tel:988)**; in the UK and Ireland call Samaritans on **[116 123](tel:116123)**; "
    "elsewhere, findahelpline.com lists free local lines. Caring for a child with SMA is "
    "hard, and you don't have to carry this alone."
)

# An emergency the message reader recognised (no rule named it): it may be a medical
# emergency or a person in crisis, so the reply offers both.
DANGER = (
    f"**This sounds like an emergency. If someone is in danger now, call your local emergency "
    f"number: {EMERGENCY_NUMBERS}.** If you are not sure it is an emergency, call your "
    "care team or doctor today."
    "\n\nIf you are thinking of harming yourself, or feel you can't go on, you can talk to "
    "someone at a crisis line, any time: in the US call or text **[988](tel:988)**; in the UK "
    "and Ireland call Samaritans on **[116 123](tel:116123)**; elsewhere, findahelpline.com "
    "lists free local lines. You don't have to carry this alone."
)
# every refusal: a family describing a sick child must not be left without a next step
UNWELL_NOW = (
    "If someone is unwell now, contact their care team today, and call "
    f"{EMERGENCY_NUMBERS} if they struggle to breathe, turn blue or grey, or are hard to wake."
)

# Why the bot can't answer, by the rule family that fired.
_WHY = {
    "dose": "I can't give doses, amounts or schedules for a medicine.",
    "amount of a medicine": "I can't give doses, amounts or schedules for a medicine.",
    "amount or weight": "I can't work out doses or treatments for a particular child.",
    "personal decision": "I can't say whether to start, stop, skip, switch or combine a "
    "treatment for a particular person.",
    "plan check": "I can't say whether a change to a particular child's care is safe.",
    "right for them": "I can't say whether a treatment or clinic is right for a particular child.",
    "what they have": "I can't tell whether a particular person has a condition or which type.",
    "their own result": "I can't interpret a particular person's test results.",
    "their prognosis": "I can't predict how things will go for a particular child.",
    "a plan for them": "I can't make a care or treatment plan for a particular child.",
    "what would you do": "I can't make decisions about a particular child's care.",
    "prescribe": "I can't prescribe or recommend medicines.",
}
_DEFAULT_WHY = "I can't give medical advice for a particular person."
OUT_OF_SCOPE = (
    "I can only help with questions about spinal muscular atrophy (SMA) and caring for "
    "someone with it, using the documents I have."
)
OUT_OF_SCOPE_CONDITION = (
    "That sounds like a question about another condition. I only have documents about "
    "spinal muscular atrophy (SMA), so I can't answer it."
)


def _try(suggestions: list[str]) -> str:
    if not suggestions:
        return ""
    asks = " or ".join(f"“{escape_markdown(s)}”" for s in suggestions)
    return f"\n\nYou could ask me, for example: {asks}"


def safety_text(decision: SafetyDecision, suggestions: list[str]) -> str:
    """The markdown shown for a refusal, emergency or out-of-scope decision."""
    if decision.kind == "emergency":
        return {"self_harm": SELF_HARM, "danger": DANGER}.get(decision.category or "", EMERGENCY)
    if decision.kind == "refusal":
        why = _WHY.get(decision.rule or "", _DEFAULT_WHY)
        return (
            f"{why} That needs someone who knows your child: please ask your child's "
            "neurologist or care team, who can answer it safely. " + UNWELL_NOW + " I can "
            "share general information from the documents I have." + _try(suggestions)
        )
    if decision.category == "language":
        return other_language_notice(decision.language)
    if decision.rule == "another condition":
        return OUT_OF_SCOPE_CONDITION + _try(suggestions)
    return OUT_OF_SCOPE + _try(suggestions)
