"""Need-to-know: what one party may learn of another's objects.

Parties that do not trust each other share one airspace picture. Everything a read path
returns about someone else's operation, track or conflict passes through
``DisclosurePolicy``, so the rule lives in one place and is tested once per path.
"""

from deconflict.access.agreements import Agreement, Agreements, Grant
from deconflict.access.policy import DisclosurePolicy, OperationView

__all__ = ["Agreement", "Agreements", "DisclosurePolicy", "Grant", "OperationView"]
