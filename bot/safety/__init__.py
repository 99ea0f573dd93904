"""Safety: refuse medical advice, escalate emergencies, decline what is out of scope.

`Guard.check` decides before any quote is chosen (bot/safety/decision.py), from readable
rules (rules.py) backed by a classifier over the question's embedding (classifier.py).
`safety_text` words the reply (messages.py).
"""

from bot.safety.decision import Guard, SafetyDecision
from bot.safety.messages import safety_text

__all__ = ["Guard", "SafetyDecision", "safety_text"]
